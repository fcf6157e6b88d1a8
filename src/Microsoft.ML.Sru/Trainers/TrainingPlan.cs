using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// How long a run trains, what stops it and how hard its weights decay, resolved from the options and the data before
/// the first step: the rules <see cref="RecurrentTrainerOptions.MaxEpoch"/> and <see cref="RecurrentTrainerOptions.WeightDecay"/> document.
/// </summary>
/// <param name="Epochs">Epochs to run at most; the learning-rate schedule spans them.</param>
/// <param name="EarlyStoppingPatience">Epochs without a lower validation loss before stopping; 0 never stops early.</param>
/// <param name="KeepBestModel">Whether a run with a validation set ends with the best validation epoch's weights.</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay; 0 for plain Adam.</param>
internal sealed record TrainingPlan(int Epochs, int EarlyStoppingPatience, bool KeepBestModel, float WeightDecay)
{
    /// <summary>Rows the automatic rule aims to train on in all, over every epoch: three epochs of MNIST.</summary>
    public const int TargetRowsSeen = 180_000;

    public const int MinAutomaticEpochs = 3;

    public const int MaxAutomaticEpochs = 100;

    /// <summary>The automatic weight decay is this many rows' worth: 200 / rows.</summary>
    public const float AutomaticWeightDecayRows = 200;

    public const float MaxAutomaticWeightDecay = 0.1f;

    public static TrainingPlan For(RecurrentTrainerOptions options, int trainingRows, SequenceInputKind input) =>
        new(options.MaxEpoch ?? EpochsFor(trainingRows), options.EarlyStoppingPatience, options.KeepBestModel,
            options.WeightDecay ?? WeightDecayFor(trainingRows, input));

    // The automatic rule trains about the same number of steps on every set, so a fixed decay would pull as hard on
    // 60,000 rows as on 2,000; a prior's weight against the data falls as 1 / rows. Not for tokens: AdamW shrinks every
    // embedding row every step, and a rare token's row sees a gradient only now and then.
    private static float WeightDecayFor(int rows, SequenceInputKind input) =>
        input == SequenceInputKind.Tokens ? 0 : Math.Min(MaxAutomaticWeightDecay, AutomaticWeightDecayRows / Math.Max(1, rows));

    // A fixed number of rows seen rather than a stop on held-out loss: on small sets the held-out loss bottoms out
    // while the learning rate is still high and accuracy still rising (docs/results.md, "Training length").
    private static int EpochsFor(int rows) =>
        (int)Math.Clamp((TargetRowsSeen + (long)rows - 1) / Math.Max(1, rows), MinAutomaticEpochs, MaxAutomaticEpochs);
}
