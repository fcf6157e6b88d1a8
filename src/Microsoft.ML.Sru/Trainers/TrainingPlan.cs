namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// How long a run trains and what stops it, resolved from the options and the data before the first step: the rule
/// <see cref="RecurrentTrainerOptions.MaxEpoch"/> documents.
/// </summary>
/// <param name="Epochs">Epochs to run at most; the learning-rate schedule spans them.</param>
/// <param name="EarlyStoppingPatience">Epochs without a lower validation loss before stopping; 0 never stops early.</param>
/// <param name="KeepBestModel">Whether the run ends with the best validation epoch's weights.</param>
/// <param name="HeldOutRows">Training rows to hold out as the validation set; 0 when none are.</param>
internal sealed record TrainingPlan(int Epochs, int EarlyStoppingPatience, bool KeepBestModel, int HeldOutRows)
{
    /// <summary>Rows the automatic rule aims to train on in all, over every epoch: three epochs of MNIST.</summary>
    public const int TargetRowsSeen = 180_000;

    public const int MinAutomaticEpochs = 3;

    public const int MaxAutomaticEpochs = 100;

    /// <summary>The patience of the automatic rule when <see cref="RecurrentTrainerOptions.EarlyStoppingPatience"/> is 0.</summary>
    public const int AutomaticPatience = 5;

    /// <summary>The share of the training rows held out when the automatic rule needs a validation set and has none.</summary>
    public const double HeldOutShare = 0.1;

    /// <summary>Fewer training rows than this are never split: a held-out slice of them would say little.</summary>
    public const int MinRowsToHoldOut = 50;

    public static TrainingPlan For(RecurrentTrainerOptions options, int trainingRows, bool hasValidationSet)
    {
        if (options.MaxEpoch is { } epochs)
            return new(epochs, options.EarlyStoppingPatience, options.KeepBestModel, 0);

        int patience = options.EarlyStoppingPatience > 0 ? options.EarlyStoppingPatience : AutomaticPatience;
        int automatic = EpochsFor(trainingRows);
        if (hasValidationSet || automatic == MinAutomaticEpochs || trainingRows < MinRowsToHoldOut)
            return new(automatic, hasValidationSet ? patience : 0, options.KeepBestModel, 0);
        int heldOut = (int)Math.Round(trainingRows * HeldOutShare);
        return new(EpochsFor(trainingRows - heldOut), patience, options.KeepBestModel, heldOut);
    }

    private static int EpochsFor(int rows) =>
        (int)Math.Clamp((TargetRowsSeen + (long)rows - 1) / Math.Max(1, rows), MinAutomaticEpochs, MaxAutomaticEpochs);
}
