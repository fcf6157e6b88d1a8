using System.Globalization;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// Options shared by the recurrent sequence classifiers (<see cref="SruTrainer"/>, <see cref="LstmTrainer"/>, <see cref="GruTrainer"/>).
/// The feature column's type says how its rows are read: a vector of Single of known length L as
/// <see cref="SequenceLength"/> time steps of L / SequenceLength values; a vector of Single of variable length as steps of
/// <see cref="StepSize"/> values, each row its own number; a vector of keys (tokens, e.g. from <c>TokenizeIntoWords</c>
/// and <c>MapValueToKey</c>, or <c>TokenizeIntoCharactersAsKeys</c>) as one token a step through an embedding of
/// <see cref="EmbeddingSize"/> values trained with the model. Rows of unequal length are padded in batches without
/// changing their results, and rows of similar length are batched together.
/// </summary>
public abstract partial class RecurrentTrainerOptions
{
    /// <summary>The label column: a key type, as produced by <c>MapValueToKey</c>. Default <see cref="Defaults.LabelColumnName"/>.</summary>
    public string LabelColumnName { get; set; } = Defaults.LabelColumnName;

    /// <summary>
    /// The features column: a vector of <see cref="float"/> (fixed or variable size) or of keys (see the class).
    /// Default <see cref="Defaults.FeatureColumnName"/>.
    /// </summary>
    public string FeatureColumnName { get; set; } = Defaults.FeatureColumnName;

    /// <summary>
    /// Number of time steps each feature vector is split into; must divide the vector's length.
    /// Default <see cref="Defaults.SequenceLength"/> (MNIST read row by row). Range 1 to 65,536.
    /// </summary>
    public int SequenceLength { get; set; } = Defaults.SequenceLength;

    /// <summary>
    /// Values per time step of a variable-length vector of Single, where it is required: each row's length must be a
    /// multiple of it (a row that is not is an error naming the row). For a fixed-size vector of L values it may be left
    /// null; given, it must agree: L = <see cref="SequenceLength"/> × StepSize. Tokens take one a step. Default null.
    /// Range 1 to 65,536.
    /// </summary>
    public int? StepSize { get; set; }

    /// <summary>
    /// The most steps a variable-length row or a row of tokens contributes; a longer row keeps its last steps (the head
    /// reads the last step, what the sequence's state was built up to), and the number cut is logged. It bounds the
    /// memory a batch of long documents takes. Default <see cref="Defaults.MaxSequenceLength"/>. Range 1 to 65,536.
    /// Fixed-size vectors always have <see cref="SequenceLength"/> steps.
    /// </summary>
    public int MaxSequenceLength { get; set; } = Defaults.MaxSequenceLength;

    /// <summary>
    /// Width of the embedding that token inputs (vectors of keys) go through before the first layer: one vector per
    /// token seen in training, the missing key and unseen keys reading a zero vector. Default
    /// <see cref="Defaults.EmbeddingSize"/>. Range 1 to 4,096. Unused for inputs of Single values.
    /// </summary>
    public int EmbeddingSize { get; set; } = Defaults.EmbeddingSize;

    /// <summary>Width of each recurrent layer. Default <see cref="Defaults.HiddenSize"/>. Range 1 to 65,536.</summary>
    public int HiddenSize { get; set; } = Defaults.HiddenSize;

    /// <summary>
    /// Number of stacked recurrent layers. Default <see cref="Defaults.NumberOfLayers"/>; <see cref="Defaults.SruNumberOfLayers"/>
    /// for the SRU (see <see cref="SruTrainer.Options"/>). Range 1 to 64.
    /// </summary>
    public int NumberOfLayers { get; set; } = Defaults.NumberOfLayers;

    /// <summary>
    /// Passes over the training data. Default null: chosen from the data by the rule below. A number trains exactly that
    /// many epochs (fewer only when <see cref="EarlyStoppingPatience"/> stops a run with a validation set). Range 1 to
    /// 1,000,000.
    /// <para>
    /// The rule for null: enough epochs that training sees about 180,000 rows in all — 3 epochs of 60,000 rows, 18 of
    /// 10,000, 90 of 2,000 — at least 3 and at most 100, with the <see cref="LearningRateSchedule"/> spanning them all.
    /// Nothing is held out, and without a validation set every epoch runs. The same seed and data give the same model.
    /// </para>
    /// </summary>
    public int? MaxEpoch { get; set; }

