using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Microsoft.ML.Transforms;

namespace Sru.Benchmarks;

/// <summary>Full MNIST: 3 epochs of training plus evaluation, for the recurrent trainers and the ones an ML.NET user would otherwise pick.</summary>
internal static class MnistBenchmark
{
    public sealed record Result(string Trainer, double WallSeconds, double TrainSeconds, double Accuracy, long PeakWorkingSetMiB, ITransformer Model);

    public static Result Run(string name, IEstimator<ITransformer> trainer, MLContext ml, IDataView train, IDataView test)
    {
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Append(trainer);
        // Each trainer starts from a settled machine: the previous section's garbage collected and its worker threads
        // idle. (SRU measured 13.4–14.7 s alone in a process, 18.6–21.0 s right after the step benchmarks without this.)
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(2000);
        var clock = Stopwatch.StartNew();
        ITransformer model = pipeline.Fit(train);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        double wall = clock.Elapsed.TotalSeconds;
        using var self = Process.GetCurrentProcess();
        return new Result(name, wall, trainSeconds, metrics.MicroAccuracy, self.PeakWorkingSet64 >> 20, model);
    }

    /// <summary>Rows per second through Transform over the whole test split, reading every Score.</summary>
    public static double ScoringRowsPerSecond(ITransformer model, IDataView test)
    {
        IDataView scored = model.Transform(test);
        var column = scored.Schema["Score"];
        var times = new List<double>();
        for (int repeat = 0; repeat < 3; repeat++)
        {
            var clock = Stopwatch.StartNew();
            long rows = 0;
            using (var cursor = scored.GetRowCursor(new[] { column }))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(column);
                VBuffer<float> buffer = default;
                while (cursor.MoveNext())
                {
                    getter(ref buffer);
                    rows++;
                }
            }
            times.Add(rows / clock.Elapsed.TotalSeconds);
        }
        return Statistics.Median(times);
    }

    public sealed class Image
    {
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    /// <summary>PredictionEngine latency per single row, in microseconds: (p50, p99).</summary>
    public static (double P50, double P99) PredictionLatency(MLContext ml, ITransformer model, IDataView test, int count = 2000)
    {
        var images = ml.Data.CreateEnumerable<Image>(test, reuseRowObject: false).Take(count).ToArray();
        var engine = ml.Model.CreatePredictionEngine<Image, Prediction>(model);
        var prediction = new Prediction();
        for (int i = 0; i < 100; i++)
            engine.Predict(images[i % images.Length], ref prediction);
        var times = new List<double>(images.Length);
        foreach (Image image in images)
        {
            long start = Stopwatch.GetTimestamp();
            engine.Predict(image, ref prediction);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        return (Statistics.Percentile(times, 0.5), Statistics.Percentile(times, 0.99));
    }
}
