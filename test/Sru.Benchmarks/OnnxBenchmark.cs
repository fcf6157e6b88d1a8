using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace Sru.Benchmarks;

/// <summary>
/// The classifier exported with ConvertToOnnx and run in ONNX Runtime (default session options: one intra-op thread per
/// core), beside Transform and PredictionEngine in the same process: batched rows/s over the MNIST test split, in batches
/// of <see cref="OnnxTestRows.BatchSize"/> rows like Transform's, and single-row latency.
/// </summary>
internal static class OnnxBenchmark
{
    /// <summary>(rows/s batched, single-row p50 µs, p99 µs) of the exported <paramref name="model"/>; <paramref name="keyedTest"/> has Label as a key.</summary>
    public static (double RowsPerSecond, double P50, double P99) Measure(MLContext ml, ITransformer model, IDataView keyedTest, int latencyRows = 2000)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, keyedTest, stream);
        using var session = new InferenceSession(stream.ToArray());
        var rows = new OnnxTestRows(keyedTest);

        rows.BatchedRowsPerSecond(session); // warm-up
        var rates = Enumerable.Range(0, 3).Select(_ => rows.BatchedRowsPerSecond(session)).ToList();
        var (p50, p99) = rows.SingleRowLatency(session, latencyRows);
        return (Statistics.Median(rates), p50, p99);
    }
}
