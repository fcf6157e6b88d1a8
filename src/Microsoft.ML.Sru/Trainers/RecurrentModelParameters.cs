using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Trainers;
using Microsoft.ML.Trainers;
using TorchSharp;

[assembly: LoadableClass(typeof(RecurrentModelParameters), null, typeof(SignatureLoadModel),
    "Recurrent sequence model", RecurrentModelFormat.LoaderSignature)]

namespace Microsoft.ML.Sru;

/// <summary>
/// A trained SRU, LSTM or GRU sequence model: the network's shape and weights. A multiclass classifier maps a feature
/// vector to one probability per class; a binary classifier to a score (a logit) and its probability; a regression model
/// to a value. It is saved inside a standard ML.NET model zip.
/// </summary>
public class RecurrentModelParameters : ModelParametersBase<VBuffer<float>>, IValueMapper, ISingleCanSaveOnnx, IDisposable
{
    private readonly SharedNetwork _network;

    // The weights in managed arrays, where the managed scorer covers the network (SRU, LSTM, GRU); null otherwise.
    private readonly ManagedInference? _managedInference;
    private readonly VectorDataViewType _inputType;
    private readonly DataViewType _outputType;

    private protected RecurrentModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling)
        : base(env, RecurrentModelFormat.LoaderSignature)
    {
        if (scaling.StepSize != network.Spec.StepSize)
            throw new ArgumentException($"The input scaling has {scaling.StepSize} positions; the network reads {network.Spec.StepSize} values a step.", nameof(scaling));
        InputScaling = scaling;
        network.eval();
        _network = new SharedNetwork(network, GetType().FullName!);
        Spec = network.Spec;
        _managedInference = ManagedInference.For(network);
        TorchScorer = new TorchBatchScorer(_network);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Spec.FeatureCount);
        Task = RecurrentTask.For(Spec.Task);
        _outputType = Spec.Task == RecurrentTaskKind.MulticlassClassification ? (DataViewType)new VectorDataViewType(NumberDataViewType.Single, Spec.ClassCount) : NumberDataViewType.Single;
    }

    /// <summary>The model of <paramref name="network"/>'s task: ML.NET's scorers tell the tasks apart by the interfaces a model has.</summary>
    internal static RecurrentModelParameters Create(IHostEnvironment env, SequenceClassifier network, InputScaling scaling) => network.Spec.Task switch
    {
        RecurrentTaskKind.BinaryClassification => new RecurrentBinaryModelParameters(env, network, scaling),
        RecurrentTaskKind.Regression => new RecurrentRegressionModelParameters(env, network, scaling),
        _ => new RecurrentModelParameters(env, network, scaling),
    };

    /// <summary>What the model predicts, and how its outputs become columns.</summary>
    internal RecurrentTask Task { get; }

    internal NetworkSpec Spec { get; }

    /// <summary>What every input row goes through before the network; the identity for models saved before it existed.</summary>
    internal InputScaling InputScaling { get; }

    /// <summary>How the model rescales its input values (<see cref="InputNormalization.None"/> for models saved before input normalization existed).</summary>
    public InputNormalization InputNormalization => InputScaling.Kind;

    internal SequenceClassifier Network => _network.Network;

    /// <summary>Scores through the TorchSharp network, whatever the cell: the path of the cells the managed scorer does not cover.</summary>
    internal IBatchScorer TorchScorer { get; }

    /// <summary>The recurrent cell: "SRU", "LSTM" or "GRU".</summary>
    public string CellType => Spec.Cell.ToString().ToUpperInvariant();

    /// <summary>Number of time steps a feature vector is read as.</summary>
    public int SequenceLength => Spec.SequenceLength;

    /// <summary>Width of each recurrent layer.</summary>
    public int HiddenSize => Spec.HiddenSize;

    /// <summary>Number of stacked recurrent layers.</summary>
    public int NumberOfLayers => Spec.NumberOfLayers;

    /// <summary>Number of classes scored: 2 for a binary classifier, 1 (the value) for a regression model.</summary>
    public int ClassCount => Spec.ClassCount;

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => Task.PredictionKind;

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TIn, TOut> IValueMapper.GetMapper<TIn, TOut>()
    {
        bool vector = Spec.Task == RecurrentTaskKind.MulticlassClassification;
        Host.Check(typeof(TIn) == typeof(VBuffer<float>) && typeof(TOut) == (vector ? typeof(VBuffer<float>) : typeof(float)),
            vector ? "Only float vectors in and out are supported." : "Only a float vector in and a float out are supported.");
        _network.ThrowIfDisposed();
        // Each mapper owns its buffers: cursors on other threads get their own.
        var input = new float[Spec.FeatureCount];
        var scores = new float[Spec.HeadWidth];
        IBatchScorer scorer = CreateScorer(rows: 1);
        if (!vector)
        {
            ValueMapper<VBuffer<float>, float> one = (in VBuffer<float> src, ref float dst) => dst = Map(src, input, scores, scorer)[0];
            return (ValueMapper<TIn, TOut>)(Delegate)one;
        }
        ValueMapper<VBuffer<float>, VBuffer<float>> map = (in VBuffer<float> src, ref VBuffer<float> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, scores.Length);
            Map(src, input, scores, scorer).CopyTo(editor.Values);
            dst = editor.Commit();
        };
        return (ValueMapper<TIn, TOut>)(Delegate)map;
    }

    private float[] Map(in VBuffer<float> src, float[] input, float[] scores, IBatchScorer scorer)
    {
        if (src.Length != Spec.FeatureCount)
            throw Host.Except($"Expected a feature vector of {Spec.FeatureCount} values, got {src.Length}.");
        src.CopyTo(input);
        Score(input, 1, scores, scorer);
        return scores;
    }

    /// <summary>
    /// A scorer for <see cref="Score"/> calls of up to <paramref name="rows"/> rows, one caller at a time: in managed code
    /// where it covers the network, otherwise (or with <see cref="TorchScoringOnly"/>) through TorchSharp.
    /// </summary>
    internal IBatchScorer CreateScorer(int rows) =>
        _managedInference is null || TorchScoringOnly.Value ? TorchScorer : new ManagedBatchScorer(_network, _managedInference, Spec, rows);

    /// <summary>Scorers created in this flow of execution score through TorchSharp: the comparison in benchmarks.</summary>
    internal static readonly AsyncLocal<bool> TorchScoringOnly = new();

    /// <summary>
    /// The head's outputs (class probabilities for a multiclass model) for <paramref name="rows"/> rows of features into <paramref name="scores"/>, by
    /// <paramref name="scorer"/> from <see cref="CreateScorer"/>. The rows are rescaled in place first
    /// (<see cref="InputScaling"/>): callers pass a buffer of their own.
    /// </summary>
    internal void Score(float[] features, int rows, float[] scores, IBatchScorer scorer)
    {
        InputScaling.Apply(features.AsSpan(0, rows * Spec.FeatureCount));
        scorer.Score(features, rows, scores);
    }

    /// <summary>Every multiclass network exports: each cell and option has an ONNX form (see <see cref="SequenceClassifierOnnx"/>). Binary and regression heads do not export yet.</summary>
    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => Spec.Task == RecurrentTaskKind.MulticlassClassification;

    /// <summary>ML.NET's ONNX export (<c>ConvertToOnnx</c>) through its multiclass scorer: writes PredictedLabel and Score.</summary>
    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        using SharedNetwork.Hold hold = _network.Acquire();
        SequenceClassifierOnnx.Write(ctx, hold.Network, InputScaling, outputNames, featureColumn);
        return true;
    }

    /// <summary>Copies this model's weights into <paramref name="target"/>, a network of the same spec; this model is unchanged.</summary>
    internal void CopyWeightsTo(SequenceClassifier target)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        var source = hold.Network.state_dict();
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in target.state_dict())
            tensor.copy_(source[name]);
    }

    /// <summary>Writes this model's weights as <see cref="WeightSerializer.WriteTensors"/> does, e.g. to fingerprint them.</summary>
    internal void WriteWeights(BinaryWriter writer)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        WeightSerializer.WriteTensors(writer, WeightSerializer.Entries(hold.Network));
    }

    /// <summary>
    /// Releases the network's native tensors. Safe to call more than once and from any thread: calls already
    /// scoring on other threads finish first, and any later call throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => _network.Dispose();

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        using SharedNetwork.Hold hold = _network.Acquire();
        RecurrentModelFormat.Save(ctx, hold.Network, InputScaling);
    }

    /// <summary>ML.NET's loader: see <see cref="RecurrentModelFormat.Load"/> for how a damaged model is reported.</summary>
    private static RecurrentModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        var (network, scaling) = RecurrentModelFormat.Load(ctx);
        return Create(env, network, scaling);
    }
}
