using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// Where an LSTM/GRU encoder trains on the fused C# layers (<see cref="RnnLayerFunction{TCell}"/>) instead of
/// nn.LSTM/nn.GRU: float32 on the CPU of a machine with the AVX-512 GEMM, while training, on fixed-length and padded batches.
/// Everything else (other devices, evaluation and scoring) runs nn.LSTM/nn.GRU, the reference the fused layers are
/// tested against.
/// </summary>
internal static class FusedRnnPath
{
    /// <summary>Keeps LSTM/GRU on nn.LSTM/nn.GRU in this flow of execution: the comparison in tests and benchmarks.</summary>
    internal static readonly AsyncLocal<bool> ReferenceOnly = new();

    /// <summary>Whether training on <paramref name="device"/> runs the fused layers (the training loop pools their tensors and threads).</summary>
    public static bool AppliesTo(Device device) => !ReferenceOnly.Value && Sgemm512.IsSupported && device.type == DeviceType.CPU;

    /// <summary>Whether this forward pass, over [T, B, I] <paramref name="input"/>, runs the fused layers.</summary>
    public static bool AppliesTo(Tensor input, bool training, long hidden, int gates) =>
        training && is_grad_enabled() && AppliesTo(input.device) && input.dtype == ScalarType.Float32 && input.dim() == 3
        && input.shape[0] > 0 && input.shape[1] > 0
        // Spans over tensor memory are int-sized.
        && input.shape[0] * input.shape[1] * Math.Max(input.shape[2], gates * hidden) <= int.MaxValue / sizeof(float);
}
