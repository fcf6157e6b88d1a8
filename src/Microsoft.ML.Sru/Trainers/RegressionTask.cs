using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A Single label, one output trained with mean squared error on the standardized label (<see cref="LabelStandardization"/>);
/// Score is the prediction in the label's units. Rows with a NaN or infinite label are skipped.
/// </summary>
internal sealed class RegressionTask : RecurrentTask
{
    public override RecurrentTaskKind Kind => RecurrentTaskKind.Regression;

    public override string LogName => "Regression";

    public override PredictionKind PredictionKind => PredictionKind.Regression;

    public override SchemaShape.Column LabelShape(string name) => TrainerUtils.MakeR4ScalarColumn(name);

    public override bool Fits(SchemaShape.Column label) =>
        !label.IsKey && label.Kind == SchemaShape.Column.VectorKind.Scalar && label.ItemType == NumberDataViewType.Single;

    public override ArgumentOutOfRangeException WrongLabel(string column, string actualType) => new(column,
        $"Label column '{column}' must be Single for regression, but it is {actualType}. Convert it first, e.g. with " +
        $"mlContext.Transforms.Conversion.ConvertType(\"{column}\", outputKind: DataKind.Single).");

    public override int ClassCount(DataViewSchema.Column label, int maxClasses)
    {
        if (label.Type != NumberDataViewType.Single)
            throw WrongLabel(label.Name, $"{label.Type}");
        return 1;
    }

    public override LabelReader CreateLabelReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
    {
        var getLabel = cursor.GetGetter<float>(label);
        float target = 0;
        return (out float value) =>
        {
            getLabel(ref target);
            value = target;
            return float.IsFinite(target);
        };
    }

    public override string SkippedLabel => "a missing (NaN) or infinite label";

    public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.mse_loss(outputs.view(-1), labels, reduction);

    public override bool HasAccuracy => false;

    public override long Correct(Tensor outputs, Tensor labels) => 0;

    public override SchemaShape.Column[] OutputColumns(SchemaShape.Column label) => new[]
    {
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    };

    public override ScoredColumn[] ScoredColumns(int headWidth) => new[]
    {
        ScoredColumn.Of(DefaultColumnNames.Score, type => type == NumberDataViewType.Single,
            (ReadOnlySpan<float> outputs, ref float value) => value = outputs[0]),
    };

    public override string[] OnnxOutputs => [DefaultColumnNames.Score];

    /// <summary>Score: the head's output, already in the label's units (<see cref="LabelStandardization"/> folded it in).</summary>
    public override void WriteOnnxOutputs(OnnxGraph graph, string headOutputs, string[] outputNames) =>
        graph.Node("Identity", new[] { headOutputs }, new[] { outputNames[0] });

    public override ISingleFeaturePredictionTransformer<RecurrentModelParameters> CreateRowScorer(IHostEnvironment env, RecurrentModelParameters model,
        DataViewSchema trainSchema, string featureColumn, string labelColumn) =>
        new RegressionPredictionTransformer<RecurrentModelParameters>(env, model, trainSchema, featureColumn);

    public override bool StandardizesLabels => true;
}
