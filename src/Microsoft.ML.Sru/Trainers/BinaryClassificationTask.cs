using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A Boolean label, one logit trained with binary cross-entropy; Score is the logit, Probability its sigmoid (not
/// calibrated further), PredictedLabel true where Score &gt; 0, as ML.NET's binary scorer decides with its default threshold.
/// </summary>
internal sealed class BinaryClassificationTask : RecurrentTask
{
    public override RecurrentTaskKind Kind => RecurrentTaskKind.BinaryClassification;

    public override string LogName => "Binary";

    public override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    /// <summary>The probability of the true class for a Score (logit): what Transform and PredictionEngine give alike.</summary>
    public static float Probability(float score) => 1f / (1f + MathF.Exp(-score));

    public override SchemaShape.Column LabelShape(string name) => TrainerUtils.MakeBoolScalarLabel(name);

    public override bool Fits(SchemaShape.Column label) =>
        label.Kind == SchemaShape.Column.VectorKind.Scalar && label.ItemType == BooleanDataViewType.Instance;

    public override ArgumentOutOfRangeException WrongLabel(string column, string actualType) => new(column,
        $"Label column '{column}' must be Boolean for binary classification, but it is {actualType}. Convert it first, e.g. with " +
        $"mlContext.Transforms.Conversion.ConvertType(\"{column}\", outputKind: DataKind.Boolean) for 0/1 numbers, or " +
        "mlContext.Transforms.CustomMapping for other values.");

    public override int ClassCount(DataViewSchema.Column label, int maxClasses)
    {
        if (label.Type != BooleanDataViewType.Instance)
            throw WrongLabel(label.Name, $"{label.Type}");
        return 2;
    }

    public override LabelReader CreateLabelReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
    {
        var getLabel = cursor.GetGetter<bool>(label);
        bool positive = false;
        return (out float value) =>
        {
            getLabel(ref positive);
            value = positive ? 1f : 0f;
            return true;
        };
    }

    public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.binary_cross_entropy_with_logits(outputs.view(-1), labels, reduction: reduction);

    public override long Correct(Tensor outputs, Tensor labels) => outputs.view(-1).gt(0).eq(labels.gt(0.5)).sum().item<long>();

    public override SchemaShape.Column[] OutputColumns(SchemaShape.Column label) => new[]
    {
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
        new SchemaShape.Column(DefaultColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation(true))),
        new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    };

    public override ScoredColumn[] ScoredColumns(int headWidth) => new[]
    {
        ScoredColumn.Of(DefaultColumnNames.Score, type => type == NumberDataViewType.Single,
            (ReadOnlySpan<float> outputs, ref float value) => value = outputs[0]),
        ScoredColumn.Of(DefaultColumnNames.Probability, type => type == NumberDataViewType.Single,
            (ReadOnlySpan<float> outputs, ref float value) => value = Probability(outputs[0])),
        ScoredColumn.Of(DefaultColumnNames.PredictedLabel, type => type == BooleanDataViewType.Instance,
            (ReadOnlySpan<float> outputs, ref bool value) => value = outputs[0] > 0),
    };

    public override string[] OnnxOutputs => [DefaultColumnNames.PredictedLabel, DefaultColumnNames.Score, DefaultColumnNames.Probability];

    /// <summary>
    /// Score: the logit; Probability: its sigmoid. PredictedLabel is ML.NET's binary scorer's own node, Score above its
    /// threshold (a Binarizer), as it decides in Transform.
    /// </summary>
    public override void WriteOnnxOutputs(OnnxGraph graph, string headOutputs, string[] outputNames)
    {
        graph.Node("Identity", new[] { headOutputs }, new[] { outputNames[1] });
        graph.Node("Sigmoid", new[] { headOutputs }, new[] { outputNames[2] });
    }

    public override ISingleFeaturePredictionTransformer<RecurrentModelParameters> CreateRowScorer(IHostEnvironment env, RecurrentModelParameters model,
        DataViewSchema trainSchema, string featureColumn, string labelColumn) =>
        new BinaryPredictionTransformer<RecurrentModelParameters>(env, model, trainSchema, featureColumn);
}
