namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// How long a run trains and what stops it, resolved from the options and the data before the first step: the rule
/// <see cref="RecurrentTrainerOptions.MaxEpoch"/> documents.
/// </summary>
/// <param name="Epochs">Epochs to run at most; the learning-rate schedule spans them.</param>
/// <param name="EarlyStoppingPatience">Epochs without a lower validation loss before stopping; 0 never stops early.</param>
/// <param name="KeepBestModel">Whether a run with a validation set ends with the best validation epoch's weights.</param>
internal sealed record TrainingPlan(int Epochs, int EarlyStoppingPatience, bool KeepBestModel)
{
    /// <summary>Rows the automatic rule aims to train on in all, over every epoch: three epochs of MNIST.</summary>
    public const int TargetRowsSeen = 180_000;

    public const int MinAutomaticEpochs = 3;

    public const int MaxAutomaticEpochs = 100;

    public static TrainingPlan For(RecurrentTrainerOptions options, int trainingRows) =>
        new(options.MaxEpoch ?? EpochsFor(trainingRows), options.EarlyStoppingPatience, options.KeepBestModel);

    // A fixed number of rows seen rather than a stop on held-out loss: on small sets the held-out loss bottoms out
    // while the learning rate is still high and accuracy still rising (docs/results.md, "Training length").
    private static int EpochsFor(int rows) =>
        (int)Math.Clamp((TargetRowsSeen + (long)rows - 1) / Math.Max(1, rows), MinAutomaticEpochs, MaxAutomaticEpochs);
}
