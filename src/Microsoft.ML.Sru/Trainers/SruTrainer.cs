using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains an SRU (Simple Recurrent Unit, Lei et al. 2017) sequence model. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Sru(...)</c>, <c>mlContext.BinaryClassification.Trainers.Sru(...)</c> or
/// <c>mlContext.Regression.Trainers.Sru(...)</c>.
/// </summary>
public sealed class SruTrainer : RecurrentTrainerBase<SruTrainer.Options>
{
    /// <summary>
    /// Options for <see cref="SruTrainer"/>. They differ from the shared defaults in depth, batch and weight decay: an SRU
    /// layer costs a fraction of an LSTM layer, so the SRU stacks more layers (<see cref="Defaults.SruNumberOfLayers"/>)
    /// and takes more, smaller steps (<see cref="Defaults.SruBatchSize"/>), and its weight decay is chosen from the number
    /// of training rows (<see cref="RecurrentTrainerOptions.WeightDecay"/> null). docs/results.md has the measurements behind them.
    /// </summary>
    public sealed class Options : RecurrentTrainerOptions
    {
        /// <summary>Creates the options with the SRU's defaults.</summary>
        public Options()
        {
            BatchSize = Defaults.SruBatchSize;
            NumberOfLayers = Defaults.SruNumberOfLayers;
            WeightDecay = null;
        }

        /// <summary>
        /// Adds the highway connection h_t = r_t⊙tanh(c_t) + (1 − r_t)⊙x'_t, which carries each layer's input
        /// past the recurrence. Default <see cref="Defaults.UseHighway"/>.
        /// </summary>
        public bool UseHighway { get; set; } = Defaults.UseHighway;

        /// <summary>
        /// Runs a second direction over each sequence from the last step to the first and concatenates the two
        /// directions' outputs (2 × <see cref="RecurrentTrainerOptions.HiddenSize"/> values per step). The classifier
        /// head then reads the forward direction's output at the last step beside the backward direction's output at
        /// the first step, each direction's state after the whole sequence. Default <see cref="Defaults.Bidirectional"/>.
        /// </summary>
        public bool Bidirectional { get; set; } = Defaults.Bidirectional;

        /// <summary>
        /// Uses the SRU 2.x gates with cell-state weights v: f_t = σ(u_f + v_f⊙c_{t−1} + b_f) and
        /// r_t = σ(u_r + v_r⊙c_{t−1} + b_r), and the official initialisation with them (forget-gate bias 0, v and the gate
        /// weights scaled by √½). The gates then depend on the previous step, which costs the recurrence a little time.
        /// Default <see cref="Defaults.UseCellStateWeights"/>: the 2017 gates σ(u + b) with a forget-gate bias of +2, the
        /// form <see cref="BlogReproduction"/> uses.
        /// </summary>
        public bool UseCellStateWeights { get; set; } = Defaults.UseCellStateWeights;

        /// <summary>
        /// The cell activation g in h_t = r_t⊙g(c_t) + (1 − r_t)⊙x'_t: <see cref="SruActivation.Tanh"/> (the 2017 paper's
        /// and that of <see cref="BlogReproduction">the blog post</see>) or <see cref="SruActivation.Identity"/> (the official SRU 2.x default). Default
        /// <see cref="Defaults.Activation"/>.
        /// </summary>
        public SruActivation Activation { get; set; } = Defaults.Activation;

        /// <summary>
        /// Initial bias of the reset (highway) gate r; negative values start each layer closer to passing its input
        /// through (the official SRU's highway_bias, often −2 or −3). Default <see cref="Defaults.HighwayBias"/>. Range −20
        /// to 20.
        /// </summary>
        public float HighwayBias { get; set; } = Defaults.HighwayBias;

        /// <summary>
        /// Scales the skip term by α = √(1 + 2·e^<see cref="HighwayBias"/>), as the official SRU's rescale: the input
        /// (when it is as wide as the output) is multiplied by α in the recurrence, or the projected skip x' starts
        /// α times larger. Needs <see cref="UseHighway"/>. Default <see cref="Defaults.Rescale"/>.
        /// </summary>
        public bool Rescale { get; set; } = Defaults.Rescale;

        /// <summary>
        /// Dropout probability between layers, in training only (no effect when scoring): each layer but the last drops
        /// its recurrent term r⊙(g(c) − x') with one mask per sequence and unit for all steps, as the official SRU.
        /// No effect with one layer. Default <see cref="Defaults.Dropout"/>. Range 0 to 0.99.
        /// </summary>
        public float Dropout { get; set; } = Defaults.Dropout;

        /// <summary>
        /// Layer normalisation in every layer: <see cref="SruLayerNorm.None"/>, on the layer's input before
        /// U = X·W (<see cref="SruLayerNorm.BeforeRecurrence"/>), or on its output (<see cref="SruLayerNorm.AfterRecurrence"/>,
        /// the official normalize_after). Default <see cref="Defaults.LayerNorm"/>.
        /// </summary>
        public SruLayerNorm LayerNorm { get; set; } = Defaults.LayerNorm;

        /// <summary>
        /// Inner width of a low-rank factorisation W = W_proj·W' of each layer's input matrix, for large hidden sizes
        /// (the official SRU's projection_size). As there, a layer uses it only where it is smaller than both its input
        /// and output widths; 0 turns it off. Default <see cref="Defaults.ProjectionSize"/>. Range 0 to 65,536.
        /// </summary>
        public int ProjectionSize { get; set; } = Defaults.ProjectionSize;

        /// <inheritdoc/>
        internal override NetworkSpec ToSpec(RecurrentCellKind cell, int stepSize, int classCount) =>
            base.ToSpec(cell, stepSize, classCount) with { SruCell = ToCellSpec() };

        /// <inheritdoc/>
        internal override void Validate(RecurrentCellKind cell)
        {
            base.Validate(cell);
            if (Initialization == WeightInitialization.TensorFlow1 && (ProjectionSize > 0 || UseCellStateWeights || LayerNorm != SruLayerNorm.None))
                throw new ArgumentException("Initialization = TensorFlow1 describes the 2017 SRU cell: it cannot be combined with ProjectionSize, UseCellStateWeights or LayerNorm.", nameof(Initialization));
            if (Rescale && !UseHighway)
                throw new ArgumentException("Rescale scales the highway's skip term, so it needs UseHighway = true.", nameof(Rescale));
        }

        /// <summary>The recurrence options as the model stores them.</summary>
        internal SruCellSpec ToCellSpec() =>
            new(UseHighway, Bidirectional, UseCellStateWeights, Activation, HighwayBias, Rescale, Dropout, LayerNorm, ProjectionSize);
    }

    internal SruTrainer(IHostEnvironment env, Options options, RecurrentTask task)
        : base(env, RecurrentCellKind.Sru, options, task)
    {
    }
}
