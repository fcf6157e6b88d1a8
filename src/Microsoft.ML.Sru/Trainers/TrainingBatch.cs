namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// One batch as the training loop and the held-out evaluation take it, whether its rows came from memory or from a
/// stream: features [rows, Steps · values a step] padded at the end with zeros to the longest row's steps, each row's
/// length in steps (null when every row has all <paramref name="Steps"/>), and the labels as the loss takes them.
/// </summary>
internal sealed record TrainingBatch(float[] Features, int[]? Lengths, int Steps, float[] Labels)
{
    public int Rows => Labels.Length;
}
