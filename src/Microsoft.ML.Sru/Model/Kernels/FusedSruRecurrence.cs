using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The SRU recurrence as one fused CPU kernel (<see cref="SruKernel"/>): one pass over time forward,
/// one reverse pass backward, instead of a few TorchSharp ops per step. Used for float32 tensors on
/// the CPU; anything else goes to <see cref="SruRecurrence.Reference"/>.
/// With gradients enabled it runs as the autograd function <see cref="SruRecurrenceFunction"/>; without
/// (inference, or no input requiring a gradient) it runs the kernel directly and keeps nothing.
/// </summary>
internal sealed class FusedSruRecurrence : ISruRecurrence
{
    public static readonly FusedSruRecurrence Instance = new();

    private FusedSruRecurrence()
    {
    }

    public Tensor Project(Tensor input, Tensor weight) => FusedMatMul.Multiply(input, weight);

    public Tensor Forward(Tensor u, Tensor bias, Tensor? skip)
    {
        if (!CanFuse(u, bias, skip))
            return SruRecurrence.Reference.Forward(u, bias, skip);

        if (!u.is_contiguous())
            u = u.contiguous();
        if (!bias.is_contiguous())
            bias = bias.contiguous();

        SruSkip source = SruSkip.None;
        Tensor? external = null;
        if (skip is not null)
        {
            if (IsFourthBlockOf(skip, u))
            {
                // x' is read from u in place, and its gradient written straight into dL/du.
                source = SruSkip.UBlock;
            }
            else
            {
                source = SruSkip.External;
                // Outside the autograd function, so that a copy's gradient flows back to the original.
                external = skip.is_contiguous() ? skip : skip.contiguous();
            }
        }

        bool needsGradient = is_grad_enabled() && (u.requires_grad || bias.requires_grad || external?.requires_grad == true);
        if (needsGradient)
            return SruRecurrenceFunction.apply(u, bias, external!, source);
        return RunForward(u, bias, external, source, states: null);
    }

    /// <summary>Whether the kernel handles these tensors: float32 on the CPU, consistent shapes, int-sized.</summary>
    internal static bool CanFuse(Tensor u, Tensor bias, Tensor? skip)
    {
        if (u.device_type != DeviceType.CPU || u.dtype != ScalarType.Float32 || u.dim() != 4)
            return false;
        long steps = u.shape[0], batch = u.shape[1], blocks = u.shape[2], hidden = u.shape[3];
        if (blocks < 3 || steps == 0 || batch == 0 || hidden == 0)
            return false;
        // Tensor.bytes spans are int-sized.
        if (u.numel() > int.MaxValue / sizeof(float))
            return false;
        if (bias.device_type != DeviceType.CPU || bias.dtype != ScalarType.Float32 || bias.dim() != 1 || bias.shape[0] != 2 * hidden)
            return false;
        if (skip is not null && (skip.device_type != DeviceType.CPU || skip.dtype != ScalarType.Float32 || skip.dim() != 3
            || skip.shape[0] != steps || skip.shape[1] != batch || skip.shape[2] != hidden))
            return false;
        return true;
    }

    /// <summary>
    /// True when <paramref name="skip"/> is u[:, :, 3, :] (what <see cref="SruLayer"/> passes when the
    /// input size differs from the hidden size): same memory, same geometry and the same autograd
    /// status, so its gradient may go into u's fourth block directly. Anything else is treated as a
    /// separate tensor, which is always correct, only slower.
    /// </summary>
    internal static unsafe bool IsFourthBlockOf(Tensor skip, Tensor u)
    {
        long steps = u.shape[0], batch = u.shape[1], blocks = u.shape[2], hidden = u.shape[3];
        if (blocks < 4 || skip.requires_grad != u.requires_grad || !u.is_contiguous())
            return false;
        long[] stride = skip.stride();
        if ((steps > 1 && stride[0] != batch * blocks * hidden) || (batch > 1 && stride[1] != blocks * hidden) || (hidden > 1 && stride[2] != 1))
            return false;
        using (no_grad())
        {
            // A one-element view at skip's first element gives its address; u is contiguous, so it has one.
            using Tensor first = skip.as_strided(new long[] { 1 }, new long[] { 1 }, skip.storage_offset());
            return Pointer(first) == Pointer(u) + 3 * hidden;
        }
    }

    /// <summary>Runs <see cref="SruKernel.Forward"/>; <paramref name="states"/> receives c for the backward, or is null.</summary>
    internal static unsafe Tensor RunForward(Tensor u, Tensor bias, Tensor? external, SruSkip source, Tensor? states)
    {
        int steps = (int)u.shape[0], batch = (int)u.shape[1], blocks = (int)u.shape[2], hidden = (int)u.shape[3];
        Tensor h = empty(steps, batch, hidden);
        SruKernel.Forward(
            Pointer(u), Pointer(bias), external is null ? null : Pointer(external), source, Pointer(h),
            states is null ? null : Pointer(states), steps, batch, blocks, hidden);
        return h;
    }

    /// <summary>Runs <see cref="SruKernel.Backward"/> into the preallocated gradient tensors.</summary>
    internal static unsafe void RunBackward(
        Tensor u, Tensor bias, Tensor? external, SruSkip source, Tensor states, Tensor gradH, Tensor gradU, Tensor gradBias, Tensor? gradSkip)
    {
        int steps = (int)u.shape[0], batch = (int)u.shape[1], blocks = (int)u.shape[2], hidden = (int)u.shape[3];
        SruKernel.Backward(
            Pointer(u), Pointer(bias), external is null ? null : Pointer(external), source, Pointer(states), Pointer(gradH),
            Pointer(gradU), Pointer(gradBias), gradSkip is null ? null : Pointer(gradSkip), steps, batch, blocks, hidden);
    }

    /// <summary>The address of a contiguous CPU tensor's first element; valid while the tensor is alive.</summary>
    private static unsafe float* Pointer(Tensor tensor)
    {
        fixed (byte* data = tensor.bytes)
            return (float*)data;
    }
}
