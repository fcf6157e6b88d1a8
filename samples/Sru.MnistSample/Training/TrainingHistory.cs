using Microsoft.ML.Sru;

namespace Sru.MnistSample.Training;

/// <summary>Every progress report of one training run, for curves and for the time per step.</summary>
internal sealed class TrainingHistory : IProgress<TrainingProgress>
{
    private readonly List<TrainingProgress> _steps = [];
    private readonly List<TrainingProgress> _epochs = [];

    public IReadOnlyList<TrainingProgress> Steps => _steps;

    public IReadOnlyList<TrainingProgress> Epochs => _epochs;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        (value.Kind == TrainingProgressKind.Step ? _steps : _epochs).Add(value);
    }

    /// <summary>The step's position over the whole run, from 1 (epoch 2 step 1 follows the last step of epoch 1).</summary>
    public static int GlobalStep(TrainingProgress report) => (report.Epoch - 1) * report.StepsPerEpoch + report.Step;

    /// <summary>
    /// The median time between consecutive steps of the same epoch, in milliseconds; null with fewer than two steps.
    /// The median keeps the first, warm-up step and the per-epoch pauses out.
    /// </summary>
    public double? MedianStepMilliseconds()
    {
        var gaps = new List<double>();
        for (int i = 1; i < _steps.Count; i++)
        {
            if (_steps[i].Epoch == _steps[i - 1].Epoch)
                gaps.Add((_steps[i].Elapsed - _steps[i - 1].Elapsed).TotalMilliseconds);
        }
        if (gaps.Count == 0)
            return null;
        gaps.Sort();
        return gaps.Count % 2 == 1 ? gaps[gaps.Count / 2] : (gaps[gaps.Count / 2 - 1] + gaps[gaps.Count / 2]) / 2;
    }
}
