using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Data;

/// <summary>
/// A CSV file of sequences, one per line: a header, a label column and the sequence's values in the order of the
/// other columns, read <c>--step-size</c> values a step. Rows may end early (empty trailing fields or fewer fields):
/// then each row is its own length and the column is a variable-length vector.
/// </summary>
internal sealed class SeriesCsv
{
    private SeriesCsv(string path, List<float[]> values, List<float>? labels, int width)
    {
        Path = path;
        Values = values;
        Labels = labels;
        Width = width;
    }

    public string Path { get; }

    /// <summary>Each row's values, in file order.</summary>
    public IReadOnlyList<float[]> Values { get; }

    /// <summary>Each row's label (a binary label as 1 or 0), or null when the file has no label column.</summary>
    public IReadOnlyList<float>? Labels { get; }

    /// <summary>The number of value columns in the header: every row's length when all are full.</summary>
    public int Width { get; }

    public bool VariableLength => Values.Any(v => v.Length != Width);

    /// <summary>Reads <paramref name="path"/>; anything unreadable is a usage error naming the file, line and column.</summary>
    /// <param name="labelRequired">Training needs the label column; scoring reads it when present and ignores it.</param>
    /// <param name="rowValues">Values every row must have (a model of fixed-length rows), or null for any whole number of steps.</param>
    public static SeriesCsv Read(string path, string labelColumn, SeriesTask task, int stepSize, bool labelRequired, int? rowValues = null)
    {
        if (!File.Exists(path))
            throw SampleException.Usage($"--file '{path}' does not exist.");
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext())
            throw SampleException.Usage($"--file '{path}' is empty; expected a header line naming the columns.");
        string[] header = lines.Current.Split(',').Select(name => name.Trim()).ToArray();
        int labelIndex = Array.IndexOf(header, labelColumn);
        if (labelIndex < 0 && labelRequired)
            throw SampleException.Usage($"--file '{path}' has no column '{labelColumn}' (--label); its header is: {string.Join(',', header)}.");
        int width = header.Length - (labelIndex < 0 ? 0 : 1);
        if (width == 0 || width % stepSize != 0)
            throw SampleException.Usage($"--file '{path}' has {width} value columns, which is not a whole number of steps of --step-size {stepSize}.");

        var values = new List<float[]>();
        List<float>? labels = labelIndex < 0 ? null : [];
        int lineNumber = 1;
        while (lines.MoveNext())
        {
            lineNumber++;
            if (lines.Current.Length == 0)
                continue;
            string[] fields = lines.Current.Split(',');
            if (fields.Length > header.Length)
                throw SampleException.Usage($"--file '{path}', line {lineNumber}: {fields.Length} fields, but the header names {header.Length} columns.");
            var row = new List<float>(width);
            bool ended = false;
            for (int column = 0; column < fields.Length; column++)
            {
                string field = fields[column].Trim();
                if (column == labelIndex)
                {
                    labels!.Add(Label(field, task, path, lineNumber, labelColumn));
                    continue;
                }
                if (field.Length == 0)
                {
                    ended = true;
                    continue;
                }
                if (ended)
                    throw SampleException.Usage($"--file '{path}', line {lineNumber}, column '{header[column]}': a value after an empty field; a sequence may only end early.");
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    throw SampleException.Usage($"--file '{path}', line {lineNumber}, column '{header[column]}': '{field}' is not a number.");
                row.Add(value);
            }
            if (labelIndex >= fields.Length && labels is not null)
                throw SampleException.Usage($"--file '{path}', line {lineNumber}: no value in the label column '{labelColumn}'.");
            if (row.Count % stepSize != 0)
                throw SampleException.Usage($"--file '{path}', line {lineNumber}: {row.Count} values, which is not a whole number of steps of --step-size {stepSize}.");
            if (rowValues is int required && row.Count != required)
                throw SampleException.Usage($"--file '{path}', line {lineNumber}: {row.Count} values, but the model reads rows of {required}.");
            values.Add(row.ToArray());
        }
        return new SeriesCsv(path, values, labels, width);
    }

    private static float Label(string field, SeriesTask task, string path, int lineNumber, string labelColumn)
    {
        if (task == SeriesTask.Binary)
        {
            return field.ToLowerInvariant() switch
            {
                "true" or "1" => 1,
                "false" or "0" => 0,
                _ => throw SampleException.Usage($"--file '{path}', line {lineNumber}, column '{labelColumn}': '{field}' is not a binary label; expected true, false, 1 or 0."),
            };
        }
        if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out float label) || !float.IsFinite(label))
            throw SampleException.Usage($"--file '{path}', line {lineNumber}, column '{labelColumn}': '{field}' is not a finite number.");
        return label;
    }

    /// <summary>
    /// The rows as an <see cref="IDataView"/> with columns Features (Single, a fixed-size vector of <paramref name="featureType"/>'s
    /// size, or of variable length) and, when the file has labels, Label (Boolean for binary, Single for regression).
    /// </summary>
    public IDataView Load(MLContext ml, SeriesTask task, VectorDataViewType featureType) => task == SeriesTask.Binary
        ? Load(ml, featureType, Values.Select((v, i) => new Row<bool> { Features = v, Label = Labels is not null && Labels[i] != 0 }))
        : Load(ml, featureType, Values.Select((v, i) => new Row<float> { Features = v, Label = Labels?[i] ?? 0 }));

    /// <summary>The feature column's type as the file has it: fixed size when every row is full.</summary>
    public VectorDataViewType FeatureType => new(NumberDataViewType.Single, VariableLength ? 0 : Width);

    private IDataView Load<TLabel>(MLContext ml, VectorDataViewType featureType, IEnumerable<Row<TLabel>> rows)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row<TLabel>));
        schema[nameof(Row<TLabel>.Features)].ColumnType = featureType;
        IDataView data = ml.Data.LoadFromEnumerable(rows.ToList(), schema);
        return Labels is null ? ml.Transforms.DropColumns(nameof(Row<TLabel>.Label)).Fit(data).Transform(data) : data;
    }

    private sealed class Row<TLabel>
    {
        public TLabel Label { get; set; } = default!;

        public float[] Features { get; set; } = [];
    }
}
