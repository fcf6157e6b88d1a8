using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A trained LSTM or GRU network (nn.LSTM's / nn.GRU's weights) scoring a row or a batch of rows in plain C#
/// (<see cref="ManagedInference"/>). Per layer: the input's product for every step of every row at once,
/// G = X·W_ih^T, then step by step the rows' recurrent product h_{t−1}·W_hh^T and the cell's gate math
/// (<see cref="LstmCell"/>, <see cref="GruCell"/>: the fused training kernels' own, without what their backward keeps).
/// The head reads the last layer's h at each row's last step.
/// </summary>
internal sealed unsafe class RnnInference : ManagedInference
{
    /// <summary>One layer's weights: W_ih^T [I, G·H] and W_hh^T [H, G·H] for the products, and the biases.</summary>
    private sealed record Layer(ColumnGroups InputWeights, ColumnGroups HiddenWeights, float[] InputBias, float[] HiddenBias, int InputSize);

    private readonly RecurrentCellKind _cell;
    private readonly Layer[] _layers;
    private readonly InferenceHead _head;
    private readonly int _hidden;
    private readonly int _gates;
    private readonly int _classes;

    private RnnInference(NetworkSpec spec, Layer[] layers, InferenceHead head)
        : base(spec.SequenceLength)
    {
        _cell = spec.Cell;
        _layers = layers;
        _head = head;
        _hidden = spec.HiddenSize;
        _gates = spec.Cell == RecurrentCellKind.Lstm ? LstmCell.Gates : GruCell.Gates;
        _classes = spec.HeadWidth;
    }

    /// <summary>Scratch memory for one caller at a time, for up to <see cref="ManagedWorkspace.Rows"/> rows a call.</summary>
    public sealed class Workspace : ManagedWorkspace
    {
        internal Workspace(int rows, int steps, int hidden, int gates)
            : base(rows)
        {
            int cells = rows * steps;
            Gates = new float[cells * gates * hidden];
            Output = new float[cells * hidden];
            NextOutput = new float[cells * hidden];
            State = new float[rows * hidden];
            HiddenProduct = new float[rows * gates * hidden];
            Zeros = new float[gates * hidden];
        }

        /// <summary>[B·T, G·H], batch-major: x·W_ih^T (plus h·W_hh^T for the LSTM) of every step of every row.</summary>
        internal float[] Gates { get; }

        /// <summary>[B·T, H], batch-major: a layer's h at every step; with <see cref="NextOutput"/>, one layer's input and the other's output.</summary>
        internal float[] Output { get; }

        internal float[] NextOutput { get; }

        /// <summary>[B, H]: the LSTM's c, updated in place step by step.</summary>
        internal float[] State { get; }

        /// <summary>[B, G·H]: the GRU's h_{t−1}·W_hh^T, kept apart from the input's product.</summary>
        internal float[] HiddenProduct { get; }

        /// <summary>h_{−1}, c_{−1} and the GRU's recurrent product at t = 0.</summary>
        internal float[] Zeros { get; }
    }

    /// <summary>
    /// The managed scorer for an LSTM or GRU network, or null for other cells. With <paramref name="useGemm"/> false
    /// (for tests) the products take the row updates machines without AVX-512 take.
    /// </summary>
    public static RnnInference? TryCreate(SequenceClassifier network, bool useGemm = true)
    {
        NetworkSpec spec = network.Spec;
        if (spec.Cell is not (RecurrentCellKind.Lstm or RecurrentCellKind.Gru))
            return null;
        int hidden = spec.HiddenSize, width = (spec.Cell == RecurrentCellKind.Lstm ? LstmCell.Gates : GruCell.Gates) * hidden;
        static float[] Values(torch.Tensor tensor) => TensorValues.ToArray(tensor);

        useGemm &= Sgemm512.IsSupported;
        Layer[] layers = network.RnnLayers.Select((w, l) =>
        {
            int input = l == 0 ? spec.StepSize : hidden;
            return new Layer(new ColumnGroups(Values(w.InputWeights), width, input, useGemm), new ColumnGroups(Values(w.HiddenWeights), width, hidden, useGemm),
                Values(w.InputBias), Values(w.HiddenBias), input);
        }).ToArray();
        var state = network.state_dict();
        return new RnnInference(spec, layers, new InferenceHead(state, spec));
    }