    /// <summary>
    /// How input values are rescaled before the network, from the training rows' range, stored in the model and applied at
    /// scoring too: a pipeline needs no normalizer in front, and values of any scale (raw pixels 0–255, sensor units)
    /// train alike. <see cref="Sru.InputNormalization.Global"/> fits one range for all values (data that spans [0, 1] is
    /// left as it is); <see cref="Sru.InputNormalization.PerStepPosition"/> one per position in a step, for steps whose
    /// values are in different units; <see cref="Sru.InputNormalization.None"/> turns it off. Default
    /// <see cref="Defaults.InputNormalization"/>. Continued training keeps the initial model's scaling.
    /// </summary>
    public InputNormalization InputNormalization { get; set; } = Defaults.InputNormalization;

    /// <summary>
    /// Rows per gradient step. Default <see cref="Defaults.BatchSize"/> for LSTM and GRU; <see cref="Defaults.SruBatchSize"/>
    /// for SRU (see <see cref="SruTrainer.Options"/>). Range 1 to 1,048,576.
    /// </summary>
    public int BatchSize { get; set; } = Defaults.BatchSize;

    /// <summary>
    /// Adam's step size, the peak of the <see cref="LearningRateSchedule"/>. Default <see cref="Defaults.LearningRate"/>.
    /// Range: greater than 0, at most 10.
    /// </summary>
    public float LearningRate { get; set; } = Defaults.LearningRate;

    /// <summary>
    /// Gradients are rescaled so their global L2 norm is at most this value. Default <see cref="Defaults.GradientClipNorm"/>
    /// (as in <see cref="BlogReproduction">the blog post</see>); 0 turns clipping off. Range 0 or greater.
    /// </summary>
    public float GradientClipNorm { get; set; } = Defaults.GradientClipNorm;

    /// <summary>
    /// Learning-rate decay of the <see cref="LearningRateSchedule.Step"/> schedule: after each epoch the rate is multiplied
    /// by this factor. Default <see cref="Defaults.LearningRateDecay"/>; 1 keeps the rate constant.
    /// Range: greater than 0, at most 1. The other schedules ignore it.
    /// </summary>
    public float LearningRateDecay { get; set; } = Defaults.LearningRateDecay;

    /// <summary>
    /// How the learning rate changes over training. <see cref="Sru.LearningRateSchedule.Cosine"/> decays it to nearly 0
    /// over all steps of the run after the warm-up, however many epochs the run has (which a per-epoch decay cannot do
    /// when <see cref="MaxEpoch"/> is chosen from the data); <see cref="Sru.LearningRateSchedule.Step"/> multiplies it by
    /// <see cref="LearningRateDecay"/> after each epoch; <see cref="Sru.LearningRateSchedule.Constant"/> keeps it.
    /// Default <see cref="Defaults.LearningRateSchedule"/>.
    /// </summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = Defaults.LearningRateSchedule;

    /// <summary>
    /// The first this many gradient steps ramp the learning rate up linearly (step s of W at (s + 1) / W of the scheduled
    /// rate), which steadies Adam's first updates. Default <see cref="Defaults.WarmupSteps"/> (no warm-up). Range 0 to
    /// 100,000,000.
    /// </summary>
    public int WarmupSteps { get; set; } = Defaults.WarmupSteps;

    /// <summary>
    /// Decoupled weight decay (AdamW): every step shrinks each weight by LearningRate × WeightDecay of itself, apart from
    /// the gradient step. Default <see cref="Defaults.WeightDecay"/> (plain Adam) for LSTM and GRU; null for SRU (see
    /// <see cref="SruTrainer.Options"/>). Range 0 to 1, or null.
    /// <para>
    /// The rule for null: 200 / the number of training rows, at most 0.1 — 0.1 up to 2,000 rows, 0.02 at 10,000, 0.0033
    /// at 60,000. The <see cref="MaxEpoch"/> rule trains about the same number of steps on every set, so a fixed decay
    /// would weigh as much against 60,000 rows as against 2,000; this one weighs as a fixed number of rows would. Token
    /// inputs get 0: every step would shrink every token's embedding, while a rare token's gets a gradient now and then.
    /// </para>
    /// </summary>
    public float? WeightDecay { get; set; } = Defaults.WeightDecay;

