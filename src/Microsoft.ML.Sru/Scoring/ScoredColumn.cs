using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>The current row's head outputs (see <see cref="IBatchScorer"/>), scoring its batch first where needed.</summary>
internal delegate ReadOnlySpan<float> CurrentOutputs();

/// <summary>Sets a scored column's value from a row's head outputs.</summary>
internal delegate void ScoreReader<T>(ReadOnlySpan<float> outputs, ref T value);

/// <summary>
/// A column that scoring adds (Score, Probability, PredictedLabel), as the batch scorer computes it from a row's head
/// outputs; the task says which columns it has (<see cref="Trainers.RecurrentTask.ScoredColumns"/>), with the same rules
/// as ML.NET's own scorer for the task, which gives the row-by-row values.
/// </summary>
internal sealed class ScoredColumn
{
    private readonly Func<DataViewType, bool> _fits;
    private readonly Func<CurrentOutputs, Delegate> _getter;

    private ScoredColumn(string name, Type valueType, Func<DataViewType, bool> fits, Func<CurrentOutputs, Delegate> getter)
    {
        Name = name;
        ValueType = valueType;
        _fits = fits;
        _getter = getter;
    }

    public string Name { get; }

    /// <summary>The type a getter of the column returns.</summary>
    public Type ValueType { get; }

    public static ScoredColumn Of<T>(string name, Func<DataViewType, bool> fits, ScoreReader<T> read) =>
        new(name, typeof(T), fits, outputs => (ValueGetter<T>)((ref T value) => read(outputs(), ref value)));

    /// <summary>Whether a column of ML.NET's scored schema is this one: its name and a type this column's values have.</summary>
    public bool Is(DataViewSchema.Column column) => column.Name == Name && _fits(column.Type);

    /// <summary>A getter of the column's value at the row whose outputs <paramref name="outputs"/> gives.</summary>
    public ValueGetter<T> Getter<T>(CurrentOutputs outputs) => (ValueGetter<T>)_getter(outputs);
}
