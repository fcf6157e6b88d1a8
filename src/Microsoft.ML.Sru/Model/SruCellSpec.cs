namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The SRU's recurrence options: the 2017 form's highway (h = r⊙g(c) + (1−r)⊙x' rather than r⊙g(c)) and the official
/// implementation's SRU 2.x settings beyond it; what the model zip stores for them, and the derived quantities the
/// layers need. <see cref="Classic"/> is the 2017 form, the default.
/// </summary>
internal sealed record SruCellSpec(
    bool UseHighway,
    bool Bidirectional,
    bool UseCellStateWeights,
    SruActivation Activation,
    float HighwayBias,
    bool Rescale,
    float Dropout,
    SruLayerNorm LayerNorm,
    int ProjectionSize)
{
    /// <summary>The 2017 form: a highway, one direction, gates from U alone, tanh, no rescaling, dropout, layer norm or projection.</summary>
    public static readonly SruCellSpec Classic = new(true, false, false, SruActivation.Tanh, 0f, false, 0f, SruLayerNorm.None, 0);

    /// <summary>The largest |<see cref="HighwayBias"/>|: beyond it the reset gate is saturated from the start.</summary>
    public const float MaxHighwayBias = 20f;

    /// <summary>The largest <see cref="Dropout"/> probability.</summary>
    public const float MaxDropout = 0.99f;

    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>
    /// The official rescaling of the skip term, α = √(1 + 2·e^{highway bias}), which keeps the output's variance near the
    /// input's when the reset gate starts at σ(highway bias); 1 without <see cref="Rescale"/>.
    /// </summary>
    public float SkipScale => Rescale ? (float)Math.Sqrt(1 + 2 * Math.Exp(HighwayBias)) : 1f;

    /// <summary>
    /// The inner width of the low-rank input projection of a layer reading <paramref name="inputSize"/> values and
    /// writing <paramref name="outputSize"/>, or 0 for none: as in the official SRU, a projection is used only where it
    /// is narrower than both.
    /// </summary>
    public int ProjectionFor(int inputSize, int outputSize) =>
        ProjectionSize > 0 && ProjectionSize < inputSize && ProjectionSize < outputSize ? ProjectionSize : 0;

    /// <summary>The first value out of range, or null when every value is in range.</summary>
    public SpecProblem? FindProblem()
    {
        if (!Enum.IsDefined(Activation))
            return SpecProblem.NotOneOf("SRU activation", nameof(Activation), Activation);
        if (!Enum.IsDefined(LayerNorm))
            return SpecProblem.NotOneOf("SRU layer-norm placement", nameof(LayerNorm), LayerNorm);
        if (!(Math.Abs(HighwayBias) <= MaxHighwayBias))
            return SpecProblem.Range("SRU highway bias", nameof(HighwayBias), HighwayBias, -MaxHighwayBias, MaxHighwayBias);
        if (!(Dropout >= 0 && Dropout <= MaxDropout))
            return SpecProblem.Range("SRU dropout", nameof(Dropout), Dropout, 0, MaxDropout);
        if (ProjectionSize is < 0 or > NetworkSpec.MaxSize)
            return SpecProblem.Range("SRU projection size", nameof(ProjectionSize), ProjectionSize, 0, NetworkSpec.MaxSize, minMeaning: "off");
        return null;
    }

    /// <summary>
    /// A lower bound on the weights of one layer reading <paramref name="inputSize"/> values with <paramref name="hidden"/>
    /// units per direction: the input matrix (or its two low-rank factors) to at least three blocks per direction.
    /// </summary>
    public long MinimumLayerParameters(long inputSize, long hidden)
    {
        long output = Directions * hidden;
        int projection = ProjectionFor((int)inputSize, (int)output);
        return projection > 0 ? projection * (inputSize + 3 * output) : 3 * output * inputSize;
    }
}