    /// <summary>
    /// How the new network's weights are drawn (under the MLContext's seed). Default <see cref="Defaults.Initialization"/>;
    /// <see cref="Sru.WeightInitialization.TensorFlow1"/> starts as TensorFlow 1.x did, to reproduce a model trained there
    /// (for the SRU, only the 2017 cell: it is refused with ProjectionSize, UseCellStateWeights or LayerNorm). Not used when
    /// training continues from a model.
    /// </summary>
    public WeightInitialization Initialization { get; set; } = Defaults.Initialization;

    /// <summary>
    /// A training-progress line is logged every this many steps. Default <see cref="Defaults.LogEveryNSteps"/>. Range 1 or
    /// greater.
    /// </summary>
    public int LogEveryNSteps { get; set; } = Defaults.LogEveryNSteps;

    /// <summary>
    /// With a validation set (<c>Fit(trainData, validationData)</c>): training stops after this many epochs in a row
    /// without a lower validation loss than the best so far. Default <see cref="Defaults.EarlyStoppingPatience"/> (early
    /// stopping off: every epoch runs). Range 0 to 1,000,000. Ignored without a validation set.
    /// </summary>
    public int EarlyStoppingPatience { get; set; } = Defaults.EarlyStoppingPatience;

    /// <summary>
    /// With a validation set: the trained model gets the weights of the epoch with the lowest validation loss, not
    /// those of the last epoch. Default <see cref="Defaults.KeepBestModel"/>. Ignored without a validation set.
    /// </summary>
    public bool KeepBestModel { get; set; } = Defaults.KeepBestModel;

    /// <summary>
    /// TorchSharp device name: "cpu", "cuda" or "cuda:N". Default <see cref="Defaults.Device"/>. CUDA needs a CUDA build of
    /// TorchSharp referenced by the app; see <see cref="FallbackToCpu"/>.
    /// </summary>
    public string Device { get; set; } = Defaults.Device;

    /// <summary>
    /// After each epoch, collect garbage and (on Linux with glibc) return freed native memory to the OS with
    /// malloc_trim. Default <see cref="Defaults.TrimNativeMemoryEachEpoch"/>: on full MNIST it kept the working set level
    /// across 10 epochs (about 0.75–0.83 GB) where without it the working set climbed for five epochs. Costs milliseconds
    /// per epoch.
    /// </summary>
    public bool TrimNativeMemoryEachEpoch { get; set; } = Defaults.TrimNativeMemoryEachEpoch;

    /// <summary>
    /// On Linux with glibc, keep libtorch's large per-step buffers (up to 32 MiB each) in the heap between steps instead
    /// of unmapping and faulting them in again every step (mallopt M_MMAP_THRESHOLD and M_TRIM_THRESHOLD). Process-wide,
    /// and it stays set after training. Default <see cref="Defaults.TuneNativeAllocator"/>. It speeds up libtorch-heavy
    /// steps (LSTM, GRU, the reference SRU) most; see the README's benchmark table for measured steps with and without it. Keep
    /// <see cref="TrimNativeMemoryEachEpoch"/> on with it, so that memory stays flat over long runs.
    /// </summary>
    public bool TuneNativeAllocator { get; set; } = Defaults.TuneNativeAllocator;

    /// <summary>
    /// When the requested CUDA device is not usable, train on the CPU with a warning instead of failing. Default
    /// <see cref="Defaults.FallbackToCpu"/>.
    /// </summary>
    public bool FallbackToCpu { get; set; } = Defaults.FallbackToCpu;

