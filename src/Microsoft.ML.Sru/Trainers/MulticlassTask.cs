using Microsoft.ML.Data;
using Microsoft.ML.Numeric;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>A key-typed label of 2 or more classes, cross-entropy, Score (softmax probabilities) and PredictedLabel (the key).</summary>
internal sealed class MulticlassTask : RecurrentTask
{
    public override RecurrentTaskKind Kind => RecurrentTaskKind.MulticlassClassification;

    public override string LogName => "Multiclass";

    public override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    public override SchemaShape.Column LabelShape(string name) => TrainerUtils.MakeU4ScalarColumn(name);

    public override bool Fits(SchemaShape.Column label) =>
        label.IsKey && label.Kind == SchemaShape.Column.VectorKind.Scalar && label.ItemType == NumberDataViewType.UInt32;

    public override ArgumentOutOfRangeException WrongLabel(string column, string actualType) => new(column,
        $"Label column '{column}' must be a key type (Key<UInt32>), but it is {actualType}. Put mlContext.Transforms.Conversion.MapValueToKey(\"{column}\") before the trainer, as with every ML.NET multiclass trainer.");

    public override int ClassCount(DataViewSchema.Column label, int maxClasses)
    {
        if (label.Type is not KeyDataViewType { RawType: var rawType } keyType || rawType != typeof(uint))
            throw WrongLabel(label.Name, $"{label.Type}");
        if (keyType.Count < 2 || keyType.Count > (ulong)maxClasses)
            throw new ArgumentOutOfRangeException(label.Name,
                $"Label column '{label.Name}' has {keyType.Count} classes; a classifier needs between 2 and {maxClasses}.");
        return (int)keyType.Count;
    }

    public override LabelReader CreateLabelReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
    {
        var getLabel = cursor.GetGetter<uint>(label);
        uint key = 0;
        return (out float value) =>
        {
            getLabel(ref key);
            // Key 0 is the missing value; keys count from 1.
            value = key - 1f;
            return key != 0 && key <= classCount;
        };
    }

    public override Tensor LabelTensor(float[] labels, Device device) =>
        tensor(Array.ConvertAll(labels, label => (long)label), new long[] { labels.Length }, device: device);

    public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.cross_entropy(outputs, labels, reduction: reduction);

    public override long Correct(Tensor outputs, Tensor labels) => outputs.argmax(1).eq(labels).sum().item<long>();

    public override SchemaShape.Column[] OutputColumns(SchemaShape.Column label)
    {
        var predictedLabelAnnotations = new SchemaShape(label.Annotations
            .Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation()));
        return new[]
        {
            new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label))),
            new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true,
                predictedLabelAnnotations),
        };
    }

    public override ScoredColumn[] ScoredColumns(int headWidth)
    {
        var scratch = new float[headWidth];
        return new[]
        {
            ScoredColumn.Of(DefaultColumnNames.Score,
                type => type is VectorDataViewType { Size: var size } vector && vector.ItemType == NumberDataViewType.Single && size == headWidth,
                (ReadOnlySpan<float> outputs, ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, outputs.Length);
                    outputs.CopyTo(editor.Values);
                    value = editor.Commit();
                }),
            ScoredColumn.Of(DefaultColumnNames.PredictedLabel,
                type => type is KeyDataViewType { RawType: var raw, Count: var count } && raw == typeof(uint) && count == (ulong)headWidth,
                (ReadOnlySpan<float> outputs, ref uint value) =>
                {
                    // ML.NET's multiclass scorer's rule: the first index of the highest score, as a 1-based key; 0 (missing) if none.
                    outputs.CopyTo(scratch);
                    var scores = new VBuffer<float>(scratch.Length, scratch);
                    int index = VectorUtils.ArgMax(in scores);
                    value = index < 0 ? 0 : (uint)index + 1;
                }),
        };
    }

    public override string[] OnnxOutputs => [DefaultColumnNames.PredictedLabel, DefaultColumnNames.Score];

    /// <summary>Score: the softmax; PredictedLabel: ArgMax + 1 as uint32 (ties go to the first class, as above).</summary>
    public override void WriteOnnxOutputs(OnnxGraph graph, string headOutputs, string[] outputNames)
    {
        string score = outputNames[1];
        graph.Node("Softmax", new[] { headOutputs }, new[] { score }).AddAttribute("axis", 1L);
        string index = graph.Op("ArgMax", new[] { score }, node =>
        {
            node.AddAttribute("axis", 1L);
            node.AddAttribute("keepdims", 1L);
        });
        graph.Node("Cast", new[] { graph.Add(index, graph.Int64s("one", 1)) }, new[] { outputNames[0] }).AddAttribute("to", typeof(uint));
    }

    public override ISingleFeaturePredictionTransformer<RecurrentModelParameters> CreateRowScorer(IHostEnvironment env, RecurrentModelParameters model,
        DataViewSchema trainSchema, string featureColumn, string labelColumn) =>
        new MulticlassPredictionTransformer<RecurrentModelParameters>(env, model, trainSchema, featureColumn, labelColumn);
}
