using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// The data view <see cref="RecurrentPredictionTransformer.Transform"/> returns. Its schema is ML.NET's scorer's for the
/// model's task over the same input: the input's columns, then the scored ones (Score and PredictedLabel; Score,
/// Probability and PredictedLabel; Score). A cursor that requests a scored column is a <see cref="BatchScoringCursor"/>;
/// one that requests none (nothing is scored), or asks for the rows
/// shuffled, is the row scorer's own. To ML.NET's legacy plumbing it is a transform of its input (so that the ONNX export
/// walks through it to the steps before): it saves and exports as the row scorer it stands for.
/// </summary>
internal sealed class BatchScoredDataView : IDataTransform, ITransformCanSaveOnnx
{
    private readonly IHost _host;
    private readonly IDataView _input;
    private readonly IDataView _rowScored;
    private readonly RecurrentModelParameters _model;
    private readonly DataViewSchema.Column _features;
    // The scored columns' indices in the schema; empty when ML.NET's layout is not the expected one.
    private readonly int[] _scoredIndices;

    public BatchScoredDataView(IHost host, IDataView input, IDataView rowScored, RecurrentModelParameters model, string featureColumnName)
    {
        _host = host;
        _input = input;
        _rowScored = rowScored;
        _model = model;
        // The row scorer has checked that the column exists and has the model's type.
        _features = input.Schema[featureColumnName];
        _scoredIndices = FindScoredColumns(input.Schema, rowScored.Schema, model.Task.ScoredColumns(model.Spec.HeadWidth));
    }

    public DataViewSchema Schema => _rowScored.Schema;

    /// <summary>The data scored.</summary>
    public IDataView Source => _input;

    private ITransformCanSaveOnnx RowScorer => (ITransformCanSaveOnnx)_rowScored;

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_rowScored).Save(ctx);

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => RowScorer.CanSaveOnnx(ctx);

    void ISaveAsOnnx.SaveAsOnnx(OnnxContext ctx) => RowScorer.SaveAsOnnx(ctx);

    /// <summary>As the input: shuffled cursors score row by row.</summary>
    public bool CanShuffle => _input.CanShuffle;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        _host.CheckValue(columnsNeeded, nameof(columnsNeeded));
        var needed = columnsNeeded.ToArray();
        // Batches need the input read in the same order by two cursors, so a shuffled cursor scores row by row.
        if (_scoredIndices.Length == 0 || rand is not null || !needed.Any(c => _scoredIndices.Contains(c.Index)))
            return _rowScored.GetRowCursor(needed, rand);
        var passThrough = needed.Where(c => c.Index < _input.Schema.Count).Select(c => _input.Schema[c.Index]);
        return new BatchScoringCursor(_host, Schema, _input, passThrough, _features, _model, _scoredIndices, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>
    /// The indices of the scored columns in the scored schema, which must be the input's columns followed by exactly the
    /// task's <paramref name="expected"/> columns, in the order ML.NET's scorer gives them; the result follows
    /// <paramref name="expected"/>'s order. Empty if the layout differs, and then every cursor is the row scorer's.
    /// </summary>
    private static int[] FindScoredColumns(DataViewSchema input, DataViewSchema scored, ScoredColumn[] expected)
    {
        if (scored.Count != input.Count + expected.Length)
            return [];
        for (int i = 0; i < input.Count; i++)
        {
            if (scored[i].Name != input[i].Name || !scored[i].Type.Equals(input[i].Type))
                return [];
        }
        var indices = new int[expected.Length];
        for (int e = 0; e < expected.Length; e++)
        {
            indices[e] = Enumerable.Range(input.Count, expected.Length).FirstOrDefault(i => expected[e].Is(scored[i]), -1);
            if (indices[e] < 0)
                return [];
        }
        return indices;
    }
}
