using Microsoft.ML.Sru.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// U = X·W on <see cref="Sgemm512"/> as a TorchSharp autograd function: the backward computes dX = dU·W^T
/// (only when X needs it: a first layer's input does not) and dW = X^T·dU with the same kernel, reading the
/// transposes in place. Arguments to <c>apply</c>: x [M, K] and w [K, N], contiguous float32 on the CPU.
/// </summary>
/// <remarks>TorchSharp keeps one shared instance per function type, so this class must stay stateless.</remarks>
internal sealed class MatMulFunction : autograd.SingleTensorFunction<MatMulFunction>
{
    private const string InputGradientKey = "x.requires_grad";

    public override string Name => nameof(MatMulFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var w = (Tensor)vars[1];
        ctx.save_for_backward(new List<Tensor> { x, w });
        ctx.save_data(InputGradientKey, x.requires_grad);
        return FusedMatMul.Run(x, w);
    }

    public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor x = saved[0], w = saved[1];
        Tensor gradU = grad_output.contiguous();
        int rows = (int)x.shape[0], inner = (int)x.shape[1], columns = (int)w.shape[1];

        Tensor gradW = TensorPool.Empty(inner, columns);
        Tensor? gradX = (bool)ctx.get_data(InputGradientKey) ? TensorPool.Empty(rows, inner) : null;
        float* xp = TensorMemory.Pointer(x), wp = TensorMemory.Pointer(w), gp = TensorMemory.Pointer(gradU);
        // dW = X^T·dU: X^T is X read column by column.
        Sgemm512.Multiply(new StridedMatrix(xp, 1, inner), new StridedMatrix(gp, columns, 1), TensorMemory.Pointer(gradW), inner, rows, columns);
        if (gradX is not null)
            Sgemm512.Multiply(new StridedMatrix(gp, columns, 1), new StridedMatrix(wp, 1, columns), TensorMemory.Pointer(gradX), rows, columns, inner);

        scope.MoveToOuter(gradW);
        if (gradX is not null)
            scope.MoveToOuter(gradX);
        return new List<Tensor> { gradX!, gradW };
    }
}
