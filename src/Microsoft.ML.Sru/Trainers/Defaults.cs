namespace Microsoft.ML.Sru;

/// <summary>
/// The default of every trainer option: what <see cref="RecurrentTrainerOptions"/>, <see cref="SruTrainer.Options"/>,
/// <see cref="LstmTrainer.Options"/> and <see cref="GruTrainer.Options"/> start with, and what the catalog's optional
/// parameters default to. Options without a constant default (<see cref="RecurrentTrainerOptions.MaxEpoch"/>, the SRU's
/// <see cref="RecurrentTrainerOptions.WeightDecay"/>, <see cref="RecurrentTrainerOptions.CheckpointDirectory"/>,
/// <see cref="RecurrentTrainerOptions.Progress"/>) are null or empty by default.
/// </summary>
public static class Defaults
{
    /// <summary>Default of <see cref="RecurrentTrainerOptions.LabelColumnName"/>.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>Default of <see cref="RecurrentTrainerOptions.FeatureColumnName"/>.</summary>
    public const string FeatureColumnName = "Features";

    /// <summary>Default of <see cref="RecurrentTrainerOptions.SequenceLength"/>: MNIST read row by row, 28 steps of 28 pixels.</summary>
    public const int SequenceLength = 28;

    /// <summary>
    /// Default of <see cref="RecurrentTrainerOptions.MaxSequenceLength"/>: room for a long paragraph's words, while a batch
    /// of the longest rows stays within a few hundred megabytes of activations.
    /// </summary>
    public const int MaxSequenceLength = 256;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.EmbeddingSize"/>.</summary>
    public const int EmbeddingSize = 64;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.HiddenSize"/>, the configuration of <see cref="BlogReproduction">the blog post</see>.</summary>
    public const int HiddenSize = 128;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.NumberOfLayers"/> for the LSTM and GRU, the configuration of <see cref="BlogReproduction">the blog post</see>.</summary>
    public const int NumberOfLayers = 2;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.NumberOfLayers"/> for the SRU, whose layers cost a fraction of an LSTM's.</summary>
    public const int SruNumberOfLayers = 3;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.InputNormalization"/>.</summary>
    public const InputNormalization InputNormalization = Sru.InputNormalization.Global;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.BatchSize"/> for the LSTM and GRU.</summary>
    public const int BatchSize = 128;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.BatchSize"/> for the SRU, which trains better on more, smaller steps.</summary>
    public const int SruBatchSize = 32;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.LearningRate"/>.</summary>
    public const float LearningRate = 0.005f;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.GradientClipNorm"/>, as in <see cref="BlogReproduction">the blog post</see>.</summary>
    public const float GradientClipNorm = 1.0f;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.LearningRateDecay"/>: the rate halves after each epoch of the step schedule.</summary>
    public const float LearningRateDecay = 0.5f;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.LearningRateSchedule"/>.</summary>
    public const LearningRateSchedule LearningRateSchedule = Sru.LearningRateSchedule.Cosine;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.WarmupSteps"/>: no warm-up.</summary>
    public const int WarmupSteps = 0;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.WeightDecay"/> for the LSTM and GRU: plain Adam.</summary>
    public const float WeightDecay = 0f;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.Initialization"/>.</summary>
    public const WeightInitialization Initialization = WeightInitialization.Default;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.LogEveryNSteps"/>.</summary>
    public const int LogEveryNSteps = 100;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.EarlyStoppingPatience"/>: see there what 0 means.</summary>
    public const int EarlyStoppingPatience = 0;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.KeepBestModel"/>.</summary>
    public const bool KeepBestModel = true;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.Device"/>.</summary>
    public const string Device = "cpu";

    /// <summary>Default of <see cref="RecurrentTrainerOptions.TrimNativeMemoryEachEpoch"/>.</summary>
    public const bool TrimNativeMemoryEachEpoch = true;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.TuneNativeAllocator"/>: it changes the whole process, so it is asked for.</summary>
    public const bool TuneNativeAllocator = false;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.FallbackToCpu"/>.</summary>
    public const bool FallbackToCpu = false;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.DataLoading"/>.</summary>
    public const DataLoading DataLoading = Sru.DataLoading.Auto;

    /// <summary>
    /// <see cref="Sru.DataLoading.Auto"/> streams training rows holding more feature values than this: 2²⁸ Single values,
    /// 1 GiB (342,000 MNIST rows), so that the copy in memory stays a modest share of a machine's RAM.
    /// </summary>
    public const long InMemoryMaxValues = 1L << 28;

    /// <summary>
    /// Default of <see cref="RecurrentTrainerOptions.ShuffleBufferSize"/>: 16,384 rows, 51 MB of MNIST rows, large
    /// enough to mix data that is not sorted.
    /// </summary>
    public const int ShuffleBufferSize = 16_384;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.CheckpointEveryNSteps"/>: once per epoch.</summary>
    public const int CheckpointEveryNSteps = 0;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.KeepCheckpoints"/>.</summary>
    public const int KeepCheckpoints = 3;

    /// <summary>Default of <see cref="RecurrentTrainerOptions.ResumeFromCheckpoint"/>.</summary>
    public const bool ResumeFromCheckpoint = true;

    /// <summary>Default of <see cref="SruTrainer.Options.UseHighway"/>: it trained faster and more accurately on MNIST than the plain cell.</summary>
    public const bool UseHighway = true;

    /// <summary>Default of <see cref="SruTrainer.Options.Bidirectional"/>.</summary>
    public const bool Bidirectional = false;

    /// <summary>Default of <see cref="SruTrainer.Options.UseCellStateWeights"/>: the 2017 gates.</summary>
    public const bool UseCellStateWeights = false;

    /// <summary>Default of <see cref="SruTrainer.Options.Activation"/>: the 2017 paper's and that of <see cref="BlogReproduction">the blog post</see>.</summary>
    public const SruActivation Activation = SruActivation.Tanh;

    /// <summary>Default of <see cref="SruTrainer.Options.HighwayBias"/>.</summary>
    public const float HighwayBias = 0f;

    /// <summary>Default of <see cref="SruTrainer.Options.Rescale"/>.</summary>
    public const bool Rescale = false;

    /// <summary>Default of <see cref="SruTrainer.Options.Dropout"/>: none.</summary>
    public const float Dropout = 0f;

    /// <summary>Default of <see cref="SruTrainer.Options.LayerNorm"/>: none.</summary>
    public const SruLayerNorm LayerNorm = SruLayerNorm.None;

    /// <summary>Default of <see cref="SruTrainer.Options.ProjectionSize"/>: no projection.</summary>
    public const int ProjectionSize = 0;
}
