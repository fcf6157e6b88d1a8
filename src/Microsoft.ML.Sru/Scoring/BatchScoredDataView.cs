using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// The data view <see cref="RecurrentPredictionTransformer.Transform"/> returns. Its schema is ML.NET's multiclass
/// scorer's over the same input: the input's columns, then Score and PredictedLabel. A cursor that requests a scored
/// column is a <see cref="BatchScoringCursor"/>; one that requests neither (nothing is scored), or asks for the rows
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
    private readonly int _scoreIndex;
    private readonly int _predictedLabelIndex;

    public BatchScoredDataView(IHost host, IDataView input, IDataView rowScored, RecurrentModelParameters model, string featureColumnName)
    {
        _host = host;
        _input = input;
        _rowScored = rowScored;
        _model = model;
        // The row scorer has checked that the column exists and has the model's type.
        _features = input.Schema[featureColumnName];
        (_scoreIndex, _predictedLabelIndex) = FindScoredColumns(input.Schema, rowScored.Schema, model.ClassCount);
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
        if (_scoreIndex < 0 || rand is not null || !needed.Any(c => c.Index == _scoreIndex || c.Index == _predictedLabelIndex))
            return _rowScored.GetRowCursor(needed, rand);
        var passThrough = needed.Where(c => c.Index < _input.Schema.Count).Select(c => _input.Schema[c.Index]);
        return new BatchScoringCursor(_host, Schema, _input, passThrough, _features, _model, _scoreIndex, _predictedLabelIndex, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>
    /// The indices of Score and PredictedLabel in the scored schema, which must be the input's columns followed by exactly
    /// these two (ML.NET's scorer lays them out so); (−1, −1) if the layout differs, and then every cursor is the row scorer's.
    /// </summary>
    private static (int Score, int PredictedLabel) FindScoredColumns(DataViewSchema input, DataViewSchema scored, int classCount)
    {
        if (scored.Count != input.Count + 2)
            return (-1, -1);
        for (int i = 0; i < input.Count; i++)
        {
            if (scored[i].Name != input[i].Name || !scored[i].Type.Equals(input[i].Type))
                return (-1, -1);
        }
        int score = -1, predicted = -1;
        for (int i = input.Count; i < scored.Count; i++)
        {
            if (scored[i].Name == DefaultColumnNames.Score && scored[i].Type is VectorDataViewType { ItemType: NumberDataViewType, Size: var size } vector
                && vector.ItemType == NumberDataViewType.Single && size == classCount)
                score = i;
            else if (scored[i].Name == DefaultColumnNames.PredictedLabel && scored[i].Type is KeyDataViewType { RawType: var raw, Count: var count }
                && raw == typeof(uint) && count == (ulong)classCount)
                predicted = i;
        }
        return score < 0 || predicted < 0 ? (-1, -1) : (score, predicted);
    }
}
