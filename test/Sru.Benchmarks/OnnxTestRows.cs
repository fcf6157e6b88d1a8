using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Sru.Benchmarks;

/// <summary>
/// The test rows as ONNX Runtime inputs of an exported classifier (Features and the key Label), and the ways the ONNX
/// benchmarks run a session over them: batches of <see cref="BatchSize"/> rows like Transform's, and single rows.
/// </summary>
internal sealed class OnnxTestRows
{
    public const int BatchSize = 128;

    private static readonly string[] Outputs = ["Score.output"];

    private readonly float[] _features;
    private readonly uint[] _labels;
    private readonly int _width;

    /// <param name="keyedTest">Features and Label as a key.</param>
    public OnnxTestRows(IDataView keyedTest)
    {
        _features = keyedTest.GetColumn<float[]>("Features").SelectMany(row => row).ToArray();
        _labels = keyedTest.GetColumn<uint>("Label").ToArray();
        _width = _features.Length / _labels.Length;
    }

    public int Rows => _labels.Length;

    /// <summary>Every row's Scores, row after row, run in batches.</summary>
    public float[] Scores(InferenceSession session)
    {
        var all = new List<float>();
        for (int start = 0; start < Rows; start += BatchSize)
        {
            using var result = Run(session, start, Math.Min(BatchSize, Rows - start));
            all.AddRange(result.First().AsEnumerable<float>());
        }
        return all.ToArray();
    }

    /// <summary>Rows per second of one pass over every row in batches.</summary>
    public double BatchedRowsPerSecond(InferenceSession session)
    {
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < Rows; start += BatchSize)
        {
            using var result = Run(session, start, Math.Min(BatchSize, Rows - start));
        }
        return Rows / clock.Elapsed.TotalSeconds;
    }

    /// <summary>(p50, p99) in µs of <paramref name="count"/> single rows, after 100 rows of warm-up.</summary>
    public (double P50, double P99) SingleRowLatency(InferenceSession session, int count)
    {
        for (int i = 0; i < 100; i++)
        {
            using var warm = Run(session, i % Rows, 1);
        }
        var times = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using (var result = Run(session, i % Rows, 1))
            {
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        return (Statistics.Percentile(times, 0.5), Statistics.Percentile(times, 0.99));
    }

    private IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(InferenceSession session, int start, int count) => session.Run(new[]
    {
        NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(_features.AsMemory(start * _width, count * _width), new[] { count, _width })),
        NamedOnnxValue.CreateFromTensor("Label", new DenseTensor<uint>(_labels.AsMemory(start, count), new[] { count, 1 })),
    }, Outputs);
}
