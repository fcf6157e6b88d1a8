using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sru.Benchmarks;

/// <summary>
/// The classifier exported with ConvertToOnnx and run in ONNX Runtime (default session options: one intra-op thread per
/// core), beside Transform and PredictionEngine in the same process: batched rows/s over the MNIST test split, in batches
/// of <see cref="BatchSize"/> rows like Transform's, and single-row latency.
/// </summary>
internal static class OnnxBenchmark
{
    private const int BatchSize = 128;

    /// <summary>(rows/s batched, single-row p50 µs, p99 µs) of the exported <paramref name="model"/>; <paramref name="keyedTest"/> has Label as a key.</summary>
    public static (double RowsPerSecond, double P50, double P99) Measure(MLContext ml, ITransformer model, IDataView keyedTest, int latencyRows = 2000)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, keyedTest, stream);
        using var session = new InferenceSession(stream.ToArray());
        float[] features = keyedTest.GetColumn<float[]>("Features").SelectMany(row => row).ToArray();
        uint[] labels = keyedTest.GetColumn<uint>("Label").ToArray();
        int rows = labels.Length, width = features.Length / rows;

        IReadOnlyList<NamedOnnxValue> Inputs(int start, int count) => new[]
        {
            NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features.AsMemory(start * width, count * width), new[] { count, width })),
            NamedOnnxValue.CreateFromTensor("Label", new DenseTensor<uint>(labels.AsMemory(start, count), new[] { count, 1 })),
        };
        var outputs = new[] { "Score.output" };

        var rates = new List<double>();
        for (int pass = 0; pass < 4; pass++)
        {
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < rows; start += BatchSize)
            {
                using var result = session.Run(Inputs(start, Math.Min(BatchSize, rows - start)), outputs);
            }
            // The first pass warms up.
            if (pass > 0)
                rates.Add(rows / clock.Elapsed.TotalSeconds);
        }

        for (int i = 0; i < 100; i++)
        {
            using var warm = session.Run(Inputs(i, 1), outputs);
        }
        var times = new List<double>(latencyRows);
        for (int i = 0; i < latencyRows; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using (var result = session.Run(Inputs(i, 1), outputs))
            {
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        return (Statistics.Median(rates), Statistics.Percentile(times, 0.5), Statistics.Percentile(times, 0.99));
    }
}
