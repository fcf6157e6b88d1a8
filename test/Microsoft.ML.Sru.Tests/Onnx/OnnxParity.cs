using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Sru.Tests.Onnx;

/// <summary>
/// Exports a scoring pipeline with ML.NET's <c>ConvertToOnnx</c>, runs the ONNX model in ONNX Runtime directly and through
/// ML.NET's <c>ApplyOnnxModel</c>, and compares both with the pipeline's own Transform: the same predicted label on every
/// row, and every score within a tolerance.
/// </summary>
internal static class OnnxParity
{
    /// <summary>The largest score difference allowed (the bound).</summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Rows per ONNX Runtime call: a whole test set at once would hold every step's U for every row.</summary>
    private const int RowsPerRun = 512;

    /// <summary>The exported model, in ML.NET's default opset or <paramref name="opset"/>.</summary>
    public static byte[] Export(MLContext ml, ITransformer model, IDataView data, int? opset = null)
    {
        using var stream = new MemoryStream();
        if (opset is int version)
            ml.Model.ConvertToOnnx(model, data, version, stream);
        else
            ml.Model.ConvertToOnnx(model, data, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Asserts that the exported model gives <paramref name="model"/>'s Score and PredictedLabel on every row of
    /// <paramref name="data"/>, in ONNX Runtime and through ApplyOnnxModel; returns the largest score difference seen.
    /// </summary>
    public static float AssertMatchesTransform(MLContext ml, ITransformer model, IDataView data, int? opset = null)
    {
        IDataView scored = model.Transform(data);
        float[][] expectedScores = scored.GetColumn<float[]>("Score").ToArray();
        uint[] expectedLabels = scored.GetColumn<uint>("PredictedLabel").ToArray();
        byte[] onnx = Export(ml, model, data, opset);

        var (scores, labels) = RunInOnnxRuntime(onnx, data);
        float direct = AssertSame("ONNX Runtime", expectedScores, expectedLabels, scores, labels);

        string file = Path.Combine(Path.GetTempPath(), $"sru-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(file, onnx);
            IDataView applied = ml.Transforms.ApplyOnnxModel(file).Fit(data).Transform(data);
            float[][] appliedScores = applied.GetColumn<float[]>("Score").ToArray();
            uint[] appliedLabels = applied.GetColumn<uint[]>("PredictedLabel").Select(label => label.Single()).ToArray();
            float throughMlNet = AssertSame("ApplyOnnxModel", expectedScores, expectedLabels, appliedScores, appliedLabels);
            return Math.Max(direct, throughMlNet);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Score.output and PredictedLabel.output for every row, feeding each graph input from the column of its name.</summary>
    public static (float[][] Scores, uint[] Labels) RunInOnnxRuntime(byte[] onnx, IDataView data)
    {
        using var session = new InferenceSession(onnx);
        var columns = session.InputMetadata.Keys.ToDictionary(name => name, name => ReadColumn(data, name));
        int rows = columns.Values.First().Rows;
        var scores = new List<float[]>(rows);
        var labels = new List<uint>(rows);
        for (int start = 0; start < rows; start += RowsPerRun)
        {
            int count = Math.Min(RowsPerRun, rows - start);
            var inputs = columns.Select(pair => pair.Value.Slice(pair.Key, start, count)).ToList();
            using var results = session.Run(inputs);
            var score = results.Single(r => r.Name == "Score.output").AsTensor<float>();
            var label = results.Single(r => r.Name == "PredictedLabel.output").AsTensor<uint>();
            int classes = score.Dimensions[1];
            for (int r = 0; r < count; r++)
            {
                scores.Add(Enumerable.Range(0, classes).Select(c => score[r, c]).ToArray());
                labels.Add(label[r, 0]);
            }
        }
        return (scores.ToArray(), labels.ToArray());
    }

    private static float AssertSame(string where, float[][] expectedScores, uint[] expectedLabels, float[][] scores, uint[] labels)
    {
        Assert.HasCount(expectedScores.Length, scores, $"{where}: rows");
        float largest = 0;
        for (int row = 0; row < scores.Length; row++)
        {
            Assert.AreEqual(expectedLabels[row], labels[row], $"{where}: PredictedLabel of row {row}");
            Assert.HasCount(expectedScores[row].Length, scores[row], $"{where}: Score width of row {row}");
            for (int c = 0; c < scores[row].Length; c++)
                largest = Math.Max(largest, Math.Abs(scores[row][c] - expectedScores[row][c]));
        }
        Assert.IsLessThanOrEqualTo(Tolerance, largest,
            string.Create(CultureInfo.InvariantCulture, $"{where}: largest score difference {largest:G3}"));
        return largest;
    }

    /// <summary>A column as one flat array with its row count: a vector of Single, or a scalar UInt32 (a key or not).</summary>
    private static Column ReadColumn(IDataView data, string name)
    {
        DataViewSchema.Column column = data.Schema[name];
        if (column.Type is VectorDataViewType { ItemType: var item, Size: var size } && item == NumberDataViewType.Single)
        {
            float[] values = data.GetColumn<float[]>(name).SelectMany(v => v).ToArray();
            return new Column(values.Length / size, size, values, null);
        }
        if (column.Type.RawType == typeof(uint))
        {
            uint[] values = data.GetColumn<uint>(name).ToArray();
            return new Column(values.Length, 1, null, values);
        }
        throw new NotSupportedException($"Column '{name}' of type {column.Type} is not fed to ONNX Runtime by this test.");
    }

    private sealed record Column(int Rows, int Width, float[]? Singles, uint[]? UInts)
    {
        public NamedOnnxValue Slice(string name, int start, int count) => Singles is not null
            ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(Singles.AsMemory(start * Width, count * Width), new[] { count, Width }))
            : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<uint>(UInts.AsMemory(start * Width, count * Width), new[] { count, Width }));
    }
}