    /// <inheritdoc/>
    public override Workspace CreateWorkspace(int rows = 1) => new(rows, Steps, _hidden, _gates);

    /// <summary>
    /// Past a sequence's end its rows go on through the pads, but nothing after a step changes h at that step: the
    /// head reads each row's h at its own last step, which is what the row alone gives.
    /// </summary>
    private protected override void Score(ReadOnlySpan<float> features, int rows, int steps, int[]? lengths, Span<float> scores, ManagedWorkspace scratch)
    {
        Workspace workspace = Own<Workspace>(scratch);
        int stepSize = _layers[0].InputSize;
        if (features.Length < rows * steps * stepSize)
            throw new ArgumentException($"{features.Length} features for {rows} rows of {steps} steps of {stepSize}.", nameof(features));
        float[] output;
        fixed (float* x = features)
        {
            output = _cell == RecurrentCellKind.Lstm ? Layers<LstmCell>(x, rows, steps, workspace) : Layers<GruCell>(x, rows, steps, workspace);
        }
        for (int b = 0; b < rows; b++)
        {
            int last = lengths is null ? steps - 1 : lengths[b] - 1;
            _head.Score(output.AsSpan((b * steps + last) * _hidden, _hidden), scores.Slice(b * _classes, _classes));
        }
    }

    /// <summary>Every layer over <paramref name="x"/> ([B·T, I], batch-major): the last layer's h at every step, [B·T, H].</summary>
    private float[] Layers<TCell>(float* x, int rows, int steps, Workspace workspace)
        where TCell : struct, IRecurrentCell
    {
        if (Vector512.IsHardwareAccelerated)
            return Layers<TCell, FloatVector512>(x, rows, steps, workspace);
        if (Vector256.IsHardwareAccelerated)
            return Layers<TCell, FloatVector256>(x, rows, steps, workspace);
        return Layers<TCell, FloatVector128>(x, rows, steps, workspace);
    }

    private float[] Layers<TCell, V>(float* x, int rows, int steps, Workspace workspace)
        where TCell : struct, IRecurrentCell
        where V : unmanaged, IFloatVector<V>
    {
        int hidden = _hidden, width = _gates * hidden, cells = rows * steps;
        float[] input = workspace.NextOutput, output = workspace.Output;
        fixed (float* gates = workspace.Gates, state = workspace.State, product = workspace.HiddenProduct, zeros = workspace.Zeros)
        {
            for (int l = 0; l < _layers.Length; l++)
            {
                Layer layer = _layers[l];
                fixed (float* layerInput = input, h = output, inputBias = layer.InputBias, hiddenBias = layer.HiddenBias)
                {
                    // G = X·W_ih^T for every step of every row.
                    layer.InputWeights.Multiply(l == 0 ? x : layerInput, layer.InputSize, gates, width, cells, accumulate: false);
                    var recurrence = new Recurrence
                    {
                        Gates = gates,
                        HiddenProduct = product,
                        Zeros = zeros,
                        State = state,
                        H = h,
                        HiddenWeights = layer.HiddenWeights,
                        InputBias = inputBias,
                        HiddenBias = hiddenBias,
                    };
                    Recur<TCell, V>(recurrence, rows, steps);
                }
                (input, output) = (output, input);
            }
        }
        return input;
    }

    /// <summary>The memory one layer's recurrence works on.</summary>
    private readonly struct Recurrence
    {
        public float* Gates { get; init; }

        public float* HiddenProduct { get; init; }

        public float* Zeros { get; init; }

        public float* State { get; init; }

        public float* H { get; init; }

        public ColumnGroups HiddenWeights { get; init; }

        public float* InputBias { get; init; }

        public float* HiddenBias { get; init; }
    }

