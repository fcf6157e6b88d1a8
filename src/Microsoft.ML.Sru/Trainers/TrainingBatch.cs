using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// One batch as the training loop and the held-out evaluation take it, whether its rows came from memory or from a
/// stream: features [rows, Steps · values a step] padded at the end with zeros to the longest row's steps, each row's
/// length in steps (null when every row has all <paramref name="Steps"/>), and the labels as the loss takes them.
/// </summary>
internal sealed record TrainingBatch(float[] Features, int[]? Lengths, int Steps, float[] Labels)
{
    public int Rows => Labels.Length;

    /// <summary>Where <see cref="Features"/> goes back to once used; null when it is the batch's own.</summary>
    public BatchArrays? Arrays { get; init; }

    /// <summary>
    /// The features as a [rows, Steps · <paramref name="valuesPerStep"/>] tensor on <paramref name="device"/>, copied
    /// straight into the tensor's memory (torch.tensor would clone the array on the managed heap first, a large object
    /// every step), after which <see cref="Features"/> goes back to <see cref="Arrays"/>: the batch is not to be read again.
    /// </summary>
    public unsafe Tensor ToFeatureTensor(int valuesPerStep, Device device)
    {
        Tensor x = empty(new long[] { Rows, (long)Steps * valuesPerStep }, ScalarType.Float32);
        Features.AsSpan().CopyTo(new Span<float>(TensorMemory.Pointer(x), Features.Length));
        Arrays?.Return(Features);
        return device.type == DeviceType.CPU ? x : x.to(device);
    }
}
