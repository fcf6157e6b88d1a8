using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A trained SRU network scoring a row or a batch of rows in plain C# (<see cref="ManagedInference"/>): U = X·W runs
/// as the AVX-512 GEMM (vectorised row updates elsewhere), and the recurrence is the fused kernel's forward. It covers
/// every <see cref="SruCellSpec"/> (dropout is a training-only option).
/// </summary>
internal sealed unsafe class SruInference : ManagedInference
{
    private sealed record Layer(float[] Weight, float[] Bias, float[]? CellWeights, int InputSize, int Blocks, SruSkip Skip)
    {
        /// <summary><see cref="SruLayerPlan.OnlyLastStepRead"/>.</summary>
        public bool OnlyLastStepRead { get; init; }

        /// <summary>W_proj [I, P] of a low-rank layer, with P = <see cref="ProjectionSize"/>; null for none.</summary>
        public float[]? Projection { get; init; }

        public int ProjectionSize { get; init; }

        /// <summary>The layer norm's γ and β, where the layer has one.</summary>
        public float[]? NormWeight { get; init; }

        public float[]? NormBias { get; init; }
    }

    private readonly Layer[] _layers;
    private readonly InferenceHead _head;
    private readonly int _hidden;
    private readonly int _directions;
    private readonly int _classes;
    private readonly SruActivation _activation;
    private readonly float _skipScale;
    private readonly SruLayerNorm _layerNorm;
    private readonly bool _useGemm;

    private SruInference(NetworkSpec spec, Layer[] layers, InferenceHead head, bool useGemm)
        : base(spec.SequenceLength)
    {
        _useGemm = useGemm;
        _layers = layers;
        _head = head;
        _hidden = spec.HiddenSize;
        _directions = spec.SruCell.Directions;
        _classes = spec.HeadWidth;
        _activation = spec.SruCell.Activation;
        _skipScale = spec.SruCell.SkipScale;
        _layerNorm = spec.SruCell.LayerNorm;
    }

    /// <summary>Scratch memory for one caller at a time, for up to <see cref="ManagedWorkspace.Rows"/> rows a call.</summary>
    public sealed class Workspace : ManagedWorkspace
    {
        internal Workspace(int rows, int steps, int widestInput, int widestU, int output, int widestProjection)
            : base(rows)
        {
            int cells = rows * steps;
            U = new float[cells * widestU];
            Input = new float[cells * widestInput];
            Normalized = new float[cells * widestInput];
            Projected = new float[cells * widestProjection];
            Output = new float[cells * output];
            Skip = new float[cells * output];
            Summary = new float[output];
        }

        internal float[] U { get; }

        /// <summary>The rows' features, time-major: [T, B, I].</summary>
        internal float[] Input { get; }

        internal float[] Output { get; }

        /// <summary>The layer-normalised input (pre-norm layers).</summary>
        internal float[] Normalized { get; }

        /// <summary>X·W_proj (low-rank layers).</summary>
        internal float[] Projected { get; }

        /// <summary>The rescaled skip input α·x, where there is one.</summary>
        internal float[] Skip { get; }

        /// <summary>What the head reads, for one row.</summary>
        internal float[] Summary { get; }
    }

