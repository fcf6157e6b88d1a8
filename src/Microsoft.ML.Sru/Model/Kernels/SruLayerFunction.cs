using Microsoft.ML.Sru.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// A one-direction SRU layer, projection and recurrence, as one TorchSharp autograd function: the forward is
/// U = X·W (<see cref="Sgemm512"/>) and <see cref="SruKernel.Forward"/>; the backward runs <see cref="SruKernel.Backward"/>
/// with a <see cref="ProjectionGradientSink"/>, so that dL/du never goes to memory whole, and the skip gradient (skip = X)
/// is added into dX in place rather than by a separate autograd sum.
/// Arguments to <c>apply</c>: x [T·B, I] and w [I, k·H] contiguous float32 on the CPU, bias [2·H], the cell-state
/// weights [2·H] or null, the <see cref="SruSkip"/> source (<see cref="SruSkip.External"/> meaning x itself, I = H),
/// the <see cref="SruActivation"/>, T, H, and whether only the last step's h is wanted. Returns h [T, B, 1, H], or the
/// last step's, [B, 1, H]; then the steps before the last compute and differentiate only the z and f blocks of U, the
/// only ones their c depends on (a third fewer multiply-adds in the layer's three products, half with k = 4).
/// </summary>
/// <remarks>TorchSharp keeps one shared instance per function type, so this class must stay stateless.</remarks>
internal sealed class SruLayerFunction : autograd.SingleTensorFunction<SruLayerFunction>
{
    private const string SkipKey = "skip", ActivationKey = "activation", CellWeightsKey = "cellWeights", StepsKey = "steps", InputGradientKey = "x.requires_grad",
        LastStepKey = "lastStepOnly";

    public override string Name => nameof(SruLayerFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var w = (Tensor)vars[1];
        var bias = (Tensor)vars[2];
        var cellWeights = vars[3] as Tensor;
        var skip = (SruSkip)vars[4];
        var activation = (SruActivation)vars[5];
        long steps = (long)vars[6];
        int hidden = (int)vars[7];
        bool lastStepOnly = (bool)vars[8];
        long batch = x.shape[0] / steps;
        long blocks = w.shape[1] / hidden;

        // Only the last step's h is read: before it, c needs z and f alone (the kernel reads nothing else of U there), and
        // r and x' get no gradient.
        Tensor u = (lastStepOnly ? FusedMatMul.Run(x, w, (int)((steps - 1) * batch), 2 * hidden) : FusedMatMul.Run(x, w)).view(steps, batch, 1, blocks, hidden);
        Tensor states = TensorPool.Empty(steps, batch, 1, hidden);
        Tensor? external = skip == SruSkip.External ? x.view(steps, batch, 1, hidden) : null;
        Tensor h = FusedSruRecurrence.RunForward(u, bias, cellWeights, external, skip, activation, states, lastStepOnly);
        ctx.save_for_backward(new List<Tensor> { x, w, u, bias, cellWeights!, states });
        ctx.save_data(SkipKey, skip);
        ctx.save_data(ActivationKey, activation);
        ctx.save_data(CellWeightsKey, cellWeights is not null);
        ctx.save_data(StepsKey, steps);
        ctx.save_data(InputGradientKey, x.requires_grad);
        ctx.save_data(LastStepKey, lastStepOnly);
        return h;
    }

    public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor x = saved[0], w = saved[1], u = saved[2], bias = saved[3], states = saved[5];
        Tensor? cellWeights = (bool)ctx.get_data(CellWeightsKey) ? saved[4] : null;
        var skip = (SruSkip)ctx.get_data(SkipKey);
        var activation = (SruActivation)ctx.get_data(ActivationKey);
        bool inputGradient = (bool)ctx.get_data(InputGradientKey);
        int steps = (int)(long)ctx.get_data(StepsKey);
        int rows = (int)x.shape[0], inputSize = (int)x.shape[1], width = (int)w.shape[1];
        int batch = rows / steps, hidden = (int)u.shape[4];

        // The kernel writes dL/dskip into dX's rows when the skip is x itself, so dX is needed then in any case (as
        // scratch when x needs no gradient: then no dU·W^T is added).
        Tensor? gradX = inputGradient || skip == SruSkip.External ? TensorPool.Empty(rows, inputSize) : null;
        Tensor? weightTransposed = inputGradient ? w.t().contiguous() : null;
        Tensor gradW = empty(inputSize, width);
        Tensor gradBias = empty_like(bias);
        Tensor? gradCellWeights = cellWeights is null ? null : empty_like(cellWeights);
        int parts = SruKernel.PartsFor(steps, batch, 1, hidden);
        bool lastStepOnly = (bool)ctx.get_data(LastStepKey);
        using (var sink = new ProjectionGradientSink(TensorMemory.Pointer(x), weightTransposed is null ? null : TensorMemory.Pointer(weightTransposed),
            inputGradient ? TensorMemory.Pointer(gradX!) : null, skip == SruSkip.External, parts, batch, inputSize, width,
            earlyColumns: lastStepOnly ? 2 * hidden : width, lastStep: steps - 1))
        {
            FusedSruRecurrence.RunBackward(u, bias, cellWeights, skip == SruSkip.External ? x : null, skip, activation, states, grad_output.contiguous(),
                gradU: null, gradBias, gradCellWeights, gradSkip: skip == SruSkip.External ? gradX : null, sink, lastStepOnly);
            sink.SumWeightGradient(new Span<float>(TensorMemory.Pointer(gradW), inputSize * width));
        }

        scope.MoveToOuter(gradW, gradBias);
        // Scratch for dL/dskip when x needs no gradient: it dies with this scope.
        if (inputGradient)
            scope.MoveToOuter(gradX!);
        if (gradCellWeights is not null)
            scope.MoveToOuter(gradCellWeights);
        // One entry per forward argument: null for x when it needs no gradient, for absent tensors and the settings.
        return new List<Tensor> { inputGradient ? gradX! : null!, gradW, gradBias, gradCellWeights!, null!, null!, null!, null!, null! };
    }
}
