using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Trainers;
using Microsoft.ML.Trainers;
using TorchSharp;

namespace Microsoft.ML.Sru;

/// <summary>
/// The trainer SRU, LSTM and GRU models share, for every task: reads the label (a key for multiclass classification,
/// Boolean for binary classification, Single for regression) and the fixed-size feature vector, trains a
/// <see cref="SequenceClassifier"/> with Adam, and produces the task's standard columns (Score and PredictedLabel; Score,
/// Probability and PredictedLabel; Score). Subclasses only say which recurrent module to build, through
/// <see cref="RecurrentTrainerBase{TOptions}"/>, which keeps their options; the task (<see cref="RecurrentTask"/>) is the catalog's.
/// </summary>
public abstract class RecurrentTrainerBase
    : TrainerEstimatorBase<RecurrentPredictionTransformer, RecurrentModelParameters>, IEstimator<RecurrentPredictionTransformer>
{
    private static readonly TrainerInfo TrainerInfoValue = new(normalization: false, caching: false, supportValid: true, supportIncrementalTrain: true);

    private readonly RecurrentCellKind _cell;
    private readonly RecurrentTask _task;

    /// <param name="env">The host environment.</param>
    /// <param name="cell">The recurrent module; with the task it names the trainer in the log.</param>
    /// <param name="options">The options, validated here.</param>
    /// <param name="task">What the network predicts.</param>
    private protected RecurrentTrainerBase(IHostEnvironment env, RecurrentCellKind cell, RecurrentTrainerOptions options, RecurrentTask task)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LogName(cell, task)),
              TrainerUtils.MakeR4VecFeature(ValidatedOptions(options, cell).FeatureColumnName),
              task.LabelShape(options.LabelColumnName))
    {
        _cell = cell;
        _task = task;
    }

    /// <summary>The options the trainer was created with, as every cell has them.</summary>
    private protected abstract RecurrentTrainerOptions SharedOptions { get; }

    /// <summary>
    /// The log's source for the trainer: "SruMulticlass", "LstmBinary", "GruRegression". Users filter the log on these
    /// names (the README shows how), so they must not change.
    /// </summary>
    private static string LogName(RecurrentCellKind cell, RecurrentTask task) => cell.ToString() + task.LogName;

    /// <summary>Auxiliary information about the trainer: no normalization, no caching needed, a validation set is used, training can continue from a model.</summary>
    public override TrainerInfo Info => TrainerInfoValue;

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => _task.PredictionKind;

    /// <summary>The most classes a label may have.</summary>
    public const int MaxClassCount = NetworkSpec.MaxClasses;

    /// <summary>
    /// Trains on <paramref name="trainData"/> and scores <paramref name="validationData"/> after every epoch: its loss and
    /// accuracy (classification) go to the log and to <see cref="RecurrentTrainerOptions.Progress"/>, and drive
    /// <see cref="RecurrentTrainerOptions.EarlyStoppingPatience"/> and <see cref="RecurrentTrainerOptions.KeepBestModel"/>.
    /// The validation set needs the same label and feature columns as the training data, of the same types (the same
    /// key count, the same vector length); its rows are read like training rows (rows with a missing label, a NaN or
    /// infinite one for regression, or non-finite features are skipped with a warning).
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Rows that are scored, never trained on.</param>
    public RecurrentPredictionTransformer Fit(IDataView trainData, IDataView validationData)
    {
        CheckValidationSchema(validationData);
        return TrainTransformer(trainData, validationData);
    }

    /// <summary>
    /// Continues training from <paramref name="initialModel"/>: a new model starts from a copy of its weights (the given
    /// model is not changed) and its input scaling, and trains <see cref="RecurrentTrainerOptions.MaxEpoch"/> more epochs
    /// (by the same rule as a first run when it is not set), with the learning-rate schedule and the optimizer's state
    /// starting afresh. The options and data must describe the model's network: the
    /// same cell, <see cref="RecurrentTrainerOptions.SequenceLength"/>, <see cref="RecurrentTrainerOptions.HiddenSize"/>,
    /// <see cref="RecurrentTrainerOptions.NumberOfLayers"/>, feature vector length, task and class count (keys mapped the
    /// same way); otherwise an <see cref="ArgumentException"/> names what differs.
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="initialModel">A trained model, e.g. <c>((ISingleFeaturePredictionTransformer&lt;RecurrentModelParameters&gt;)loaded).Model</c> (which also reads models saved by earlier versions, where Fit returned ML.NET's MulticlassPredictionTransformer).</param>
    public RecurrentPredictionTransformer Fit(IDataView trainData, RecurrentModelParameters initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        return TrainTransformer(trainData, initialModel: initialModel);
    }

    /// <summary>
    /// Continues training from <paramref name="initialModel"/> (see <see cref="Fit(IDataView, RecurrentModelParameters)"/>)
    /// with a validation set (see <see cref="Fit(IDataView, IDataView)"/>).
    /// </summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Rows that are scored, never trained on.</param>
    /// <param name="initialModel">A trained model whose weights training starts from.</param>
    public RecurrentPredictionTransformer Fit(IDataView trainData, IDataView validationData, RecurrentModelParameters initialModel)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        CheckValidationSchema(validationData);
        return TrainTransformer(trainData, validationData, initialModel);
    }

    /// <summary>Trains on <paramref name="input"/>: the model and the transformer adding the task's columns.</summary>
    /// <param name="input">The training data.</param>
    public new RecurrentPredictionTransformer Fit(IDataView input) => TrainTransformer(input);

    /// <summary>
    /// ML.NET's fit without its schema check, which knows one feature type only (a vector of Single of known size):
    /// <see cref="TrainModelCore"/> checks both columns and names them.
    /// </summary>
    private RecurrentPredictionTransformer TrainTransformer(IDataView trainData, IDataView? validationData = null, RecurrentModelParameters? initialModel = null)
    {
        Host.CheckValue(trainData, nameof(trainData));
        foreach (string column in new[] { LabelColumn.Name, FeatureColumn.Name })
        {
            if (trainData.Schema.GetColumnOrNull(column) is null)
                throw new ArgumentOutOfRangeException(column, $"{(column == LabelColumn.Name ? "Label" : "Feature")} column '{column}' was not found.");
        }
        RoleMappedData training = new(trainData, label: LabelColumn.Name, feature: FeatureColumn.Name);
        RoleMappedData? validation = validationData is null ? null : new(validationData, label: LabelColumn.Name, feature: FeatureColumn.Name);
        RecurrentModelParameters model = TrainModelCore(new TrainContext(training, validation, null, initialModel));
        return MakeTransformer(model, trainData.Schema);
    }

    /// <summary>Names a column missing from the validation set before ML.NET's schema check would, without saying which set it means.</summary>
    private void CheckValidationSchema(IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(validationData);
        foreach (string column in new[] { SharedOptions.LabelColumnName, SharedOptions.FeatureColumnName })
        {
            if (validationData.Schema.GetColumnOrNull(column) is null)
                throw new ArgumentOutOfRangeException(column, $"The validation set has no column '{column}'; it needs the same label and feature columns as the training data.");
        }
    }

    private static RecurrentTrainerOptions ValidatedOptions(RecurrentTrainerOptions options, RecurrentCellKind cell)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(cell);
        return options;
    }

    /// <inheritdoc/>
    protected override void CheckLabelCompatible(SchemaShape.Column labelCol)
    {
        if (!_task.Fits(labelCol))
            throw _task.WrongLabel(labelCol.Name, Describe(labelCol));
    }

    /// <summary>A schema column's type as ML.NET writes a column's: "Single", "Key&lt;UInt32&gt;", "Vector&lt;Single&gt;".</summary>
    private static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType.RawType.Name}>" : $"{column.ItemType}";
        return column.Kind == SchemaShape.Column.VectorKind.Scalar ? item : $"Vector<{item}>";
    }

    /// <inheritdoc/>
    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(LabelColumn.Name, out var labelCol))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{LabelColumn.Name}' was not found.");
        return _task.OutputColumns(labelCol);
    }

    /// <inheritdoc/>
    protected override RecurrentPredictionTransformer MakeTransformer(RecurrentModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name, LabelColumn.Name);

    /// <inheritdoc/>
    protected override RecurrentModelParameters TrainModelCore(TrainContext context)
    {
        Host.CheckValue(context, nameof(context));
        TorchRuntime.EnsureLoaded();
        RoleMappedData data = context.TrainingSet;
        DataViewSchema.Column labelColumn = data.Schema.Label
            ?? throw new ArgumentOutOfRangeException(SharedOptions.LabelColumnName, $"Label column '{SharedOptions.LabelColumnName}' was not found.");
        DataViewSchema.Column featureColumn = data.Schema.Feature
            ?? throw new ArgumentOutOfRangeException(SharedOptions.FeatureColumnName, $"Feature column '{SharedOptions.FeatureColumnName}' was not found.");

        int classCount = TrainingSet.CheckLabel(_task, labelColumn, MaxClassCount);
        SequenceInput input = ReadAs(featureColumn);
        // Tokens' embedding rows are known once the rows are read; any count in range stands in for the check.
        NetworkSpec spec = SpecFor(input, classCount, embeddingRows: input.Kind == SequenceInputKind.Tokens ? 2 : 0);
        // A network the loader would refuse must not be trained: the saved model could never be loaded.
        if (spec.FindProblem() is { } problem)
            throw problem.Option is not null ? problem.ToOptionException() : new ArgumentOutOfRangeException(featureColumn.Name,
                $"Feature column '{featureColumn.Name}' ({featureColumn.Type}) read as {(input.Kind == SequenceInputKind.FixedLength ? $"SequenceLength = {spec.SequenceLength}" : $"up to MaxSequenceLength = {spec.SequenceLength}")} steps gives a network with {problem}.");
        RecurrentModelParameters? initialModel = context.InitialPredictor switch
        {
            null => null,
            RecurrentModelParameters model => model,
            var other => throw new ArgumentException(
                $"Training can only continue from a {nameof(RecurrentModelParameters)}; the initial model is a {other.GetType().Name}.", nameof(context)),
        };
        if (initialModel is not null)
        {
            // Continued training reads tokens with the model's vocabulary: its embedding rows are the model's.
            if (input.Kind == SequenceInputKind.Tokens && initialModel.Input.Kind == SequenceInputKind.Tokens)
                spec = spec with { EmbeddingRows = initialModel.Spec.EmbeddingRows };
            InitialModelCheck.ThrowIfUnfit(initialModel.Spec, spec, labelColumn.Name, featureColumn.Name);
            input = initialModel.Input;
        }
        RoleMappedData? validationData = context.ValidationSet;
        DataViewSchema.Column? validationLabel = validationData?.Schema.Label, validationFeatures = validationData?.Schema.Feature;
        if (validationData is not null)
        {
            if (validationLabel is null || validationFeatures is null)
                throw new ArgumentOutOfRangeException(validationLabel is null ? SharedOptions.LabelColumnName : SharedOptions.FeatureColumnName,
                    $"The validation set has no column '{(validationLabel is null ? SharedOptions.LabelColumnName : SharedOptions.FeatureColumnName)}'.");
            // Checked before any row is read, so a mismatched validation set fails at once, not after reading the training data.
            TrainingSet.CheckValidationColumns(labelColumn, featureColumn, validationLabel.Value, validationFeatures.Value);
        }

        using IChannel ch = Host.Start("Training");
        ITrainingData set = TrainingDataLoading.ReadTraining(Host, ch, SharedOptions, _task, labelColumn, featureColumn, data.Data, classCount, input,
            initialModel is null ? FittedNormalization(input) : InputNormalization.None);
        spec = spec with { EmbeddingRows = set.Input.EmbeddingRows };
        WarnAboutSkippedRows(ch, set, labelColumn, featureColumn, "");
        if (set.RowCount == 0)
            throw new InvalidOperationException($"No training rows: the data has no row with a valid label in '{labelColumn.Name}' and finite features in '{featureColumn.Name}'.");
        ITrainingData? validation = null;
        if (validationData is not null)
        {
            validation = TrainingDataLoading.ReadValidation(Host, _task, validationLabel!.Value, validationFeatures!.Value, validationData.Data, set);
            WarnAboutSkippedRows(ch, validation, validationLabel.Value, validationFeatures.Value, "validation ");
            if (validation.RowCount == 0)
                throw new InvalidOperationException($"No validation rows: the validation set has no row with a valid label in '{validationLabel.Value.Name}' and finite features in '{validationFeatures.Value.Name}'.");
        }

        // Continued training keeps the scaling the initial model's weights were trained for.
        var (fitted, labelScaling) = set.FitStatistics(initialModel is null ? FittedNormalization(set.Input) : InputNormalization.None, spec.StepSize, _task.StandardizesLabels);
        InputScaling scaling = initialModel?.InputScaling ?? fitted;
        set.Scale(scaling, labelScaling);
        validation?.Scale(scaling, labelScaling);
        if (!scaling.IsIdentity)
            ch.Info("Input normalization {0}: fitted on {1} training rows, stored in the model.", scaling.Kind, set.RowCount);
        if (labelScaling is not null)
            ch.Info("Label '{0}' standardized for training ({1}); the model predicts in the label's units.", labelColumn.Name, labelScaling);

        torch.Device device = TorchRuntime.ResolveDevice(SharedOptions.Device, SharedOptions.FallbackToCpu, message => ch.Warning(message));
        int seed = Host.Rand.Next();
        TrainingPlan plan = TrainingPlan.For(SharedOptions, set.RowCount, set.Input.Kind);
        if (SharedOptions.MaxEpoch is null)
            ch.Info("MaxEpoch not set: training {0} epochs for {1} rows.", plan.Epochs, set.RowCount);
        if (SharedOptions.WeightDecay is null)
            ch.Info("WeightDecay not set: {0:G3} for {1} rows.", plan.WeightDecay, set.RowCount);
        SequenceClassifier network;
        using (TorchSeed.Seeded(seed))
        {
            network = spec.Build();
            if (SharedOptions.Initialization == WeightInitialization.TensorFlow1 && initialModel is null)
                TensorFlowInitialization.Apply(network);
        }

        foreach (var (layer, index) in network.SruLayers.Select((layer, index) => (layer, index)))
        {
            if (layer.Plan.WhyNotFusedInTraining is string why)
                ch.Info("SRU layer {0} trains as a projection and then the recurrence, not as one fused layer: {1}.", index, why);
        }

        try
        {
            // Continued training starts from a copy: the given model keeps its weights and can go on scoring meanwhile.
            if (initialModel is not null)
            {
                initialModel.CopyWeightsTo(network);
                labelScaling?.ToStandardized(network);
            }
            network.to(device);
            new TrainingLoop(Host, ch, SharedOptions, plan, device, seed).Run(network, set, validation, initialModel);
            network.to(torch.CPU);
            labelScaling?.ToLabelUnits(network);
            return RecurrentModelParameters.Create(Host, network, scaling, set.Input);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The input scaling fitted on the training rows: none for tokens, which are embedding rows, not values.</summary>
    private InputNormalization FittedNormalization(SequenceInput input) =>
        input.Kind == SequenceInputKind.Tokens ? InputNormalization.None : SharedOptions.InputNormalization;

    private void WarnAboutSkippedRows(IChannel ch, ITrainingData set, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, string which)
    {
        SkippedRows skipped = set.Skipped;
        if (skipped.MissingLabel > 0)
            ch.Warning("Skipped {0} {1}rows with {2} in column '{3}'.", skipped.MissingLabel, which, _task.SkippedLabel, labelColumn.Name);
        if (skipped.NonFiniteFeatures > 0)
            ch.Warning("Skipped {0} {1}rows with NaN or infinite values in column '{2}'.", skipped.NonFiniteFeatures, which, featureColumn.Name);
        if (skipped.Empty > 0)
            ch.Warning("Skipped {0} {1}rows with no values in column '{2}'.", skipped.Empty, which, featureColumn.Name);
        if (skipped.Truncated > 0)
            ch.Info("{0} {1}rows of column '{2}' are longer than MaxSequenceLength = {3} steps: their last {3} steps are kept.", skipped.Truncated, which, featureColumn.Name, set.Input.MaxSteps);
    }

    /// <summary>How the options read the feature column; throws <see cref="ArgumentOutOfRangeException"/> naming it when its type does not fit.</summary>
    private SequenceInput ReadAs(DataViewSchema.Column featureColumn) =>
        SequenceInput.ForColumn(featureColumn, SharedOptions.SequenceLength, SharedOptions.StepSize, SharedOptions.MaxSequenceLength);

    /// <summary>The network the options describe for rows read as <paramref name="input"/>.</summary>
    private NetworkSpec SpecFor(SequenceInput input, int classCount, int embeddingRows) =>
        SharedOptions.ToSpec(_cell, input.Kind == SequenceInputKind.Tokens ? SharedOptions.EmbeddingSize : input.ValuesPerStep, classCount) with
        {
            Task = _task.Kind,
            SequenceLength = input.MaxSteps,
            EmbeddingRows = embeddingRows,
        };

    /// <summary>
    /// The output schema, checking the feature column by the types the trainers read (a vector of Single of fixed or
    /// variable size, or of keys) where ML.NET's base check knows only one, and naming it when it does not fit.
    /// </summary>
    public new SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Host.CheckValue(inputSchema, nameof(inputSchema));
        if (!inputSchema.TryFindColumn(SharedOptions.FeatureColumnName, out var features))
            throw new ArgumentOutOfRangeException(SharedOptions.FeatureColumnName, $"Feature column '{SharedOptions.FeatureColumnName}' was not found.");
        bool vector = features.Kind != SchemaShape.Column.VectorKind.Scalar;
        bool single = !features.IsKey && features.ItemType == NumberDataViewType.Single;
        if (!vector || !(single || features.IsKey))
            throw SequenceInput.Unreadable(SharedOptions.FeatureColumnName, Describe(features), otherNumbers: features.ItemType is NumberDataViewType && !features.IsKey);
        if (single && features.Kind == SchemaShape.Column.VectorKind.VariableVector && SharedOptions.StepSize is null)
            throw SequenceInput.NoStepSize(SharedOptions.FeatureColumnName, Describe(features));
        if (!inputSchema.TryFindColumn(LabelColumn.Name, out var labelCol))
            throw new ArgumentOutOfRangeException(LabelColumn.Name, $"Label column '{LabelColumn.Name}' was not found.");
        CheckLabelCompatible(labelCol);
        var outColumns = inputSchema.ToDictionary(column => column.Name);
        foreach (var column in GetOutputColumnsCore(inputSchema))
            outColumns[column.Name] = column;
        return new SchemaShape(outColumns.Values);
    }
}
