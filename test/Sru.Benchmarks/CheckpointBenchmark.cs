using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Microsoft.ML.Transforms;

namespace Sru.Benchmarks;

/// <summary>
/// What checkpoints cost on full MNIST with the SRU's defaults, from the library's log: each checkpoint's size, the time
/// it holds the training thread up (serializing, and waiting for the previous write if that still runs) and the time
/// its background write takes (write, flush to the disk, rename, flush the folder), set against the training time, for
/// one checkpoint per epoch (the default) and one every <see cref="EveryNSteps"/> steps; and the same run without
/// checkpoints, for the wall time side by side.
/// </summary>
internal static partial class CheckpointBenchmark
{
    public const int EveryNSteps = 500;

    /// <param name="Setting">Which checkpoints were written.</param>
    /// <param name="FitSeconds">The whole Fit: reading the data, training, checkpoints.</param>
    /// <param name="TrainingSeconds">The training loop: the training clock at the last epoch's report.</param>
    /// <param name="CheckpointBytes">Each checkpoint's size.</param>
    /// <param name="BlockedMilliseconds">Each checkpoint's time on the training thread.</param>
    /// <param name="SerializingMilliseconds">The part of it spent serializing.</param>
    /// <param name="WritingMilliseconds">Each checkpoint's background write.</param>
    public sealed record Result(string Setting, double FitSeconds, double TrainingSeconds, long[] CheckpointBytes,
        double[] BlockedMilliseconds, double[] SerializingMilliseconds, double[] WritingMilliseconds)
    {
        public double CheckpointShare => BlockedMilliseconds.Sum() / 1000 / TrainingSeconds;
    }

    public static IReadOnlyList<Result> Run(int epochs)
    {
        var results = new List<Result>();
        foreach (var (setting, everyNSteps, checkpoints) in new[] { ("none", 0, false), ("per epoch", 0, true), ($"every {EveryNSteps} steps", EveryNSteps, true) })
        {
            string directory = Path.Combine(Path.GetTempPath(), "sru-checkpoint-benchmark-" + Guid.NewGuid().ToString("N"));
            try
            {
                results.Add(Measure(setting, epochs, checkpoints ? directory : null, everyNSteps));
            }
            finally
            {
                if (Directory.Exists(directory))
                    Directory.Delete(directory, recursive: true);
            }
        }
        return results;
    }

    private static Result Measure(string setting, int epochs, string? directory, int everyNSteps)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadMnist(MnistSplit.Train);
        var bytes = new List<long>();
        var blocked = new List<double>();
        var serializing = new List<double>();
        var writing = new List<double>();
        ml.Log += (_, e) =>
        {
            var match = WrittenPattern().Match(e.RawMessage);
            if (match.Success)
            {
                bytes.Add(long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
                blocked.Add(double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
                serializing.Add(double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
                writing.Add(double.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture));
            }
        };
        var epochEnds = new List<TimeSpan>();
        var options = new SruTrainer.Options
        {
            MaxEpoch = epochs,
            CheckpointDirectory = directory,
            CheckpointEveryNSteps = everyNSteps,
            Progress = new EpochClock(epochEnds),
        };
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.Sru(options));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(2000);
        var clock = Stopwatch.StartNew();
        using (pipeline.Fit(train) as IDisposable)
        {
        }
        double fit = clock.Elapsed.TotalSeconds;
        return new Result(setting, fit, epochEnds[^1].TotalSeconds, bytes.ToArray(), blocked.ToArray(), serializing.ToArray(), writing.ToArray());
    }

    [GeneratedRegex(@"^Checkpoint '.*' written: ([\d,]+) bytes, ([\d.]+) ms on the training thread \(([\d.]+) ms serializing\), ([\d.]+) ms writing\.$")]
    private static partial Regex WrittenPattern();

    /// <summary>Notes the training clock at every epoch's report, on the training thread.</summary>
    private sealed class EpochClock(List<TimeSpan> ends) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Kind == TrainingProgressKind.Epoch)
                ends.Add(value.Elapsed);
        }
    }
}