    /// <summary>
    /// One layer's time loop: per step the rows' recurrent product (onto the gates' inputs, or apart for a cell that
    /// keeps it apart), then the cell's gate math row by row in <typeparamref name="V"/> lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Recur<TCell, V>(in Recurrence a, int rows, int steps)
        where TCell : struct, IRecurrentCell
        where V : unmanaged, IFloatVector<V>
    {
        int hidden = _hidden, width = _gates * hidden;
        long rowGates = (long)steps * width, rowHidden = (long)steps * hidden;
        for (int t = 0; t < steps; t++)
        {
            if (t > 0)
            {
                // h_{t−1} of each row, steps·H apart.
                float* previous = a.H + (long)(t - 1) * hidden;
                if (TCell.HiddenProductApart)
                    a.HiddenWeights.Multiply(previous, rowHidden, a.HiddenProduct, width, rows, accumulate: false);
                else
                    a.HiddenWeights.Multiply(previous, rowHidden, a.Gates + (long)t * width, rowGates, rows, accumulate: true);
            }
            for (int b = 0; b < rows; b++)
            {
                long cell = (long)b * steps + t;
                var row = new RnnRowForward
                {
                    Gates = a.Gates + cell * width,
                    HiddenProduct = !TCell.HiddenProductApart ? null : t > 0 ? a.HiddenProduct + (long)b * width : a.Zeros,
                    InputBias = a.InputBias,
                    HiddenBias = a.HiddenBias,
                    HiddenPrevious = t > 0 ? a.H + (cell - 1) * hidden : a.Zeros,
                    // In place: each lane reads its c_{t−1} before writing c_t.
                    StatePrevious = t > 0 ? a.State + (long)b * hidden : a.Zeros,
                    State = a.State + (long)b * hidden,
                    Hidden = a.H + cell * hidden,
                    Width = hidden,
                };
                int j = 0;
                for (; j + V.Count <= hidden; j += V.Count)
                    TCell.Infer<V>(row, j);
                for (; j < hidden; j++)
                    TCell.Infer<FloatScalar>(row, j);
            }
        }
    }

    /// <summary>
    /// A weight matrix W [n, k] (as nn.LSTM/nn.GRU keep it) transposed, W^T [k, n], for the products A·W^T, and stored as
    /// column groups: group g, W^T's columns [128·g, 128·g + w_g) as a dense [k, w_g] block, at 128·g·k. A single row's
    /// product (h·W_hh^T each step, the weights streamed from L2) then reads memory in order, not 128 columns of rows
    /// 4·n bytes apart (docs/design.md has the measurement).
    /// </summary>
    private sealed class ColumnGroups
    {
        private const int GroupWidth = 128;

        private readonly int _rows, _columns;
        private readonly bool _useGemm;

        // On the pinned heap: never moved, so its address is taken once.
        private readonly float[] _values;
        private readonly float* _data;

        public ColumnGroups(float[] weights, int n, int k, bool useGemm)
        {
            _rows = k;
            _columns = n;
            _useGemm = useGemm;
            _values = GC.AllocateUninitializedArray<float>(weights.Length, pinned: true);
            _data = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_values));
            for (int first = 0; first < n; first += GroupWidth)
            {
                int groupWidth = Math.Min(GroupWidth, n - first);
                Span<float> group = _values.AsSpan(first * k, groupWidth * k);
                for (int i = 0; i < k; i++)
                {
                    for (int j = 0; j < groupWidth; j++)
                        group[i * groupWidth + j] = weights[(first + j) * k + i];
                }
            }
        }

        /// <summary>
        /// C[m, n] = A[m, k]·W^T (+= with <paramref name="accumulate"/>), A's and C's rows the given strides apart, on the
        /// AVX-512 GEMM on this thread or by row updates.
        /// </summary>
        public void Multiply(float* a, long aRowStride, float* c, long cRowStride, int m, bool accumulate)
        {
            int k = _rows;
            for (int first = 0; first < _columns; first += GroupWidth)
            {
                int groupWidth = Math.Min(GroupWidth, _columns - first);
                float* group = _data + (long)first * k;
                if (_useGemm)
                    Sgemm512.Multiply(new StridedMatrix(a, aRowStride, 1), new StridedMatrix(group, groupWidth, 1), c + first, m, k, groupWidth, singleThreaded: true, accumulate, cRowStride);
                else
                    RowUpdates.Multiply(a, aRowStride, group, groupWidth, c + first, cRowStride, m, k, groupWidth, accumulate);
            }
        }
    }
}
