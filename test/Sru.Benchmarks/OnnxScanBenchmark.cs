using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sru.Benchmarks;

/// <summary>
/// The SRU's recurrence in ONNX as exported (unrolled over the T steps) against the same model with each layer's
/// recurrence as one ONNX <c>Scan</c> (<see cref="OnnxScanRewriter"/>), in ONNX Runtime with default session options:
/// first the Scores of both on every test row compared, then in turns (rounds alternating which goes first) batched
/// rows/s over the test rows in batches of <see cref="BatchSize"/> and single-row latency; the medians of the rounds.
/// </summary>
internal static class OnnxScanBenchmark
{
    private const int BatchSize = 128;
    private const float Tolerance = 1e-4f;

    public sealed record Form(string Name, int Nodes, int Bytes, double RowsPerSecond, double P50, double P99, double[] RoundRowsPerSecond, double[] RoundP50, double[] RoundP99);

    public sealed record Result(int Rows, int ScanLayers, double LargestScoreDifference, int PredictionsDiffering, Form Unrolled, Form Scan, int Rounds, int LatencyRows);

    /// <summary>Measures the classifier <paramref name="model"/> (an SRU transformer; <paramref name="keyedTest"/> has Label as a key).</summary>
    public static Result Run(MLContext ml, ITransformer model, IDataView keyedTest, int steps, int expectedLayers, int rounds = 7, int latencyRows = 2000)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, keyedTest, stream);
        byte[] unrolled = stream.ToArray();
        var (scan, layers) = OnnxScanRewriter.Rewrite(unrolled, steps);
        if (layers != expectedLayers)
            throw new InvalidOperationException($"The Scan form rewrote {layers} recurrences; the network has {expectedLayers} layers.");

        float[] features = keyedTest.GetColumn<float[]>("Features").SelectMany(row => row).ToArray();
        uint[] labels = keyedTest.GetColumn<uint>("Label").ToArray();
        int rows = labels.Length, width = features.Length / rows;
        IReadOnlyList<NamedOnnxValue> Inputs(int start, int count) => new[]
        {
            NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features.AsMemory(start * width, count * width), new[] { count, width })),
            NamedOnnxValue.CreateFromTensor("Label", new DenseTensor<uint>(labels.AsMemory(start, count), new[] { count, 1 })),
        };
        var outputs = new[] { "Score.output" };

        using var unrolledSession = new InferenceSession(unrolled);
        using var scanSession = new InferenceSession(scan);

        // Parity: the Scores of every row (this also warms both sessions up).
        float[] Scores(InferenceSession session)
        {
            var all = new List<float>();
            for (int start = 0; start < rows; start += BatchSize)
            {
                using var result = session.Run(Inputs(start, Math.Min(BatchSize, rows - start)), outputs);
                all.AddRange(result.First().AsEnumerable<float>());
            }
            return all.ToArray();
        }
        float[] a = Scores(unrolledSession), b = Scores(scanSession);
        if (a.Length != b.Length)
            throw new InvalidOperationException($"The unrolled model gave {a.Length} scores, the Scan form {b.Length}.");
        double largest = a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max();
        int classes = a.Length / rows, differing = 0;
        for (int r = 0; r < rows; r++)
        {
            var sa = a.AsSpan(r * classes, classes);
            var sb = b.AsSpan(r * classes, classes);
            if (sa.IndexOf(MaxOf(sa)) != sb.IndexOf(MaxOf(sb)))
                differing++;
        }
        if (!(largest <= Tolerance))
            throw new InvalidOperationException($"The Scan form's Scores differ from the unrolled export's by up to {largest:G3} (tolerance {Tolerance:G1}).");

        var sessions = new[] { unrolledSession, scanSession };
        var rates = new[] { new List<double>(), new List<double>() };
        var p50s = new[] { new List<double>(), new List<double>() };
        var p99s = new[] { new List<double>(), new List<double>() };
        for (int round = 0; round < rounds; round++)
        {
            foreach (int which in round % 2 == 0 ? new[] { 0, 1 } : new[] { 1, 0 })
            {
                var session = sessions[which];
                var clock = Stopwatch.StartNew();
                for (int start = 0; start < rows; start += BatchSize)
                {
                    using var result = session.Run(Inputs(start, Math.Min(BatchSize, rows - start)), outputs);
                }
                rates[which].Add(rows / clock.Elapsed.TotalSeconds);

                for (int i = 0; i < 100; i++)
                {
                    using var warm = session.Run(Inputs(i, 1), outputs);
                }
                var times = new List<double>(latencyRows);
                for (int i = 0; i < latencyRows; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    using (var result = session.Run(Inputs(i % rows, 1), outputs))
                    {
                    }
                    times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }
                p50s[which].Add(Statistics.Percentile(times, 0.5));
                p99s[which].Add(Statistics.Percentile(times, 0.99));
            }
        }

        Form Summary(int which, string name, byte[] bytes) => new(name, OnnxScanRewriter.NodeCount(bytes), bytes.Length,
            Statistics.Median(rates[which]), Statistics.Median(p50s[which]), Statistics.Median(p99s[which]),
            rates[which].ToArray(), p50s[which].ToArray(), p99s[which].ToArray());
        return new Result(rows, layers, largest, differing, Summary(0, "unrolled", unrolled), Summary(1, "Scan", scan), rounds, latencyRows);
    }

    private static float MaxOf(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values)
            max = Math.Max(max, v);
        return max;
    }
}