    /// <summary>
    /// Receives a <see cref="TrainingProgress"/> after every step and every epoch, on the training thread (keep it
    /// quick). Default null. Not saved with the model.
    /// </summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Stops training between batches (and between validation batches) with <see cref="OperationCanceledException"/>
    /// once cancelled, leaving no half-trained model behind. Default: none. Not saved with the model.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Whether the training and validation rows are held in memory or read through a cursor each epoch (streamed, for
    /// data larger than memory). Default <see cref="Defaults.DataLoading"/>: in memory up to
    /// <see cref="Defaults.InMemoryMaxValues"/> feature values, streamed beyond (the validation set as the training set).
    /// Streamed rows are shuffled within <see cref="ShuffleBufferSize"/> rows, so a streamed model differs from an in-memory
    /// one of the same seed; each is reproducible under its seed.
    /// </summary>
    public DataLoading DataLoading { get; set; } = Defaults.DataLoading;

    /// <summary>
    /// With streamed data (<see cref="DataLoading"/>): the rows the epoch's shuffle holds at once; a row goes out at
    /// random from them as the next comes in. Larger mixes data further (sorted data needs one as large as the data), at
    /// the cost of memory: this many rows. Default <see cref="Defaults.ShuffleBufferSize"/>. Range 1 to 100,000,000.
    /// </summary>
    public int ShuffleBufferSize { get; set; } = Defaults.ShuffleBufferSize;

    /// <summary>
    /// A folder for training checkpoints: the run's complete state (weights, the optimizer's moments and step count, the
    /// position in the learning-rate schedule and in the shuffled epoch, early-stopping bookkeeping), written atomically
    /// after every epoch and every <see cref="CheckpointEveryNSteps"/> steps, the last <see cref="KeepCheckpoints"/> kept.
    /// A later <c>Fit</c> with the same options and data continues from the newest one and ends with the same weights
    /// as a run never interrupted; a checkpoint of a different run is refused (<see cref="CheckpointMismatchException"/>).
    /// Created if missing; one run at a time per folder. Default null: no checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// With <see cref="CheckpointDirectory"/>: also write a checkpoint every this many steps (counted over the whole run),
    /// not only at the end of each epoch. Default <see cref="Defaults.CheckpointEveryNSteps"/>: once per epoch. Range 0 to
    /// 1,000,000,000.
    /// </summary>
    public int CheckpointEveryNSteps { get; set; } = Defaults.CheckpointEveryNSteps;

    /// <summary>
    /// With <see cref="CheckpointDirectory"/>: how many of the newest checkpoints stay on disk. Default
    /// <see cref="Defaults.KeepCheckpoints"/>. Range 1 to 1,000.
    /// </summary>
    public int KeepCheckpoints { get; set; } = Defaults.KeepCheckpoints;

    /// <summary>
    /// With <see cref="CheckpointDirectory"/>: continue from the newest checkpoint there, if any. Default
    /// <see cref="Defaults.ResumeFromCheckpoint"/>. False starts over, deleting the folder's checkpoints first.
    /// </summary>
    public bool ResumeFromCheckpoint { get; set; } = Defaults.ResumeFromCheckpoint;

    /// <summary>
    /// The network these options describe for a <paramref name="cell"/> network reading <paramref name="stepSize"/> values
    /// a step into <paramref name="classCount"/> classes: the one place where options become a network description.
    /// </summary>
    internal virtual NetworkSpec ToSpec(RecurrentCellKind cell, int stepSize, int classCount) =>
        new(cell, SequenceLength, stepSize, HiddenSize, NumberOfLayers, classCount) { SruCell = NoSruCell };

