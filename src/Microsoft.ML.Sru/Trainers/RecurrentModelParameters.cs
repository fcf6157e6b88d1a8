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

    // The token embedding's weights for the managed scorer; null for networks that read values.
    private readonly float[]? _embedding;
    private readonly VectorDataViewType _inputType;
    private readonly DataViewType _outputType;

    private protected RecurrentModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling, SequenceInput input)
        : base(env, RecurrentModelFormat.LoaderSignature)
    {
        if (input.MaxSteps != network.Spec.SequenceLength || input.EmbeddingRows != network.Spec.EmbeddingRows)
            throw new ArgumentException($"The input reads {input.MaxSteps} steps into {input.EmbeddingRows} embedding rows; the network {network.Spec.SequenceLength} steps into {network.Spec.EmbeddingRows}.", nameof(input));
        Input = input;
        if (scaling.StepSize != network.Spec.StepSize)
            throw new ArgumentException($"The input scaling has {scaling.StepSize} positions; the network reads {network.Spec.StepSize} values a step.", nameof(scaling));
        InputScaling = scaling;
        network.eval();
        _network = new SharedNetwork(network, GetType().FullName!);
        Spec = network.Spec;
        _managedInference = ManagedInference.For(network);
        _embedding = network.EmbeddingTable();
        TorchScorer = new TorchBatchScorer(_network);
        _inputType = (VectorDataViewType)input.ColumnType;
        Task = RecurrentTask.For(Spec.Task);
        _outputType = Spec.Task == RecurrentTaskKind.MulticlassClassification ? (DataViewType)new VectorDataViewType(NumberDataViewType.Single, Spec.ClassCount) : NumberDataViewType.Single;
    }

    /// <summary>The model of <paramref name="network"/>'s task: ML.NET's scorers tell the tasks apart by the interfaces a model has.</summary>
    internal static RecurrentModelParameters Create(IHostEnvironment env, SequenceClassifier network, InputScaling scaling, SequenceInput input) => network.Spec.Task switch
    {
        RecurrentTaskKind.BinaryClassification => new RecurrentBinaryModelParameters(env, network, scaling, input),
        RecurrentTaskKind.Regression => new RecurrentRegressionModelParameters(env, network, scaling, input),
        _ => new RecurrentModelParameters(env, network, scaling, input),
    };

    /// <summary>How the model reads its feature column into steps: fixed or variable length, values or tokens.</summary>
    internal SequenceInput Input { get; }

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
        Host.Check(typeof(TIn) == typeof(VBuffer<>).MakeGenericType(_inputType.ItemType.RawType) && typeof(TOut) == (vector ? typeof(VBuffer<float>) : typeof(float)),
            $"Only {_inputType} in and {(vector ? "a float vector" : "a float")} out are supported.");
        _network.ThrowIfDisposed();
        if (Input.Kind != SequenceInputKind.FixedLength)
            return (ValueMapper<TIn, TOut>)(Delegate)GetSequenceMapper<TIn>(vector);
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

    /// <summary>A mapper of rows of any length (variable-length values, tokens), one row a call through <see cref="ScorePadded"/>.</summary>
    private Delegate GetSequenceMapper<TIn>(bool vector)
    {
        // TIn is VBuffer<T>: the row the mapper is called with is what the reader's getter hands on.
        Type item = typeof(TIn).GetGenericArguments()[0];
        var method = typeof(RecurrentModelParameters).GetMethod(nameof(SequenceMapper), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        return (Delegate)method.MakeGenericMethod(item).Invoke(this, [vector])!;
    }

    private Delegate SequenceMapper<T>(bool vector)
    {
        VBuffer<T> current = default;
        SequenceRowReader reader = Input.CreateReader((ref VBuffer<T> dst) => current.CopyTo(ref dst));
        var scores = new float[Spec.HeadWidth];
        float[] features = [];
        int[] length = new int[1];
        IBatchScorer scorer = CreateScorer(rows: 1);
        float[] MapRow(in VBuffer<T> src)
        {
            current = src;
            int steps = ReadRow(reader, ref features, 0, 0);
            length[0] = steps;
            ScorePadded(features, 1, length, scores, scorer);
            return scores;
        }
        if (!vector)
            return (ValueMapper<VBuffer<T>, float>)((in VBuffer<T> src, ref float dst) => dst = MapRow(src)[0]);
        return (ValueMapper<VBuffer<T>, VBuffer<float>>)((in VBuffer<T> src, ref VBuffer<float> dst) =>
        {
            float[] rowScores = MapRow(src);
            var editor = VBufferEditor.Create(ref dst, rowScores.Length);
            rowScores.CopyTo(editor.Values);
            dst = editor.Commit();
        });
    }

    /// <summary>
    /// Reads the reader's current row into <paramref name="features"/> at row <paramref name="slot"/> of width
    /// <paramref name="rowWidth"/> values (0: the row's own width, the array grown to it) and returns its steps. A row with
    /// no values scores as one step of zeros (of unknown tokens); a row that is not whole steps is refused.
    /// </summary>
    internal int ReadRow(SequenceRowReader reader, ref float[] features, int slot, int rowWidth, string? column = null, long? position = null)
    {
        SequenceRowStatus status = reader.Read();
        if (status == SequenceRowStatus.PartialStep)
            throw Host.Except($"{(position is { } p ? $"Row {p}" : "A row")} of feature column{(column is null ? "" : $" '{column}'")} has {reader.RowLength} values, not whole steps of {Input.ValuesPerStep}.");
        int steps = Math.Max(1, reader.Steps);
        int width = rowWidth > 0 ? rowWidth : steps * Input.ValuesPerStep;
        if (features.Length < (slot + 1) * width)
            Array.Resize(ref features, (slot + 1) * width);
        Span<float> target = features.AsSpan(slot * width, width);
        target.Clear();
        reader.Values.CopyTo(target);
        return steps;
    }

    /// <summary>
    /// The head's outputs for <paramref name="rows"/> rows of unequal lengths, padded at the end to the longest of
    /// <paramref name="lengths"/> (features [rows, T·width]), each row's those it gets alone. Rescales in place first.
    /// </summary>
    internal void ScorePadded(float[] features, int rows, int[] lengths, float[] scores, IBatchScorer scorer)
    {
        int steps = PaddedSteps.Longest(lengths.AsSpan(0, rows));
        InputScaling.Apply(features.AsSpan(0, rows * steps * Input.ValuesPerStep));
        scorer.ScorePadded(features, rows, lengths, scores);
    }

    /// <summary>
    /// A scorer for <see cref="Score"/> calls of up to <paramref name="rows"/> rows, one caller at a time: in managed code
    /// where it covers the network, otherwise (or with <see cref="TorchScoringOnly"/>) through TorchSharp.
    /// </summary>
    internal IBatchScorer CreateScorer(int rows) =>
        _managedInference is null || TorchScoringOnly.Value ? TorchScorer : new ManagedBatchScorer(_network, _managedInference, Spec, rows, _embedding);

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

    /// <summary>
    /// Every network of fixed-length rows exports, whatever its task: each cell and option has an ONNX form (see
    /// <see cref="SequenceClassifierOnnx"/>). Rows of variable length and tokens do not export yet.
    /// </summary>
    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => Input.Kind == SequenceInputKind.FixedLength;

    /// <summary>
    /// ML.NET's ONNX export (<c>ConvertToOnnx</c>) through its scorer for the task: writes the task's
    /// <see cref="RecurrentTask.OnnxOutputs"/> (PredictedLabel and Score for a multiclass model, Score for regression;
    /// a binary model is asked through <see cref="RecurrentBinaryModelParameters"/>).
    /// </summary>
    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        using SharedNetwork.Hold hold = _network.Acquire();
        SequenceClassifierOnnx.Write(ctx, hold.Network, InputScaling, Task, outputNames, featureColumn);
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
        RecurrentModelFormat.Save(ctx, hold.Network, InputScaling, Input);
    }

    /// <summary>ML.NET's loader: see <see cref="RecurrentModelFormat.Load"/> for how a damaged model is reported.</summary>
    private static RecurrentModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        var (network, scaling, input) = RecurrentModelFormat.Load(ctx);
        return Create(env, network, scaling, input);
    }
}
