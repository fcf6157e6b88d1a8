using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Sru.Tests.Onnx;

/// <summary>
/// Exports a scoring pipeline with ML.NET's <c>ConvertToOnnx</c>, runs the ONNX model in ONNX Runtime directly and through
/// ML.NET's <c>ApplyOnnxModel</c>, and compares both with the pipeline's own Transform, column by scored column of the
/// model's task: the same PredictedLabel on every row, and every Score and Probability within a tolerance.
/// </summary>
internal static class OnnxParity
{
    /// <summary>The largest score difference allowed (the bound).</summary>
    public const float Tolerance = 1e-4f;

    /// <summary>The columns compared where the scored data has them; PredictedLabel exactly, the others within <see cref="Tolerance"/>.</summary>
    private static readonly string[] ScoredColumns = ["Score", "Probability", "PredictedLabel"];

    private const string Label = "PredictedLabel";

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
    /// Asserts that the exported model gives <paramref name="model"/>'s scored columns (Score and PredictedLabel, with
    /// Probability for a binary model; Score alone for regression) on every row of <paramref name="data"/>, in ONNX Runtime
    /// and through ApplyOnnxModel; returns the largest Score or Probability difference seen.
    /// </summary>
    public static float AssertMatchesTransform(MLContext ml, ITransformer model, IDataView data, int? opset = null)
    {
        IDataView scored = model.Transform(data);
        string[] columns = ScoredColumns.Where(name => scored.Schema.GetColumnOrNull(name) is not null).ToArray();
        Assert.Contains("Score", columns, "the scored data has no Score column");
        var expected = columns.ToDictionary(name => name, name => ReadRows(scored, name));
        byte[] onnx = Export(ml, model, data, opset);

        float direct = AssertSame("ONNX Runtime", expected, RunInOnnxRuntime(onnx, data));

        string file = Path.Combine(Path.GetTempPath(), $"sru-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(file, onnx);
            IDataView applied = ml.Transforms.ApplyOnnxModel(file).Fit(data).Transform(data);
            float throughMlNet = AssertSame("ApplyOnnxModel", expected, columns.ToDictionary(name => name, name => ReadRows(applied, name)));
            return Math.Max(direct, throughMlNet);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Every scored column the model outputs ("Score" for the graph's Score.output, …) for every row, each row's values as
    /// floats (a Boolean as 0 or 1), feeding each graph input from the column of its name.
    /// </summary>
    public static Dictionary<string, float[][]> RunInOnnxRuntime(byte[] onnx, IDataView data)
    {
        using var session = new InferenceSession(onnx);
        var columns = session.InputMetadata.Keys.ToDictionary(name => name, name => ReadColumn(data, name));
        string[] outputs = ScoredColumns.Where(name => session.OutputMetadata.ContainsKey(name + ".output")).ToArray();
        var rowsOf = outputs.ToDictionary(name => name, _ => new List<float[]>());
        int rows = columns.Values.First().Rows;
        for (int start = 0; start < rows; start += RowsPerRun)
        {
            int count = Math.Min(RowsPerRun, rows - start);
            var inputs = columns.Select(pair => pair.Value.Slice(pair.Key, start, count)).ToList();
            using var results = session.Run(inputs);
            foreach (string name in outputs)
                rowsOf[name].AddRange(Rows(results.Single(r => r.Name == name + ".output").Value, count));
        }
        return rowsOf.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }

    /// <summary>An output tensor [rows, width] of float, uint or bool (row-major) as rows of floats.</summary>
    private static IEnumerable<float[]> Rows(object tensor, int count)
    {
        float[] values = tensor switch
        {
            Tensor<float> t => t.ToArray(),
            Tensor<uint> t => t.Select(v => (float)v).ToArray(),
            Tensor<bool> t => t.Select(v => v ? 1f : 0f).ToArray(),
            _ => throw new NotSupportedException($"An ONNX output of {tensor.GetType()} is not compared by this test."),
        };
        int width = values.Length / count;
        return Enumerable.Range(0, count).Select(r => values.AsSpan(r * width, width).ToArray());
    }

    private static float AssertSame(string where, Dictionary<string, float[][]> expected, Dictionary<string, float[][]> actual)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), actual.Keys.ToArray(), $"{where}: scored columns");
        float largest = 0;
        foreach (var (name, expectedRows) in expected)
        {
            float[][] rows = actual[name];
            Assert.HasCount(expectedRows.Length, rows, $"{where}: rows of {name}");
            for (int row = 0; row < rows.Length; row++)
            {
                Assert.HasCount(expectedRows[row].Length, rows[row], $"{where}: {name} width of row {row}");
                if (name == Label)
                {
                    CollectionAssert.AreEqual(expectedRows[row], rows[row], $"{where}: {name} of row {row}");
                    continue;
                }
                for (int c = 0; c < rows[row].Length; c++)
                    largest = Math.Max(largest, Math.Abs(rows[row][c] - expectedRows[row][c]));
            }
        }
        Assert.IsLessThanOrEqualTo(Tolerance, largest,
            string.Create(CultureInfo.InvariantCulture, $"{where}: largest Score or Probability difference {largest:G3}"));
        return largest;
    }

