using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The fused SRU recurrence as a TorchSharp autograd function, so that <c>loss.backward()</c> runs
/// <see cref="SruKernel.Backward"/>. Arguments to <c>apply</c>: u [T, B, k, H], bias [2H], the external
/// skip [T, B, H] or null, and the <see cref="SruSkip"/> source; all tensors contiguous float32 on the CPU.
/// Saved for the backward: u, bias and the skip (references to the inputs, no copies) and c for every
/// step [T, B, H], the only extra memory. They are held by the autograd graph and released with it,
/// when the output and the loss built on it are disposed.
/// </summary>
/// <remarks>TorchSharp keeps one shared instance per function type, so this class must stay stateless.</remarks>
internal sealed class SruRecurrenceFunction : autograd.SingleTensorFunction<SruRecurrenceFunction>
{
    private const string SkipKey = "skip";

    public override string Name => nameof(SruRecurrenceFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var u = (Tensor)vars[0];
        var bias = (Tensor)vars[1];
        var skipTensor = vars[2] as Tensor;
        var skip = (SruSkip)vars[3];

        Tensor states = empty(u.shape[0], u.shape[1], u.shape[3]);
        Tensor h = FusedSruRecurrence.RunForward(u, bias, skipTensor, skip, states);
        ctx.save_for_backward(new List<Tensor> { u, bias, skipTensor!, states });
        ctx.save_data(SkipKey, skip);
        return h;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        // The unpacked saved tensors and a contiguous copy of the incoming gradient are temporaries;
        // only the returned gradients leave this scope, into the caller's (the one around backward()).
        using var scope = NewDisposeScope();
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor u = saved[0], bias = saved[1], states = saved[3];
        Tensor? skipTensor = saved[2];
        var skip = (SruSkip)ctx.get_data(SkipKey);

        Tensor gradU = empty_like(u);
        Tensor gradBias = empty_like(bias);
        Tensor? gradSkip = skip == SruSkip.External ? empty_like(skipTensor!) : null;
        FusedSruRecurrence.RunBackward(u, bias, skipTensor, skip, states, grad_output.contiguous(), gradU, gradBias, gradSkip);

        scope.MoveToOuter(gradU, gradBias);
        if (gradSkip is not null)
            scope.MoveToOuter(gradSkip);
        // One entry per forward argument: null for the skip when it was not a tensor, and for the SruSkip.
        return new List<Tensor> { gradU, gradBias, gradSkip!, null! };
    }
}
