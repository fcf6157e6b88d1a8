using Microsoft.ML.Sru.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The fused SRU recurrence as a TorchSharp autograd function, so that <c>loss.backward()</c> runs
/// <see cref="SruKernel.Backward"/>. Arguments to <c>apply</c>: u [T, B, D, k, H], bias [2·D·H], the cell-state
/// weights [2·D·H] or null, the external skip [T, B, D, H] or null, the <see cref="SruSkip"/> source and the
/// <see cref="SruActivation"/>, and each sequence's length (int[] [B]) or null; all tensors contiguous float32 on the CPU.
/// Saved for the backward: the input tensors (references, no copies) and c for every step [T, B, D, H], the only
/// extra memory. They are held by the autograd graph and released with it, when the output and the loss built on
/// it are disposed.
/// </summary>
/// <remarks>TorchSharp keeps one shared instance per function type, so this class must stay stateless.</remarks>
internal sealed class SruRecurrenceFunction : autograd.SingleTensorFunction<SruRecurrenceFunction>
{
    private const string SkipKey = "skip";
    private const string ActivationKey = "activation";
    private const string CellWeightsKey = "cellWeights";
    private const string LengthsKey = "lengths";

    public override string Name => nameof(SruRecurrenceFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var u = (Tensor)vars[0];
        var bias = (Tensor)vars[1];
        var cellWeights = vars[2] as Tensor;
        var skipTensor = vars[3] as Tensor;
        var skip = (SruSkip)vars[4];
        var activation = (SruActivation)vars[5];
        var lengths = vars.Length > 6 ? vars[6] as int[] : null;

        Tensor states = TensorPool.Empty(u.shape[0], u.shape[1], u.shape[2], u.shape[4]);
        Tensor h = FusedSruRecurrence.RunForward(u, bias, cellWeights, skipTensor, skip, activation, states, lengths: lengths);
        ctx.save_for_backward(new List<Tensor> { u, bias, cellWeights!, skipTensor!, states });
        ctx.save_data(SkipKey, skip);
        ctx.save_data(ActivationKey, activation);
        ctx.save_data(LengthsKey, lengths!);
        // Whether v was given: a saved null does not necessarily come back as null.
        ctx.save_data(CellWeightsKey, cellWeights is not null);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // The unpacked saved tensors and a contiguous copy of the incoming gradient are temporaries;
        // only the returned gradients leave this scope, into the caller's (the one around backward()).
        using var scope = NewDisposeScope();
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor u = saved[0], bias = saved[1], states = saved[4];
        Tensor? cellWeights = (bool)ctx.get_data(CellWeightsKey) ? saved[2] : null;
        Tensor? skipTensor = saved[3];
        var skip = (SruSkip)ctx.get_data(SkipKey);
        var activation = (SruActivation)ctx.get_data(ActivationKey);
        var lengths = ctx.get_data(LengthsKey) as int[];

        Tensor gradU = TensorPool.Empty(u.shape);
        Tensor gradBias = empty_like(bias);
        Tensor? gradCellWeights = cellWeights is null ? null : empty_like(cellWeights);
        Tensor? gradSkip = skip == SruSkip.External ? TensorPool.Empty(skipTensor!.shape) : null;
        FusedSruRecurrence.RunBackward(u, bias, cellWeights, skipTensor, skip, activation, states, grad_output.contiguous(),
            gradU, gradBias, gradCellWeights, gradSkip, lengths: lengths);

        scope.MoveToOuter(gradU, gradBias);
        if (gradCellWeights is not null)
            scope.MoveToOuter(gradCellWeights);
        if (gradSkip is not null)
            scope.MoveToOuter(gradSkip);
        // One entry per forward argument: null for tensors that were not given, and for the three settings.
        return new List<Tensor> { gradU, gradBias, gradCellWeights!, gradSkip!, null!, null!, null! };
    }
}