    /// <summary>A scored column's rows as floats: a vector or a scalar of Single, UInt32 (a key or not) or Boolean.</summary>
    private static float[][] ReadRows(IDataView data, string name)
    {
        DataViewType type = data.Schema[name].Type;
        bool vector = type is VectorDataViewType;
        Type item = (type is VectorDataViewType v ? v.ItemType : type).RawType;
        if (item == typeof(float))
            return vector ? data.GetColumn<float[]>(name).ToArray() : data.GetColumn<float>(name).Select(v => new[] { v }).ToArray();
        if (item == typeof(uint))
            return vector ? data.GetColumn<uint[]>(name).Select(v => v.Select(x => (float)x).ToArray()).ToArray()
                : data.GetColumn<uint>(name).Select(v => new[] { (float)v }).ToArray();
        if (item == typeof(bool))
            return vector ? data.GetColumn<bool[]>(name).Select(v => v.Select(x => x ? 1f : 0f).ToArray()).ToArray()
                : data.GetColumn<bool>(name).Select(v => new[] { v ? 1f : 0f }).ToArray();
        throw new NotSupportedException($"Column '{name}' of type {type} is not compared by this test.");
    }

    /// <summary>A column as one flat array with its row count: a vector of Single, or a scalar UInt32 (a key or not), Single or Boolean.</summary>
    private static Column ReadColumn(IDataView data, string name)
    {
        DataViewSchema.Column column = data.Schema[name];
        if (column.Type is VectorDataViewType { ItemType: var item, Size: var size } && item == NumberDataViewType.Single)
        {
            float[] values = data.GetColumn<float[]>(name).SelectMany(v => v).ToArray();
            return new Column(values.Length / size, size, values, null, null);
        }
        if (column.Type.RawType == typeof(uint))
        {
            uint[] values = data.GetColumn<uint>(name).ToArray();
            return new Column(values.Length, 1, null, values, null);
        }
        if (column.Type == NumberDataViewType.Single)
        {
            float[] values = data.GetColumn<float>(name).ToArray();
            return new Column(values.Length, 1, values, null, null);
        }
        if (column.Type == BooleanDataViewType.Instance)
        {
            bool[] values = data.GetColumn<bool>(name).ToArray();
            return new Column(values.Length, 1, null, null, values);
        }
        throw new NotSupportedException($"Column '{name}' of type {column.Type} is not fed to ONNX Runtime by this test.");
    }

    private sealed record Column(int Rows, int Width, float[]? Singles, uint[]? UInts, bool[]? Booleans)
    {
        public NamedOnnxValue Slice(string name, int start, int count)
        {
            int[] shape = [count, Width];
            if (Singles is not null)
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(Singles.AsMemory(start * Width, count * Width), shape));
            if (UInts is not null)
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<uint>(UInts.AsMemory(start * Width, count * Width), shape));
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(Booleans.AsMemory(start * Width, count * Width), shape));
        }
    }
}