    /// <summary>
    /// The managed scorer for an SRU network, or null for other cells and for SRU options it does not cover. With
    /// <paramref name="useGemm"/> false (for tests) U = X·W takes the row updates machines without AVX-512 take.
    /// </summary>
    public static SruInference? TryCreate(SequenceClassifier network, bool useGemm = true)
    {
        NetworkSpec spec = network.Spec;
        if (spec.Cell != RecurrentCellKind.Sru)
            return null;
        static float[] Values(torch.Tensor tensor) => TensorValues.ToArray(tensor);
        static float[]? Maybe(torch.Tensor? tensor) => tensor is null ? null : Values(tensor);

        // Each layer as its module describes it: the plan's shape, the module's own weights.
        Layer[] layers = network.SruLayers.Select(module =>
        {
            SruLayerPlan plan = module.Plan;
            var w = module.Weights;
            return new Layer(Values(w.Weight), Values(w.Bias), Maybe(w.CellWeights), plan.InputSize, plan.Blocks, plan.Skip)
            {
                Projection = Maybe(w.Projection),
                ProjectionSize = plan.ProjectionSize,
                NormWeight = Maybe(w.NormWeight),
                NormBias = Maybe(w.NormBias),
                OnlyLastStepRead = plan.OnlyLastStepRead,
            };
        }).ToArray();
        var state = network.state_dict();
        return new SruInference(spec, layers, new InferenceHead(state, spec), useGemm && Sgemm512.IsSupported);
    }

    /// <inheritdoc/>
    public override Workspace CreateWorkspace(int rows = 1) => new(
        rows,
        Steps,
        _layers.Max(l => l.InputSize),
        _layers.Max(l => l.Blocks) * _directions * _hidden,
        _directions * _hidden,
        _layers.Max(l => l.ProjectionSize));

    /// <summary>A pad leaves the states as they were, as in <see cref="SruLayer"/>.</summary>
    private protected override void Score(ReadOnlySpan<float> features, int rows, int steps, int[]? lengths, Span<float> scores, ManagedWorkspace scratch)
    {
        Workspace workspace = Own<Workspace>(scratch);
        int stepSize = _layers[0].InputSize;
        // The kernel reads time-major [T, B, I]; a row's features are [T, I].
        for (int b = 0; b < rows; b++)
        {
            for (int t = 0; t < steps; t++)
                features.Slice((b * steps + t) * stepSize, stepSize).CopyTo(workspace.Input.AsSpan((t * rows + b) * stepSize, stepSize));
        }

        float[] input = workspace.Input, output = workspace.Output;
        int outputWidth = _directions * _hidden;
        int cells = steps * rows;
        bool summaryOnly = false;
        foreach (Layer layer in _layers)
        {
            int width = layer.Blocks * outputWidth;
            // Where only the last step is read, c needs only z and f (the first two blocks) before it: the r and x'
            // blocks are computed for the last step alone, and the kernel writes h for that step only ([B, H]),
            // running c alone before it. Sequences of unequal lengths end at different steps: there every step is
            // computed.
            summaryOnly = layer.OnlyLastStepRead && lengths is null;
            // What U = X·W reads: the input, normalised before a pre-norm layer, projected in a low-rank one.
            float[] source = input;
            int sourceWidth = layer.InputSize;
            if (_layerNorm == SruLayerNorm.BeforeRecurrence)
            {
                NormalizeRows(input, workspace.Normalized, cells, sourceWidth, layer);
                source = workspace.Normalized;
            }
            if (layer.Projection is { } projection)
            {
                RowTimesMatrix(source, cells, rows, sourceWidth, projection, workspace.Projected, layer.ProjectionSize, layer.ProjectionSize);
                source = workspace.Projected;
                sourceWidth = layer.ProjectionSize;
            }

            Span<float> u = workspace.U.AsSpan(0, cells * width);
            RowTimesMatrix(source, cells, rows, sourceWidth, layer.Weight, workspace.U, width, summaryOnly ? 2 * _hidden : width);

            float[] skip = input;
            if (layer.Skip == SruSkip.External && _skipScale != 1f)
            {
                skip = workspace.Skip;
                for (int i = 0; i < cells * outputWidth; i++)
                    skip[i] = _skipScale * input[i];
            }

            fixed (float* pu = u, pb = layer.Bias, pv = layer.CellWeights, ps = skip, ph = output)
            fixed (int* sequenceLengths = lengths)
            {
                SruKernel.Forward(new SruKernelArguments
                {
                    U = pu,
                    Bias = pb,
                    CellWeights = pv,
                    ExternalSkip = layer.Skip == SruSkip.External ? ps : null,
                    Skip = layer.Skip,
                    Activation = _activation,
                    Steps = steps,
                    Lengths = sequenceLengths,
                    Batch = rows,
                    Directions = _directions,
                    Blocks = layer.Blocks,
                    Hidden = _hidden,
                    H = ph,
                    LastStepOnly = summaryOnly,
                    SingleThreaded = true,
                });
            }
            if (_layerNorm == SruLayerNorm.AfterRecurrence)
                NormalizeRows(output, output, summaryOnly ? rows : cells, outputWidth, layer);
            (input, output) = (output, input);
        }

        // The last layer's output is now in `input`: its last step alone, [B, H], where only that was computed;
        // otherwise every step, and the head reads the forward direction's own last step and the backward direction's first.
        Span<float> summary = workspace.Summary;
        for (int b = 0; b < rows; b++)
        {
            int lastStep = summaryOnly ? 0 : lengths is not null ? lengths[b] - 1 : steps - 1;
            input.AsSpan((lastStep * rows + b) * outputWidth, _hidden).CopyTo(summary);
            if (_directions == 2)
                input.AsSpan(b * outputWidth + _hidden, _hidden).CopyTo(summary[_hidden..]);
            _head.Score(summary, scores.Slice(b * _classes, _classes));
        }
    }

