using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Sru.Benchmarks;

/// <summary>
/// The SRU's recurrence in ONNX as exported (unrolled over the T steps) against the same model with each layer's
/// recurrence as one ONNX <c>Scan</c> (<see cref="OnnxScanRewriter"/>), in ONNX Runtime with default session options:
/// first the Scores of both on every test row compared, then in turns (rounds alternating which goes first) batched
/// rows/s over the test rows in batches of <see cref="OnnxTestRows.BatchSize"/> and single-row latency; the medians of the rounds.
/// </summary>
internal static class OnnxScanBenchmark
{
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

        var testRows = new OnnxTestRows(keyedTest);
        int rows = testRows.Rows;

        using var unrolledSession = new InferenceSession(unrolled);
        using var scanSession = new InferenceSession(scan);

        // Parity: the Scores of every row (this also warms both sessions up).
        float[] a = testRows.Scores(unrolledSession), b = testRows.Scores(scanSession);
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
                rates[which].Add(testRows.BatchedRowsPerSecond(session));
                var (p50, p99) = testRows.SingleRowLatency(session, latencyRows);
                p50s[which].Add(p50);
                p99s[which].Add(p99);
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
