using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains an SRU (Simple Recurrent Unit, Lei et al. 2017) sequence classifier. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Sru(...)</c>.
/// </summary>
public sealed class SruTrainer : RecurrentTrainerBase
{
    internal const string LoadName = "SruMulticlass";

    /// <summary>
    /// Options for <see cref="SruTrainer"/>. They differ from the shared defaults in depth and batch: an SRU layer costs
    /// a fraction of an LSTM layer, so the SRU stacks <see cref="RecurrentTrainerOptions.NumberOfLayers"/> 3 of 128 units
    /// and takes more, smaller steps (<see cref="RecurrentTrainerOptions.BatchSize"/> 32). docs/defaults.md has the
    /// measurements behind them.
    /// </summary>
    public sealed class Options : RecurrentTrainerOptions
    {
        /// <summary>Creates the options with the SRU's defaults.</summary>
        public Options()
        {
            BatchSize = 32;
            NumberOfLayers = 3;
        }

        /// <summary>
        /// Adds the highway connection h_t = r_t⊙tanh(c_t) + (1 − r_t)⊙x'_t, which carries each layer's input
        /// past the recurrence. Default true: it trained faster and more accurately on MNIST than the plain cell.
        /// </summary>
        public bool UseHighway { get; set; } = true;

        /// <summary>
        /// Runs a second direction over each sequence from the last step to the first and concatenates the two
        /// directions' outputs (2 × <see cref="RecurrentTrainerOptions.HiddenSize"/> values per step). The classifier
        /// head then reads the forward direction's output at the last step beside the backward direction's output at
        /// the first step, each direction's state after the whole sequence. Default false.
        /// </summary>
        public bool Bidirectional { get; set; }

        /// <summary>
        /// Uses the SRU 2.x gates with cell-state weights v: f_t = σ(u_f + v_f⊙c_{t−1} + b_f) and
        /// r_t = σ(u_r + v_r⊙c_{t−1} + b_r), and the official initialisation with them (forget-gate bias 0, v and the gate
        /// weights scaled by √½). Default false: the 2017 gates σ(u + b) with a forget-gate bias of +2, the form the
        /// blog reproduction uses. The gates then depend on the previous step, which costs the recurrence a little time.
        /// </summary>
        public bool UseCellStateWeights { get; set; }

        /// <summary>
        /// The cell activation g in h_t = r_t⊙g(c_t) + (1 − r_t)⊙x'_t: <see cref="SruActivation.Tanh"/> (default, the
        /// 2017 paper's and the blog's) or <see cref="SruActivation.Identity"/> (the official SRU 2.x default).
        /// </summary>
        public SruActivation Activation { get; set; } = SruActivation.Tanh;

        /// <summary>
        /// Initial bias of the reset (highway) gate r; negative values start each layer closer to passing its input
        /// through (the official SRU's highway_bias, often −2 or −3). Default 0. Range −20 to 20.
        /// </summary>
        public float HighwayBias { get; set; }

        /// <summary>
        /// Scales the skip term by α = √(1 + 2·e^<see cref="HighwayBias"/>), as the official SRU's rescale: the input
        /// (when it is as wide as the output) is multiplied by α in the recurrence, or the projected skip x' starts
        /// α times larger. Needs <see cref="UseHighway"/>. Default false.
        /// </summary>
        public bool Rescale { get; set; }

        /// <summary>
        /// Dropout probability between layers, in training only (no effect when scoring): each layer but the last drops
        /// its recurrent term r⊙(g(c) − x') with one mask per sequence and unit for all steps, as the official SRU.
        /// No effect with one layer. Default 0. Range 0 to 0.99.
        /// </summary>
        public float Dropout { get; set; }

        /// <summary>
        /// Layer normalisation in every layer: <see cref="SruLayerNorm.None"/> (default), on the layer's input before
        /// U = X·W (<see cref="SruLayerNorm.BeforeRecurrence"/>), or on its output (<see cref="SruLayerNorm.AfterRecurrence"/>,
        /// the official normalize_after). Default <see cref="SruLayerNorm.None"/>.
        /// </summary>
        public SruLayerNorm LayerNorm { get; set; } = SruLayerNorm.None;

        /// <summary>
        /// Inner width of a low-rank factorisation W = W_proj·W' of each layer's input matrix, for large hidden sizes
        /// (the official SRU's projection_size). As there, a layer uses it only where it is smaller than both its input
        /// and output widths. Default 0 (off). Range 0 to 65,536.
        /// </summary>
        public int ProjectionSize { get; set; }

        /// <inheritdoc/>
        internal override void Validate()
        {
            base.Validate();
            if (!Enum.IsDefined(Activation))
                throw new ArgumentOutOfRangeException(nameof(Activation), Activation, $"Activation must be {nameof(SruActivation.Tanh)} or {nameof(SruActivation.Identity)}.");
            if (!Enum.IsDefined(LayerNorm))
                throw new ArgumentOutOfRangeException(nameof(LayerNorm), LayerNorm,
                    $"LayerNorm must be {nameof(SruLayerNorm.None)}, {nameof(SruLayerNorm.BeforeRecurrence)} or {nameof(SruLayerNorm.AfterRecurrence)}.");
            if (!(Math.Abs(HighwayBias) <= SruCellSpec.MaxHighwayBias))
                throw new ArgumentOutOfRangeException(nameof(HighwayBias), HighwayBias, $"HighwayBias must be a number between {-SruCellSpec.MaxHighwayBias} and {SruCellSpec.MaxHighwayBias}.");
            if (!(Dropout >= 0 && Dropout <= SruCellSpec.MaxDropout))
                throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, $"Dropout must be between 0 and {SruCellSpec.MaxDropout}.");
            if (ProjectionSize is < 0 or > NetworkSpec.MaxSize)
                throw new ArgumentOutOfRangeException(nameof(ProjectionSize), ProjectionSize, $"ProjectionSize must be between 0 (off) and {NetworkSpec.MaxSize}; it is {ProjectionSize}.");
            if (Initialization == WeightInitialization.TensorFlow1 && (ProjectionSize > 0 || UseCellStateWeights || LayerNorm != SruLayerNorm.None))
                throw new ArgumentException("Initialization = TensorFlow1 describes the 2017 SRU cell: it cannot be combined with ProjectionSize, UseCellStateWeights or LayerNorm.", nameof(Initialization));
            if (Rescale && !UseHighway)
                throw new ArgumentException("Rescale scales the highway's skip term, so it needs UseHighway = true.", nameof(Rescale));
        }

        /// <summary>The recurrence options as the model stores them.</summary>
        internal SruCellSpec ToCellSpec() =>
            new(Bidirectional, UseCellStateWeights, Activation, HighwayBias, Rescale, Dropout, LayerNorm, ProjectionSize);
    }

    private readonly Options _sruOptions;

    internal SruTrainer(IHostEnvironment env, Options options)
        : base(env, LoadName, RecurrentCellKind.Sru, options)
    {
        _sruOptions = options;
    }

    private protected override NetworkSpec CreateSpec(int stepSize, int classCount) => new(
        RecurrentCellKind.Sru, _sruOptions.SequenceLength, stepSize, _sruOptions.HiddenSize, _sruOptions.NumberOfLayers, classCount, _sruOptions.UseHighway)
    {
        SruCell = _sruOptions.ToCellSpec(),
    };
}
