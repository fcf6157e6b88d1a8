using Microsoft.ML.Sru.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The SRU's projection U = X·W through <see cref="Sgemm512"/> where it applies (float32 on the CPU of a machine
/// with AVX-512), differentiable through <see cref="MatMulFunction"/>; libtorch's matmul everywhere else.
/// </summary>
internal static class FusedMatMul
{
    /// <summary>x [M, K] · w [K, N] → [M, N].</summary>
    public static Tensor Multiply(Tensor x, Tensor w)
    {
        if (!CanRun(x, w))
            return x.matmul(w);
        if (!x.is_contiguous())
            x = x.contiguous();
        if (!w.is_contiguous())
            w = w.contiguous();
        return is_grad_enabled() && (x.requires_grad || w.requires_grad) ? MatMulFunction.apply(x, w) : Run(x, w);
    }

    internal static bool CanRun(Tensor x, Tensor w) =>
        Sgemm512.IsSupported
        && x.device_type == DeviceType.CPU && w.device_type == DeviceType.CPU
        && x.dtype == ScalarType.Float32 && w.dtype == ScalarType.Float32
        && x.dim() == 2 && w.dim() == 2 && x.shape[1] == w.shape[0]
        // Spans over tensor memory are int-sized.
        && x.numel() <= int.MaxValue / sizeof(float) && w.numel() <= int.MaxValue / sizeof(float)
        && x.shape[0] * w.shape[1] <= int.MaxValue / sizeof(float);

    /// <summary>The product without autograd: contiguous float32 CPU operands.</summary>
    internal static Tensor Run(Tensor x, Tensor w) => Run(x, w, earlyRows: 0, earlyColumns: (int)w.shape[1]);

    /// <summary>
    /// The product without autograd where the first <paramref name="earlyRows"/> rows need only their first
    /// <paramref name="earlyColumns"/> columns: only those are computed there, and the rest of these rows is left
    /// unset (pooled memory: whatever it held), for a caller that never reads it.
    /// </summary>
    internal static unsafe Tensor Run(Tensor x, Tensor w, int earlyRows, int earlyColumns)
    {
        int rows = (int)x.shape[0], inner = (int)x.shape[1], columns = (int)w.shape[1];
        Tensor u = TensorPool.Empty(rows, columns);
        Sgemm512.MultiplyEarlyColumns(TensorMemory.Pointer(x), TensorMemory.Pointer(w), TensorMemory.Pointer(u), rows, inner, columns, earlyRows, earlyColumns);
        return u;
    }
}