    /// <summary>What an LSTM or GRU model stores for the SRU options it ignores: the 2017 form without a highway.</summary>
    private static readonly SruCellSpec NoSruCell = SruCellSpec.Classic with { UseHighway = false };

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentException"/> naming the first invalid option
    /// of a <paramref name="cell"/> trainer.
    /// </summary>
    internal virtual void Validate(RecurrentCellKind cell)
    {
        CheckName(LabelColumnName, nameof(LabelColumnName));
        CheckName(FeatureColumnName, nameof(FeatureColumnName));
        // The network's options have the ranges a saved model's description is checked against, whatever the data give.
        if (ToSpec(cell, stepSize: 1, classCount: 2).FindProblem() is { } problem)
            throw problem.ToOptionException();
        if (MaxEpoch is { } maxEpoch)
            CheckRange(maxEpoch, 1, 1_000_000, nameof(MaxEpoch));
        if (StepSize is { } stepSize)
            CheckRange(stepSize, 1, NetworkSpec.MaxSize, nameof(StepSize));
        CheckRange(MaxSequenceLength, 1, NetworkSpec.MaxSize, nameof(MaxSequenceLength));
        CheckRange(EmbeddingSize, 1, 4096, nameof(EmbeddingSize));
        if (!Enum.IsDefined(Initialization))
            throw new ArgumentOutOfRangeException(nameof(Initialization), Initialization, $"Initialization must be one of {string.Join(", ", Enum.GetNames<WeightInitialization>())}.");
        if (!Enum.IsDefined(InputNormalization))
            throw new ArgumentOutOfRangeException(nameof(InputNormalization), InputNormalization, $"InputNormalization must be one of {string.Join(", ", Enum.GetNames<InputNormalization>())}.");
        CheckRange(BatchSize, 1, 1 << 20, nameof(BatchSize));
        CheckRange(LogEveryNSteps, 1, int.MaxValue, nameof(LogEveryNSteps));
        CheckRange(EarlyStoppingPatience, 0, 1_000_000, nameof(EarlyStoppingPatience));
        if (!(LearningRate > 0 && LearningRate <= 10))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be greater than 0 and at most 10.");
        if (!(GradientClipNorm >= 0) || float.IsPositiveInfinity(GradientClipNorm))
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), GradientClipNorm, "GradientClipNorm must be a finite number, 0 or greater (0 turns clipping off).");
        if (!(LearningRateDecay > 0 && LearningRateDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(LearningRateDecay), LearningRateDecay, "LearningRateDecay must be greater than 0 and at most 1.");
        if (!Enum.IsDefined(LearningRateSchedule))
            throw new ArgumentOutOfRangeException(nameof(LearningRateSchedule), LearningRateSchedule, $"LearningRateSchedule must be one of {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}.");
        CheckRange(WarmupSteps, 0, 100_000_000, nameof(WarmupSteps));
        if (WeightDecay is { } weightDecay && !(weightDecay >= 0 && weightDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be between 0 and 1 (0 turns it off).");
        if (!Enum.IsDefined(DataLoading))
            throw new ArgumentOutOfRangeException(nameof(DataLoading), DataLoading, $"DataLoading must be one of {string.Join(", ", Enum.GetNames<DataLoading>())}.");
        CheckRange(ShuffleBufferSize, 1, 100_000_000, nameof(ShuffleBufferSize));
        CheckRange(CheckpointEveryNSteps, 0, 1_000_000_000, nameof(CheckpointEveryNSteps));
        CheckRange(KeepCheckpoints, 1, 1000, nameof(KeepCheckpoints));
        if (CheckpointDirectory is not null)
            CheckFolder(CheckpointDirectory, nameof(CheckpointDirectory));
        if (Device is null || !DeviceNamePattern().IsMatch(Device))
            throw new ArgumentException($"Device \"{Device}\" is not a device name such as \"cpu\", \"cuda\" or \"cuda:0\".", nameof(Device));
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(cpu|cuda(:[0-9]{1,3})?)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex DeviceNamePattern();

    private static void CheckName(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{option} must name a column.", option);
    }

    private static void CheckFolder(string value, string option)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{option} must name a folder, or be null for none.", option);
        try
        {
            _ = Path.GetFullPath(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{option} \"{value}\" is not a usable path: {e.Message}", option, e);
        }
        if (File.Exists(value))
            throw new ArgumentException($"{option} \"{value}\" is a file; it must name a folder.", option);
    }

    private static void CheckRange(int value, int min, int max, string option)
    {
        // The message a stored network value's range gives too, so the sample reads every range error one way.
        if (value < min || value > max)
            throw SpecProblem.Range(option, option, value, min, max).ToOptionException();
    }
}
