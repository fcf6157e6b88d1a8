namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The learning rate of every gradient step: a <see cref="LearningRateSchedule"/>, scaled by a linear warm-up over the
/// first steps (step s of W trains at (s + 1) / W of the schedule's rate).
/// </summary>
internal sealed class LearningRateScheduler
{
    private readonly LearningRateSchedule _schedule;
    private readonly double _baseRate;
    private readonly double _decay;
    private readonly int _warmupSteps;
    private readonly int _stepsPerEpoch;
    private readonly long _totalSteps;

    public LearningRateScheduler(LearningRateSchedule schedule, double baseRate, double decay, int warmupSteps, int stepsPerEpoch, long totalSteps)
    {
        _schedule = schedule;
        _baseRate = baseRate;
        _decay = decay;
        _warmupSteps = warmupSteps;
        _stepsPerEpoch = stepsPerEpoch;
        _totalSteps = totalSteps;
    }

    public static LearningRateScheduler For(RecurrentTrainerOptions options, int stepsPerEpoch, int epochs) => new(
        options.LearningRateSchedule, options.LearningRate, options.LearningRateDecay, options.WarmupSteps, stepsPerEpoch,
        (long)stepsPerEpoch * epochs);

    /// <summary>The rate of the step with zero-based index <paramref name="step"/>, counted over all epochs.</summary>
    public double RateAt(long step)
    {
        double rate = _schedule switch
        {
            LearningRateSchedule.Constant => _baseRate,
            LearningRateSchedule.Step => _baseRate * Math.Pow(_decay, step / _stepsPerEpoch),
            LearningRateSchedule.Cosine => CosineRate(step),
            _ => throw new ArgumentOutOfRangeException(nameof(RecurrentTrainerOptions.LearningRateSchedule), _schedule, "Unknown learning-rate schedule."),
        };
        return step < _warmupSteps ? rate * (step + 1) / _warmupSteps : rate;
    }

    private double CosineRate(long step)
    {
        if (step < _warmupSteps)
            return _baseRate;
        double progress = (double)(step - _warmupSteps) / Math.Max(1, _totalSteps - _warmupSteps);
        return _baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
