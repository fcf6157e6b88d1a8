using System.Buffers;
using System.Runtime.CompilerServices;
using KernelThreads = Microsoft.ML.Sru.Runtime.KernelThreads;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The time loops of a fused LSTM/GRU layer over raw float32 memory, for <see cref="RnnLayerFunction{TCell}"/>. The
/// batch's sequences are independent, so each pass splits the batch into contiguous parts, one per core, and each part
/// runs all its steps alone: per step its rows' recurrent product on <see cref="Sgemm512"/> (single-threaded, [B/2, H]
/// by [H, Gates·H]) and the cell's gate math in Vector512 lanes, with no synchronisation between steps.
/// All matrices are row-major; rows are time-major (row t·B + b).
/// </summary>
internal sealed unsafe class FusedRnnKernel<TCell>
    where TCell : struct, IRecurrentCell
{
    /// <summary>Below this many recurrence elements (T·B·H) a pass runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1 << 16;

    private readonly int _steps, _batch, _hidden, _width;

    public FusedRnnKernel(int steps, int batch, int hidden)
    {
        _steps = steps;
        _batch = batch;
        _hidden = hidden;
        _width = TCell.Gates * hidden;
    }

    /// <summary>[T·B, Gates·H]: x·W_ih^T in, the gates' activations out (forward); read by the backward.</summary>
    public float* Gates { get; init; }

    /// <summary>[T·B, H]: the cell's saved state (see <see cref="RnnRowForward.State"/>).</summary>
    public float* States { get; init; }

    /// <summary>[T·B, H]: h at every step.</summary>
    public float* Hidden { get; init; }

    /// <summary>[H, Gates·H]: W_hh^T, for the forward's recurrent product.</summary>
    public float* HiddenWeightsTransposed { get; init; }

    /// <summary>[Gates·H, H]: W_hh as nn.LSTM/nn.GRU keep it, for the backward's dh_{t−1} = dG_t·W_hh.</summary>
    public float* HiddenWeights { get; init; }

    public float* InputBias { get; init; }

    public float* HiddenBias { get; init; }

    /// <summary>[T·B, H]: dL/dh from the layer's output (backward).</summary>
    public float* OutputGradient { get; init; }

    /// <summary>[T·B, Gates·H] out: dL/d(x·W_ih^T + b_ih) (backward).</summary>
    public float* InputGateGradient { get; init; }

    /// <summary>[T·B, Gates·H] out: dL/d(h·W_hh^T + b_hh); the same memory as <see cref="InputGateGradient"/> unless the cell keeps the hidden product apart.</summary>
    public float* HiddenGateGradient { get; init; }

    private int Parts => (long)_steps * _batch * _hidden < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount, _batch);

    private int PartStart(int part, int parts) => (int)((long)_batch * part / parts);

    public void Forward()
    {
        int parts = Parts;
        KernelThreads.For(parts, part => ForwardRange(PartStart(part, parts), PartStart(part + 1, parts)));
    }

    public void Backward()
    {
        int parts = Parts;
        KernelThreads.For(parts, part => BackwardRange(PartStart(part, parts), PartStart(part + 1, parts)));
    }

    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRange(int first, int end)
    {
        int rows = end - first, hidden = _hidden, width = _width;
        // Per-part scratch: zeros for t = 0, and the recurrent product of a cell that keeps it apart.
        float[] zeros = ArrayPool<float>.Shared.Rent(width);
        float[] product = ArrayPool<float>.Shared.Rent(TCell.HiddenProductApart ? rows * width : 1);
        try
        {
            Array.Clear(zeros, 0, width);
            fixed (float* zero = zeros, apart = product)
            {
                for (int t = 0; t < _steps; t++)
                {
                    long firstRow = (long)t * _batch + first;
                    float* gates = Gates + firstRow * width;
                    if (t > 0)
                    {
                        float* previous = Hidden + (firstRow - _batch) * hidden;
                        Sgemm512.Multiply(new StridedMatrix(previous, hidden, 1), new StridedMatrix(HiddenWeightsTransposed, width, 1),
                            TCell.HiddenProductApart ? apart : gates, rows, hidden, width, singleThreaded: true, accumulate: !TCell.HiddenProductApart);
                    }
                    for (int b = 0; b < rows; b++)
                    {
                        long row = firstRow + b;
                        var step = new RnnRowForward
                        {
                            Gates = gates + (long)b * width,
                            HiddenProduct = !TCell.HiddenProductApart ? null : t > 0 ? apart + (long)b * width : zero,
                            InputBias = InputBias,
                            HiddenBias = HiddenBias,
                            HiddenPrevious = t > 0 ? Hidden + (row - _batch) * hidden : zero,
                            StatePrevious = t > 0 ? States + (row - _batch) * hidden : zero,
                            State = States + row * hidden,
                            Hidden = Hidden + row * hidden,
                            Width = hidden,
                        };
                        int j = 0;
                        for (; j + FloatVector512.Count <= hidden; j += FloatVector512.Count)
                            TCell.Forward<FloatVector512>(step, j);
                        for (; j < hidden; j++)
                            TCell.Forward<FloatScalar>(step, j);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(zeros);
            ArrayPool<float>.Shared.Return(product);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardRange(int first, int end)
    {
        int rows = end - first, hidden = _hidden, width = _width;
        float[] zeros = ArrayPool<float>.Shared.Rent(hidden);
        // dL/dh_t and dL/dc_t through step t + 1, per row of the part.
        float[] hiddenCarry = ArrayPool<float>.Shared.Rent(rows * hidden);
        float[] stateCarry = ArrayPool<float>.Shared.Rent(rows * hidden);
        try
        {
            Array.Clear(zeros, 0, hidden);
            Array.Clear(hiddenCarry, 0, rows * hidden);
            Array.Clear(stateCarry, 0, rows * hidden);
            fixed (float* zero = zeros, carry = hiddenCarry, cellCarry = stateCarry)
            {
                for (int t = _steps - 1; t >= 0; t--)
                {
                    long firstRow = (long)t * _batch + first;
                    for (int b = 0; b < rows; b++)
                    {
                        long row = firstRow + b;
                        var step = new RnnRowBackward
                        {
                            Gates = Gates + row * width,
                            State = States + row * hidden,
                            StatePrevious = t > 0 ? States + (row - _batch) * hidden : zero,
                            HiddenPrevious = t > 0 ? Hidden + (row - _batch) * hidden : zero,
                            OutputGradient = OutputGradient + row * hidden,
                            HiddenCarry = carry + (long)b * hidden,
                            StateCarry = cellCarry + (long)b * hidden,
                            InputGateGradient = InputGateGradient + row * width,
                            HiddenGateGradient = HiddenGateGradient + row * width,
                            Width = hidden,
                        };
                        int j = 0;
                        for (; j + FloatVector512.Count <= hidden; j += FloatVector512.Count)
                            TCell.Backward<FloatVector512>(step, j);
                        for (; j < hidden; j++)
                            TCell.Backward<FloatScalar>(step, j);
                    }
                    // dL/dh_{t−1} through W_hh: added to the part that bypasses it, or the whole of it.
                    if (t > 0)
                        Sgemm512.Multiply(new StridedMatrix(HiddenGateGradient + firstRow * width, width, 1), new StridedMatrix(HiddenWeights, hidden, 1),
                            carry, rows, width, hidden, singleThreaded: true, accumulate: TCell.HiddenProductApart);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(zeros);
            ArrayPool<float>.Shared.Return(hiddenCarry);
            ArrayPool<float>.Shared.Return(stateCarry);
        }
    }
}
