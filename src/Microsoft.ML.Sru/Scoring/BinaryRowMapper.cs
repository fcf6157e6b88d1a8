using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// ML.NET's binary scorer row by row (the PredictionEngine's path): Score (the logit) and Probability (its sigmoid)
/// from one pass of the network per row, for every input kind. ML.NET's own calibrated wrapper takes only fixed-size
/// Single vectors, so a binary model over variable-length rows or tokens binds here instead.
/// </summary>
internal sealed class BinaryRowMapper : ISchemaBoundRowMapper
{
    private readonly RecurrentModelParameters _model;

    public BinaryRowMapper(RoleMappedSchema schema, RecurrentModelParameters model, ISchemaBindableMapper bindable)
    {
        Contracts.CheckParam(schema.Feature.HasValue, nameof(schema), "A binary model needs its feature column.");
        _model = model;
        Bindable = bindable;
        InputRoleMappedSchema = schema;
        OutputSchema = ScoreSchemaFactory.CreateBinaryClassificationSchema();
    }

    public RoleMappedSchema InputRoleMappedSchema { get; }

    public DataViewSchema InputSchema => InputRoleMappedSchema.Schema;

    public DataViewSchema OutputSchema { get; }

    public ISchemaBindableMapper Bindable { get; }

    public IEnumerable<DataViewSchema.Column> GetDependenciesForNewColumns(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        dependingColumns.Any() ? [InputRoleMappedSchema.Feature!.Value] : [];

    public IEnumerable<KeyValuePair<RoleMappedSchema.ColumnRole, string>> GetInputColumnRoles()
    {
        yield return RoleMappedSchema.ColumnRole.Feature.Bind(InputRoleMappedSchema.Feature!.Value.Name);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var active = new bool[OutputSchema.Count];
        foreach (DataViewSchema.Column column in activeColumns)
            active[column.Index] = true;
        // The feature vector's item type is the reader's (Single values, or keys of any width).
        Type item = InputRoleMappedSchema.Feature!.Value.Type.GetItemType().RawType;
        var method = typeof(BinaryRowMapper).GetMethod(nameof(Getters), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var getters = (Delegate[])method.MakeGenericMethod(item).Invoke(this, [input, active])!;
        return new SimpleRow(OutputSchema, input, getters);
    }

    private Delegate[] Getters<T>(DataViewRow input, bool[] active)
    {
        var getters = new Delegate[OutputSchema.Count];
        if (!active.Any(a => a))
            return getters;
        ValueGetter<VBuffer<T>> features = input.GetGetter<VBuffer<T>>(InputRoleMappedSchema.Feature!.Value);
        ValueMapper<VBuffer<T>, float> map = ((IValueMapper)_model).GetMapper<VBuffer<T>, float>();
        VBuffer<T> row = default;
        float score = 0;
        long scoredPosition = -1;
        void Score()
        {
            // Both columns of a row come from one pass of the network.
            if (scoredPosition == input.Position)
                return;
            features(ref row);
            map(in row, ref score);
            scoredPosition = input.Position;
        }
        if (active[0])
            getters[0] = (ValueGetter<float>)((ref float value) => { Score(); value = score; });
        if (active[1])
            getters[1] = (ValueGetter<float>)((ref float value) => { Score(); value = Trainers.BinaryClassificationTask.Probability(score); });
        return getters;
    }
}
