using Microsoft.ML.Sru.Model.Kernels;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// What one SRU layer of a network is, derived once from its spec: the widths, the blocks of U, where the highway's
/// skip comes from, the projection and layer norm, whether only its last step is read, and whether training can run it
/// as one fused layer. The module (<see cref="SruLayer"/>), the managed scorer (<see cref="SruInference"/>) and the
/// ONNX writer all read it here.
/// </summary>
internal sealed record SruLayerPlan
{
    private SruLayerPlan(SruCellSpec cell, int inputSize, int hiddenSize, float dropout, bool onlyLastStepRead)
    {
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Dropout = dropout;
        OnlyLastStepRead = onlyLastStepRead;
        Blocks = UseHighway && inputSize != OutputWidth ? 4 : 3;
        Skip = !UseHighway ? SruSkip.None : Blocks == 4 ? SruSkip.UBlock : SruSkip.External;
        ProjectionSize = cell.ProjectionFor(inputSize, OutputWidth);
    }

    /// <summary>Layer <paramref name="layer"/> of the network <paramref name="spec"/> describes.</summary>
    public static SruLayerPlan For(NetworkSpec spec, int layer)
    {
        if (layer < 0 || layer >= spec.NumberOfLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The network has {spec.NumberOfLayers} layers.");
        bool last = layer == spec.NumberOfLayers - 1;
        // As in the official SRU, dropout applies between layers: not to the last one's output.
        float dropout = last ? 0 : spec.SruCell.Dropout;
        // The head reads one direction's output at the last step; a backward direction's summary is its first step.
        bool onlyLastStepRead = last && spec.SruCell.Directions == 1;
        return new SruLayerPlan(spec.SruCell, layer == 0 ? spec.StepSize : spec.OutputWidth, spec.HiddenSize, dropout, onlyLastStepRead);
    }

    /// <summary>A layer on its own, every step of it read (tests and benchmarks); <paramref name="cell"/> null is the 2017 form.</summary>
    public static SruLayerPlan Single(int inputSize, int hiddenSize, SruCellSpec? cell = null, float dropout = 0) =>
        new(cell ?? SruCellSpec.Classic, inputSize, hiddenSize, dropout, onlyLastStepRead: false);

    public SruCellSpec Cell { get; }

    /// <summary>Values per step coming in.</summary>
    public int InputSize { get; }

    /// <summary>Units per direction.</summary>
    public int HiddenSize { get; }

    public bool UseHighway => Cell.UseHighway;

    /// <summary>Dropout probability on the layer's output in training.</summary>
    public float Dropout { get; }

    /// <summary>
    /// Whether what follows the layer reads only its output at the last step: the head, after the last layer of a
    /// one-direction network. Training and every scorer then compute h for that step alone (c alone before it), unless
    /// the batch is padded: there each row ends at its own step, so every step is computed.
    /// </summary>
    public bool OnlyLastStepRead { get; }

    public int Directions => Cell.Directions;

    /// <summary>Values per step going out: the directions side by side.</summary>
    public int OutputWidth => Directions * HiddenSize;

    /// <summary>H-wide blocks of U per direction: z, f, r, and a projected skip x' when the highway needs one (the input is not as wide as the output).</summary>
    public int Blocks { get; }

    /// <summary>Where the highway's x' comes from: nowhere, U's fourth block, or the layer's input itself (scaled by <see cref="SkipScale"/>).</summary>
    public SruSkip Skip { get; }

    /// <summary>α, the factor on an input skip (1 without rescaling).</summary>
    public float SkipScale => Cell.SkipScale;

    /// <summary>The inner width of the low-rank input projection, or 0 for none.</summary>
    public int ProjectionSize { get; }

    /// <summary>Rows of W: the projection's width, or the input's.</summary>
    public int WeightRows => ProjectionSize > 0 ? ProjectionSize : InputSize;

    /// <summary>Columns of W: every block of every direction.</summary>
    public int WeightColumns => OutputWidth * Blocks;

    public SruLayerNorm LayerNorm => Cell.LayerNorm;

    /// <summary>The width the layer norm normalises: the input before the recurrence, the output after it.</summary>
    public int LayerNormWidth => LayerNorm == SruLayerNorm.BeforeRecurrence ? InputSize : OutputWidth;

    /// <summary>
    /// Why training cannot run this layer as one fused projection-and-recurrence (<see cref="ISruRecurrence.ForwardLayer"/>),
    /// or null when it can; then only dropout in training and padded batches still run it in two parts.
    /// </summary>
    public string? WhyNotFused =>
        Directions > 1 ? "two directions"
        : Skip != SruSkip.External ? null
        : ProjectionSize > 0 ? "a projected input with an input skip"
        : LayerNorm == SruLayerNorm.BeforeRecurrence ? "a layer norm before the recurrence with an input skip"
        : Cell.Rescale ? "a rescaled input skip"
        : null;

    /// <summary>Why a training step runs this layer in two parts (projection, then recurrence), or null when it runs fused.</summary>
    public string? WhyNotFusedInTraining =>
        WhyNotFused ?? (Dropout > 0 ? "dropout" : !Sgemm512.IsSupported ? "the fused layer needs AVX-512" : null);
}
