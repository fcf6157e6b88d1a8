using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Trainers;

[assembly: LoadableClass(typeof(RecurrentPredictionTransformer), null, typeof(SignatureLoadModel),
    "Recurrent sequence model transformer", RecurrentPredictionTransformer.LoaderSignature)]

namespace Microsoft.ML.Sru;

/// <summary>
/// What <see cref="RecurrentTrainerBase.Fit(IDataView, IDataView)"/> and its overloads return: the trained model as an
/// ML.NET transformer adding the task's standard columns: Score (one probability per class) and PredictedLabel for a
/// multiclass classifier; Score (the logit), Probability and PredictedLabel (Boolean) for a binary classifier; Score for
/// a regression model.
/// <see cref="Transform"/> scores rows in batches pulled ahead from the input's cursor, one pass of the network per
/// batch; <see cref="GetRowToRowMapper"/> (what a PredictionEngine uses) scores one row at a time. Both give the same
/// columns, with ML.NET's own scorer for the task (multiclass, binary or regression) defining the schema.
/// </summary>
public sealed class RecurrentPredictionTransformer : ISingleFeaturePredictionTransformer<RecurrentModelParameters>, IDisposable
{
    internal const string LoaderSignature = "SruMlNetTransformer";
    private const string RowScorerDirectory = "RowScorer";
    private const uint FormatVersion = 0x00010001;

    private readonly IHost _host;

    // ML.NET's scorer over the same model: the output schema, single-row mapping and the saved inner model.
    private readonly ISingleFeaturePredictionTransformer<RecurrentModelParameters> _rowScorer;

    internal RecurrentPredictionTransformer(IHostEnvironment env, RecurrentModelParameters model, DataViewSchema trainSchema, string featureColumnName, string labelColumnName)
        : this(env, model.Task.CreateRowScorer(env, model, trainSchema, featureColumnName, labelColumnName))
    {
    }

    private RecurrentPredictionTransformer(IHostEnvironment env, ISingleFeaturePredictionTransformer<RecurrentModelParameters> rowScorer)
    {
        _host = Contracts.CheckRef(env, nameof(env)).Register(nameof(RecurrentPredictionTransformer));
        _rowScorer = rowScorer;
    }

    /// <summary>Rows a batch of <see cref="Transform"/> scores in one pass of the network.</summary>
    public const int BatchSize = BatchScoringCursor.DefaultBatchSize;

    /// <summary>The trained classifier.</summary>
    public RecurrentModelParameters Model => _rowScorer.Model;

    /// <summary>The feature column the classifier reads.</summary>
    public string FeatureColumnName => _rowScorer.FeatureColumnName;

    /// <summary>The feature column's type: a vector of Single of the length the classifier was trained on.</summary>
    public DataViewType FeatureColumnType => _rowScorer.FeatureColumnType;

    /// <summary>Always true: the transformer maps row to row.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input's schema with the scored columns added.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _rowScorer.GetOutputSchema(CheckFeatureColumn(inputSchema));

    /// <summary>A single-row mapper (used by PredictionEngine): no batching, least overhead per row.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _rowScorer.GetRowToRowMapper(CheckFeatureColumn(inputSchema));

    /// <summary>
    /// Adds the scored columns (see the class) to <paramref name="input"/>, lazily as any ML.NET transform does. A cursor
    /// that requests any of them scores up to <see cref="BatchSize"/> rows at once (starting small and doubling), reading the
    /// features ahead through a second cursor over <paramref name="input"/>; its other columns come from
    /// <paramref name="input"/> unchanged. A cursor that asks for shuffled rows scores row by row.
    /// </summary>
    public IDataView Transform(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        CheckFeatureColumn(input.Schema);
        return new BatchScoredDataView(_host, input, _rowScorer.Transform(input), Model, FeatureColumnName);
    }

    /// <summary>
    /// Names the feature column and both types where the data does not fit the model, before ML.NET's scorer would say
    /// only "incompatible features column type".
    /// </summary>
    private DataViewSchema CheckFeatureColumn(DataViewSchema schema)
    {
        _host.CheckValue(schema, nameof(schema));
        DataViewSchema.Column? column = schema.GetColumnOrNull(FeatureColumnName);
        if (column is null)
            throw new ArgumentOutOfRangeException(FeatureColumnName, $"The data has no feature column '{FeatureColumnName}'; the classifier reads {FeatureColumnType}.");
        if (!column.Value.Type.Equals(FeatureColumnType))
            throw new ArgumentOutOfRangeException(FeatureColumnName,
                $"Feature column '{FeatureColumnName}' is {column.Value.Type}, but the classifier was trained on {FeatureColumnType} ({Model.SequenceLength} steps).");
        return schema;
    }

    /// <summary>Disposes the model: its native tensors are released (see <see cref="RecurrentModelParameters.Dispose"/>).</summary>
    public void Dispose() => (_rowScorer as IDisposable)?.Dispose();

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "SRUTRANS",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: FormatVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(RecurrentPredictionTransformer).Assembly.GetName().Name);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        _host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // The row scorer saves the model, the training schema and the column names, as ML.NET's own transformer.
        ctx.SaveModel(_rowScorer, RowScorerDirectory);
    }

    /// <summary>ML.NET's loader (see <see cref="RecurrentModelParameters"/> for how a damaged model is reported).</summary>
    private static RecurrentPredictionTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        uint readable = ctx.Header.ModelVerReadable;
        if (readable > FormatVersion)
            throw new ModelFormatException(
                $"This model's transformer was saved in format version 0x{readable:X8} by a newer Microsoft.ML.Sru; this version reads up to 0x{FormatVersion:X8}. Update the Sru.MLNet package to load it.");
        ctx.CheckAtModel(GetVersionInfo());
        if (!ctx.ContainsModel(RowScorerDirectory))
            throw new ModelFormatException($"The model zip has no '{RowScorerDirectory}' entry in '{ctx.Directory}' for the recurrent classifier's scorer.");
        ctx.LoadModel<ITransformer, SignatureLoadModel>(env, out ITransformer rowScorer, RowScorerDirectory);
        if (rowScorer is not ISingleFeaturePredictionTransformer<RecurrentModelParameters> scorer)
        {
            (rowScorer as IDisposable)?.Dispose();
            throw new ModelFormatException(
                $"The model zip's '{RowScorerDirectory}' entry holds a {rowScorer.GetType().Name}, not a scorer of a {nameof(RecurrentModelParameters)}.");
        }
        return new RecurrentPredictionTransformer(env, scorer);
    }
}
