namespace Microsoft.ML.Sru;

/// <summary>How the learning rate changes over training (<see cref="RecurrentTrainerOptions.LearningRateSchedule"/>).</summary>
public enum LearningRateSchedule
{
    /// <summary>The rate stays at <see cref="RecurrentTrainerOptions.LearningRate"/> (after the warm-up).</summary>
    Constant,

    /// <summary>
    /// The rate is multiplied by <see cref="RecurrentTrainerOptions.LearningRateDecay"/> after every epoch: epoch e (from 1)
    /// trains at LearningRate × LearningRateDecay^(e − 1).
    /// </summary>
    Step,

    /// <summary>
    /// After the warm-up, the rate follows half a cosine from <see cref="RecurrentTrainerOptions.LearningRate"/> down to
    /// nearly 0 at the last step of the run's epochs (<see cref="RecurrentTrainerOptions.MaxEpoch"/>).
    /// </summary>
    Cosine,
}
