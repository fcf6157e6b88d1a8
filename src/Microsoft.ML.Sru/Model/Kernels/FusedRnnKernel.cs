using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using KernelThreads = Microsoft.ML.Sru.Runtime.KernelThreads;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The time loops of a fused LSTM/GRU layer over raw float32 memory, for <see cref="RnnLayerFunction{TCell}"/>. The
/// batch's sequences are independent, so each pass splits the batch into contiguous parts, one per core, and each part
/// runs all its steps alone: per step its rows' input and recurrent products on <see cref="Sgemm512"/> (single-threaded,
/// [B/2, I] by [I, Gates·H] and [B/2, H] by [H, Gates·H]) and the cell's gate math in Vector512 lanes, with no
/// synchronisation between steps. The input's product is taken step by step, into a part's scratch that stays in
/// cache, rather than for all steps at once: the gates of a whole sequence are several megabytes, and passes over them
/// in memory (the product's, the recurrent product's, the gate math's) cost more than the larger product saved.
/// All matrices are row-major; rows are time-major (row t·B + b).
/// </summary>
internal sealed unsafe class FusedRnnKernel<TCell>
    where TCell : struct, IRecurrentCell
{
    /// <summary>Below this many recurrence elements (T·B·H) a pass runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1 << 16;

    private readonly int _steps, _batch, _hidden, _width, _inputSize;

    public FusedRnnKernel(int steps, int batch, int hidden, int inputSize)
    {
        _steps = steps;
        _batch = batch;
        _hidden = hidden;
        _width = TCell.Gates * hidden;
        _inputSize = inputSize;
    }

    /// <summary>
    /// Columns of the forward's products: Gates·H rounded up to a multiple of 32, so that <see cref="Sgemm512"/> runs
    /// on the weights as they are rather than copying them into padded form every step. The weights the forward reads
    /// (<see cref="InputWeightsTransposed"/>, <see cref="HiddenWeightsTransposed"/>) have this many columns, the ones
    /// past Gates·H zero.
    /// </summary>
    public static int ProductWidth(int hidden) => (TCell.Gates * hidden + 31) / 32 * 32;

    /// <summary>[T·B, I]: the layer's input x (forward).</summary>
    public float* Input { get; init; }

    /// <summary>[I, <see cref="ProductWidth"/>]: W_ih^T, for the forward's input product.</summary>
    public float* InputWeightsTransposed { get; init; }

    /// <summary>[T·B, Gates·H]: the gates' activations, written by the forward and read by the backward.</summary>
    public float* Gates { get; init; }

    /// <summary>[T·B, H]: the cell's saved state (see <see cref="RnnRowForward.State"/>).</summary>
    public float* States { get; init; }

    /// <summary>[T·B, H]: h at every step.</summary>
    public float* Hidden { get; init; }

    /// <summary>[H, <see cref="ProductWidth"/>]: W_hh^T, for the forward's recurrent product.</summary>
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

    /// <summary>[Gates·H] out: dL/db_ih, the column sums of <see cref="InputGateGradient"/> (backward).</summary>
    public float* InputBiasGradient { get; init; }

    /// <summary>[Gates·H] out: dL/db_hh, the column sums of <see cref="HiddenGateGradient"/> (backward).</summary>
    public float* HiddenBiasGradient { get; init; }

    private int Parts => (long)_steps * _batch * _hidden < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount, _batch);

    private int PartStart(int part, int parts) => (int)((long)_batch * part / parts);

    public void Forward()
    {
        int parts = Parts;
        KernelThreads.For(parts, part => ForwardRange(PartStart(part, parts), PartStart(part + 1, parts)));
    }

    public void Backward()
    {
        int parts = Parts, width = _width;
        // Each part sums its rows' bias gradients while they are in cache; the parts' sums are added at the end.
        float[] biasSums = ArrayPool<float>.Shared.Rent(parts * 2 * width);
        try
        {
            fixed (float* sums = biasSums)
            {
                float* partSums = sums;
                KernelThreads.For(parts, part => BackwardRange(PartStart(part, parts), PartStart(part + 1, parts), partSums + (long)part * 2 * width));
                for (int column = 0; column < width; column++)
                {
                    float input = 0, hidden = 0;
                    for (int part = 0; part < parts; part++)
                    {
                        input += sums[(long)part * 2 * width + column];
                        hidden += sums[(long)part * 2 * width + width + column];
                    }
                    InputBiasGradient[column] = input;
                    HiddenBiasGradient[column] = TCell.HiddenProductApart ? hidden : input;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(biasSums);
        }
    }

    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardRange(int first, int end)
    {
        int rows = end - first, hidden = _hidden, width = _width, productWidth = ProductWidth(hidden);
        // Per-part scratch, reused every step so that it stays in cache: zeros for t = 0, the step's products (the
        // recurrent one apart for a cell that keeps it so); the gate math writes the activations on to Gates.
        float[] zeros = ArrayPool<float>.Shared.Rent(width);
        float[] inputProduct = ArrayPool<float>.Shared.Rent(rows * productWidth);
        float[] product = ArrayPool<float>.Shared.Rent(TCell.HiddenProductApart ? rows * productWidth : 1);
        try
        {
            Array.Clear(zeros, 0, width);
            fixed (float* zero = zeros, products = inputProduct, apart = product)
            {
                for (int t = 0; t < _steps; t++)
                {
                    long firstRow = (long)t * _batch + first;
                    Sgemm512.Multiply(new StridedMatrix(Input + firstRow * _inputSize, _inputSize, 1), new StridedMatrix(InputWeightsTransposed, productWidth, 1),
                        products, rows, _inputSize, productWidth, singleThreaded: true);
                    if (t > 0)
                    {
                        float* previous = Hidden + (firstRow - _batch) * hidden;
                        Sgemm512.Multiply(new StridedMatrix(previous, hidden, 1), new StridedMatrix(HiddenWeightsTransposed, productWidth, 1),
                            TCell.HiddenProductApart ? apart : products, rows, hidden, productWidth, singleThreaded: true, accumulate: !TCell.HiddenProductApart);
                    }
                    for (int b = 0; b < rows; b++)
                    {
                        long row = firstRow + b;
                        var step = new RnnRowForward
                        {
                            Gates = products + (long)b * productWidth,
                            Activations = Gates + row * width,
                            HiddenProduct = !TCell.HiddenProductApart ? null : t > 0 ? apart + (long)b * productWidth : zero,
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
            ArrayPool<float>.Shared.Return(inputProduct);
            ArrayPool<float>.Shared.Return(product);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardRange(int first, int end, float* biasSums)
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
            new Span<float>(biasSums, 2 * width).Clear();
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
                    AddColumnSums(biasSums, InputGateGradient + firstRow * width, rows, width);
                    if (TCell.HiddenProductApart)
                        AddColumnSums(biasSums + width, HiddenGateGradient + firstRow * width, rows, width);
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

    /// <summary>sum[0..n) += the column sums of rows[0..count, 0..n), dense: 16 columns at a time down all rows, in a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddColumnSums(float* sum, float* rows, int count, int n)
    {
        int j = 0;
        for (; j + Vector512<float>.Count <= n; j += Vector512<float>.Count)
        {
            Vector512<float> total = Vector512.Load(sum + j);
            for (int b = 0; b < count; b++)
                total += Vector512.Load(rows + (long)b * n + j);
            total.Store(sum + j);
        }
        for (; j < n; j++)
        {
            float total = sum[j];
            for (int b = 0; b < count; b++)
                total += rows[(long)b * n + j];
            sum[j] = total;
        }
    }
}
