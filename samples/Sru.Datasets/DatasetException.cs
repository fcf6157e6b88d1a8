namespace Sru.Datasets;

/// <summary>A dataset is missing, cannot be fetched or is not the version the project reads; the message says which file and what to do.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
