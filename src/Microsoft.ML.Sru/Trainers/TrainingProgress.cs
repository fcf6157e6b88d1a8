namespace Microsoft.ML.Sru;

/// <summary>What a <see cref="TrainingProgress"/> report describes.</summary>
public enum TrainingProgressKind
{
    /// <summary>One gradient step has finished; loss and accuracy are the batch's.</summary>
    Step,

    /// <summary>An epoch has finished; loss and accuracy are the epoch's means, validation figures are set when a validation set was given.</summary>
    Epoch,
}

/// <summary>
/// A training-progress report, sent to <see cref="RecurrentTrainerOptions.Progress"/> after every step and every
/// epoch, on the training thread. Live displays, curves and early-stopping dashboards are built from these.
/// </summary>
public sealed record TrainingProgress
{
    /// <summary>Whether this reports a step or a whole epoch.</summary>
    public required TrainingProgressKind Kind { get; init; }

    /// <summary>The current epoch, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>The number of epochs training will run at most.</summary>
    public required int MaxEpoch { get; init; }

    /// <summary>The step within the epoch, from 1 (equal to <see cref="StepsPerEpoch"/> in an epoch report).</summary>
    public required int Step { get; init; }

    /// <summary>Gradient steps in one epoch.</summary>
    public required int StepsPerEpoch { get; init; }

    /// <summary>
    /// Mean loss of the batch (step) or of the epoch's training rows (epoch): cross-entropy (multiclass), binary
    /// cross-entropy (binary classification), or the squared error of the standardized label (regression).
    /// </summary>
    public required float Loss { get; init; }

    /// <summary>Training accuracy of the batch (step) or the epoch (epoch), 0 to 1; NaN for regression.</summary>
    public required float Accuracy { get; init; }

    /// <summary>The learning rate the step used.</summary>
    public required float LearningRate { get; init; }

    /// <summary>Training rows processed per second so far in this epoch.</summary>
    public required double RowsPerSecond { get; init; }

    /// <summary>Time since training started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to the end of the last epoch at the current pace.</summary>
    public required TimeSpan EstimatedRemaining { get; init; }

    /// <summary>Mean loss on the validation set (epoch reports with a validation set only).</summary>
    public float? ValidationLoss { get; init; }

    /// <summary>Accuracy on the validation set, 0 to 1 (epoch reports of a classifier with a validation set only).</summary>
    public float? ValidationAccuracy { get; init; }
}
