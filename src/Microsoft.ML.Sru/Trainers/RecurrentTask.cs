using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Scoring;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>Reads the current row's label as the loss takes it; false for a row that must be skipped.</summary>
internal delegate bool LabelReader(out float label);

/// <summary>
/// Everything in which multiclass classification, binary classification and regression differ: the label column's type
/// and how it is read, the head's width, the loss, the accuracy reported, the output columns (also in ONNX) and ML.NET's scorer. One
/// trainer, data path and model serve all three; the recurrent cell is the only other axis.
/// </summary>
internal abstract class RecurrentTask
{
    public static readonly RecurrentTask Multiclass = new MulticlassTask();
    public static readonly RecurrentTask Binary = new BinaryClassificationTask();
    public static readonly RecurrentTask Regression = new RegressionTask();

    public static RecurrentTask For(RecurrentTaskKind kind) => kind switch
    {
        RecurrentTaskKind.MulticlassClassification => Multiclass,
        RecurrentTaskKind.BinaryClassification => Binary,
        RecurrentTaskKind.Regression => Regression,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown task."),
    };

    public abstract RecurrentTaskKind Kind { get; }

    /// <summary>The trainer's name in the log follows the cell's: "SruMulticlass", "LstmBinary", "GruRegression".</summary>
    public abstract string LogName { get; }

    public abstract PredictionKind PredictionKind { get; }

    /// <summary>The label column as ML.NET's estimator checks it.</summary>
    public abstract SchemaShape.Column LabelShape(string name);

    /// <summary>Whether an input schema's label column has the type this task reads.</summary>
    public abstract bool Fits(SchemaShape.Column label);

    /// <summary>The exception for a label column of another type: it names the column, its type and the transform to put first.</summary>
    public abstract ArgumentOutOfRangeException WrongLabel(string column, string actualType);

    /// <summary>Checks the data's label column and returns the class count the network stores (2 for binary, 1 for regression).</summary>
    public abstract int ClassCount(DataViewSchema.Column label, int maxClasses);

    /// <summary>Reads the label of the cursor's current row; <paramref name="classCount"/> is what <see cref="ClassCount"/> returned.</summary>
    public abstract LabelReader CreateLabelReader(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount);

    /// <summary>What a skipped row's label is, for the warning: "a missing label".</summary>
    public virtual string SkippedLabel => "a missing label";

    /// <summary>The batch's labels as the loss takes them.</summary>
    public virtual Tensor LabelTensor(float[] labels, Device device) => tensor(labels, new long[] { labels.Length }, device: device);

    /// <summary>The loss of the network's outputs [B, head width] against the labels.</summary>
    public abstract Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean);

    /// <summary>Whether the task has an accuracy to report (not regression).</summary>
    public virtual bool HasAccuracy => true;

    /// <summary>Rows of the batch predicted right; 0 where the task has no accuracy.</summary>
    public abstract long Correct(Tensor outputs, Tensor labels);

    /// <summary>The columns scoring adds, as the estimator declares them.</summary>
    public abstract SchemaShape.Column[] OutputColumns(SchemaShape.Column label);

    /// <summary>The same columns as the batch scorer computes them from a row's head outputs (see <see cref="IBatchScorer"/>).</summary>
    public abstract ScoredColumn[] ScoredColumns(int headWidth);

    /// <summary>The columns ML.NET's scorer for the task asks the model's ONNX export for, in its order.</summary>
    public abstract string[] OnnxOutputs { get; }

    /// <summary>
    /// Writes the scored columns into ML.NET's ONNX export as <see cref="ScoredColumns"/> computes them, from the head's
    /// outputs [N, head width]; <paramref name="outputNames"/> are the variables of <see cref="OnnxOutputs"/>.
    /// </summary>
    public abstract void WriteOnnxOutputs(OnnxGraph graph, string headOutputs, string[] outputNames);

    /// <summary>ML.NET's own prediction transformer for the task over <paramref name="model"/>: schema, single rows, saving.</summary>
    public abstract ISingleFeaturePredictionTransformer<RecurrentModelParameters> CreateRowScorer(IHostEnvironment env, RecurrentModelParameters model,
        DataViewSchema trainSchema, string featureColumn, string labelColumn);

    /// <summary>Whether the labels are standardized for training (<see cref="LabelStandardization"/>, regression).</summary>
    public virtual bool StandardizesLabels => false;
}
