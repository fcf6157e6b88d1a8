using System.Diagnostics;
using Microsoft.ML.Sru.Runtime;
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

    public Tensor Forward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip, SruActivation activation, int[]? lengths = null)
    {
        if (!CanFuse(u, bias, cellWeights, skip))
            return SruRecurrence.Reference.Forward(u, bias, cellWeights, skip, activation, lengths);

        if (!u.is_contiguous())
            u = u.contiguous();
        if (!bias.is_contiguous())
            bias = bias.contiguous();
        if (cellWeights is not null && !cellWeights.is_contiguous())
            cellWeights = cellWeights.contiguous();

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

        bool needsGradient = is_grad_enabled()
            && (u.requires_grad || bias.requires_grad || cellWeights?.requires_grad == true || external?.requires_grad == true);
        if (needsGradient)
            return SruRecurrenceFunction.apply(u, bias, cellWeights!, external!, source, activation, lengths!);
        return RunForward(u, bias, cellWeights, external, source, activation, states: null, lengths: lengths);
    }

    /// <summary>
    /// The whole one-direction layer as <see cref="SruLayerFunction"/> when training on a machine with the AVX-512 GEMM;
    /// null otherwise (inference has nothing to fuse in the backward; the caller runs <see cref="Project"/> and <see cref="Forward"/>).
    /// </summary>
    public Tensor? ForwardLayer(Tensor rows, Tensor weight, Tensor bias, Tensor? cellWeights, SruSkip skip, SruActivation activation, long steps, int hidden,
        bool lastStepOnly = false)
    {
        if (!Sgemm512.IsSupported || !is_grad_enabled() || !(rows.requires_grad || weight.requires_grad || bias.requires_grad || cellWeights?.requires_grad == true))
            return null;
        // Another device or dtype runs the two parts; a shape that does not fit is a caller's bug, since the layer's plan
        // (SruLayerPlan.WhyNotFused) decides what reaches here.
        if (!FusedMatMul.CanRun(rows, weight))
            return null;
        long batch = steps > 0 ? rows.shape[0] / steps : 0, blocks = hidden > 0 ? weight.shape[1] / hidden : 0;
        bool fits = hidden > 0 && steps > 0 && batch > 0 && rows.shape[0] % steps == 0 && weight.shape[1] % hidden == 0
            && blocks is >= 3 and <= 4 && (skip != SruSkip.UBlock || blocks == 4) && (skip != SruSkip.External || rows.shape[1] == hidden)
            && IsGateVector(bias, 1, hidden) && (cellWeights is null || IsGateVector(cellWeights, 1, hidden));
        Debug.Assert(fits, $"The fused SRU layer got shapes its plan rules out: rows {string.Join('x', rows.shape)}, weight {string.Join('x', weight.shape)}, hidden {hidden}, steps {steps}, skip {skip}.");
        if (!fits)
            return null;
        return SruLayerFunction.apply(rows.is_contiguous() ? rows : rows.contiguous(), weight.is_contiguous() ? weight : weight.contiguous(),
            bias.is_contiguous() ? bias : bias.contiguous(), cellWeights is null || cellWeights.is_contiguous() ? cellWeights! : cellWeights.contiguous(),
            skip, activation, steps, hidden, lastStepOnly);
    }

    /// <summary>Whether the kernel handles these tensors: float32 on the CPU, consistent shapes, int-sized.</summary>
    internal static bool CanFuse(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip)
    {
        if (!IsCpuFloat(u) || u.dim() != 5)
            return false;
        long steps = u.shape[0], batch = u.shape[1], directions = u.shape[2], blocks = u.shape[3], hidden = u.shape[4];
        if (directions is < 1 or > 2 || blocks < 3 || steps == 0 || batch == 0 || hidden == 0)
            return false;
        // Tensor.bytes spans are int-sized.
        if (u.numel() > int.MaxValue / sizeof(float))
            return false;
        if (!IsGateVector(bias, directions, hidden) || (cellWeights is not null && !IsGateVector(cellWeights, directions, hidden)))
            return false;
        if (skip is not null && (!IsCpuFloat(skip) || !skip.shape.SequenceEqual(new[] { steps, batch, directions, hidden })))
            return false;
        return true;
    }

    private static bool IsCpuFloat(Tensor tensor) => tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32;

    private static bool IsGateVector(Tensor tensor, long directions, long hidden) =>
        IsCpuFloat(tensor) && tensor.dim() == 1 && tensor.shape[0] == 2 * directions * hidden;

    /// <summary>
    /// True when <paramref name="skip"/> is u[:, :, :, 3, :] (what <see cref="SruLayer"/> passes when the
    /// input size differs from the output size): same memory, same geometry and the same autograd
    /// status, so its gradient may go into u's fourth block directly. Anything else is treated as a
    /// separate tensor, which is always correct, only slower.
    /// </summary>
    internal static unsafe bool IsFourthBlockOf(Tensor skip, Tensor u)
    {
        long steps = u.shape[0], batch = u.shape[1], directions = u.shape[2], blocks = u.shape[3], hidden = u.shape[4];
        if (blocks < 4 || skip.requires_grad != u.requires_grad || !u.is_contiguous())
            return false;
        long[] stride = skip.stride();
        long row = blocks * hidden;
        if ((steps > 1 && stride[0] != batch * directions * row) || (batch > 1 && stride[1] != directions * row)
            || (directions > 1 && stride[2] != row) || (hidden > 1 && stride[3] != 1))
            return false;
        using (no_grad())
        {
            // A one-element view at skip's first element gives its address; u is contiguous, so it has one.
            using Tensor first = skip.as_strided(new long[] { 1 }, new long[] { 1 }, skip.storage_offset());
            return TensorMemory.Pointer(first) == TensorMemory.Pointer(u) + 3 * hidden;
        }
    }

    /// <summary>Runs <see cref="SruKernel.Forward"/>; <paramref name="states"/> receives c for the backward, or is null.</summary>
    internal static unsafe Tensor RunForward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? external, SruSkip source, SruActivation activation, Tensor? states,
        bool lastStepOnly = false, int[]? lengths = null)
    {
        SruKernelArguments arguments = Describe(u, bias, cellWeights, external, source, activation);
        arguments.LastStepOnly = lastStepOnly;
        Tensor h = lastStepOnly
            ? TensorPool.Empty(arguments.Batch, arguments.Directions, arguments.Hidden)
            : TensorPool.Empty(arguments.Steps, arguments.Batch, arguments.Directions, arguments.Hidden);
        arguments.H = TensorMemory.Pointer(h);
        arguments.States = PointerOrNull(states);
        fixed (int* sequenceLengths = lengths)
        {
            arguments.Lengths = sequenceLengths;
            SruKernel.Forward(arguments);
        }
        return h;
    }

    /// <summary>
    /// Runs <see cref="SruKernel.Backward"/> into the preallocated gradient tensors; with a <paramref name="sink"/>,
    /// dL/du goes to it step by step and <paramref name="gradU"/> is null.
    /// </summary>
    internal static unsafe void RunBackward(
        Tensor u, Tensor bias, Tensor? cellWeights, Tensor? external, SruSkip source, SruActivation activation, Tensor states,
        Tensor gradH, Tensor? gradU, Tensor gradBias, Tensor? gradCellWeights, Tensor? gradSkip, ISruStepSink? sink = null, bool lastStepOnly = false,
        int[]? lengths = null)
    {
        SruKernelArguments arguments = Describe(u, bias, cellWeights, external, source, activation);
        arguments.LastStepOnly = lastStepOnly;
        arguments.States = TensorMemory.Pointer(states);
        arguments.GradH = TensorMemory.Pointer(gradH);
        arguments.GradU = PointerOrNull(gradU);
        arguments.StepSink = sink;
        arguments.GradBias = TensorMemory.Pointer(gradBias);
        arguments.GradCellWeights = PointerOrNull(gradCellWeights);
        arguments.GradSkip = PointerOrNull(gradSkip);
        fixed (int* sequenceLengths = lengths)
        {
            arguments.Lengths = sequenceLengths;
            SruKernel.Backward(arguments);
        }
    }

    private static unsafe SruKernelArguments Describe(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? external, SruSkip source, SruActivation activation) => new()
    {
        U = TensorMemory.Pointer(u),
        Bias = TensorMemory.Pointer(bias),
        CellWeights = PointerOrNull(cellWeights),
        ExternalSkip = PointerOrNull(external),
        Skip = source,
        Activation = activation,
        Steps = (int)u.shape[0],
        Batch = (int)u.shape[1],
        Directions = (int)u.shape[2],
        Blocks = (int)u.shape[3],
        Hidden = (int)u.shape[4],
    };

    private static unsafe float* PointerOrNull(Tensor? tensor) => tensor is null ? null : TensorMemory.Pointer(tensor);
}