    /// <summary>
    /// Each of the <paramref name="count"/> rows of <paramref name="rows"/> ([T·B, <paramref name="inner"/>], time-major
    /// with <paramref name="batch"/> rows a step) times <paramref name="matrix"/> ([inner, <paramref name="width"/>]) into
    /// <paramref name="result"/>, where before the last step only the first <paramref name="earlyColumns"/> columns are
    /// needed (the rest are left as they were). With AVX-512: one product of the early steps' needed columns and one of
    /// the last step's, even for mostly-zero input such as MNIST's pixels (measured faster than row updates that skip the
    /// zeros, for single rows and batches alike). Otherwise: row updates that skip zero inputs.
    /// </summary>
    private void RowTimesMatrix(float[] rows, int count, int batch, int inner, float[] matrix, float[] result, int width, int earlyColumns)
    {
        int lastStepStart = count - batch;
        if (_useGemm)
        {
            fixed (float* pr = rows, pm = matrix, pu = result)
                Sgemm512.MultiplyEarlyColumns(pr, pm, pu, count, inner, width, lastStepStart, earlyColumns, singleThreaded: true);
            return;
        }

        fixed (float* pr = rows, pm = matrix, pu = result)
        {
            RowUpdates.Multiply(pr, inner, pm, width, pu, width, lastStepStart, inner, earlyColumns);
            RowUpdates.Multiply(pr + (long)lastStepStart * inner, inner, pm, width, pu + (long)lastStepStart * width, width, count - lastStepStart, inner, width);
        }
    }

    /// <summary>LayerNorm over each of <paramref name="count"/> rows (ε = <see cref="SruLayer.LayerNormEpsilon"/>), from <paramref name="source"/> into <paramref name="target"/> (may be the same).</summary>
    private static void NormalizeRows(float[] source, float[] target, int count, int width, Layer layer)
    {
        float[] gamma = layer.NormWeight!, beta = layer.NormBias!;
        for (int t = 0; t < count; t++)
        {
            ReadOnlySpan<float> row = source.AsSpan(t * width, width);
            double mean = 0, variance = 0;
            foreach (float value in row)
                mean += value;
            mean /= width;
            foreach (float value in row)
                variance += (value - mean) * (value - mean);
            float scale = (float)(1 / Math.Sqrt(variance / width + SruLayer.LayerNormEpsilon)), shift = (float)mean;
            Span<float> output = target.AsSpan(t * width, width);
            for (int j = 0; j < width; j++)
                output[j] = (row[j] - shift) * scale * gamma[j] + beta[j];
        }
    }
}
