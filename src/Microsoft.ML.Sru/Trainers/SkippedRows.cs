namespace Microsoft.ML.Sru.Trainers;

/// <summary>Rows a read of the training (or validation) data left out, by reason, and rows it cut short.</summary>
internal sealed record SkippedRows(long MissingLabel, long NonFiniteFeatures, long Empty, long Truncated);
