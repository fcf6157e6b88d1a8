using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Trainers;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(RecurrentModelParameters), null, typeof(SignatureLoadModel),
    "Recurrent sequence classifier", RecurrentModelParameters.LoaderSignature)]

namespace Microsoft.ML.Sru;

/// <summary>
/// A trained SRU or LSTM sequence classifier: the network's shape and weights. It maps a feature
/// vector to one probability per class, and is saved inside a standard ML.NET model zip.
/// </summary>
public sealed class RecurrentModelParameters : ModelParametersBase<VBuffer<float>>, IValueMapper, IDisposable
{
    internal const string LoaderSignature = "SruMlNetRecurrentModel";
    internal const string WeightsEntryName = "Weights.bin";

    // 0x00010001: SRU (2017 form) and LSTM, weights with SHA-256.
    private const uint FormatVersion = 0x00010001;

    private readonly SequenceClassifier _network;
    private readonly VectorDataViewType _inputType;
    private readonly VectorDataViewType _outputType;
    private int _disposed;

    internal RecurrentModelParameters(IHostEnvironment env, SequenceClassifier network)
        : base(env, LoaderSignature)
    {
        _network = network;
        _network.eval();
        Spec = network.Spec;
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Spec.FeatureCount);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, Spec.ClassCount);
    }

    internal NetworkSpec Spec { get; }

    internal SequenceClassifier Network
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _network;
        }
    }

    /// <summary>The recurrent cell: "SRU" or "LSTM".</summary>
    public string CellType => Spec.Cell.ToString().ToUpperInvariant();

    /// <summary>Number of time steps a feature vector is read as.</summary>
    public int SequenceLength => Spec.SequenceLength;

    /// <summary>Width of each recurrent layer.</summary>
    public int HiddenSize => Spec.HiddenSize;

    /// <summary>Number of stacked recurrent layers.</summary>
    public int NumberOfLayers => Spec.NumberOfLayers;

    /// <summary>Number of classes scored.</summary>
    public int ClassCount => Spec.ClassCount;

    /// <inheritdoc/>
    protected override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TIn, TOut> IValueMapper.GetMapper<TIn, TOut>()
    {
        Host.Check(typeof(TIn) == typeof(VBuffer<float>) && typeof(TOut) == typeof(VBuffer<float>), "Only float vectors in and out are supported.");
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Each mapper owns its input buffer: cursors on other threads get their own.
        var input = new float[Spec.FeatureCount];
        ValueMapper<VBuffer<float>, VBuffer<float>> map = (in VBuffer<float> src, ref VBuffer<float> dst) => Map(src, ref dst, input);
        return (ValueMapper<TIn, TOut>)(Delegate)map;
    }

    private void Map(in VBuffer<float> src, ref VBuffer<float> dst, float[] input)
    {
        if (src.Length != Spec.FeatureCount)
            throw Host.Except($"Expected a feature vector of {Spec.FeatureCount} values, got {src.Length}.");
        src.CopyTo(input);
        var editor = VBufferEditor.Create(ref dst, Spec.ClassCount);
        Score(input, 1, editor.Values);
        dst = editor.Commit();
    }

    /// <summary>Class probabilities for <paramref name="rows"/> rows of features into <paramref name="scores"/>.</summary>
    internal void Score(ReadOnlySpan<float> features, int rows, Span<float> scores)
    {
        SequenceClassifier network = Network;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor x = torch.tensor(features.ToArray(), new long[] { rows, Spec.FeatureCount });
        Tensor probabilities = torch.nn.functional.softmax(network.forward(x), 1).contiguous();
        probabilities.data<float>().CopyTo(scores);
    }

    /// <summary>Releases the network's native tensors. Safe to call more than once; the model cannot score afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _network.Dispose();
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "SRUMLNET",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: FormatVersion,
        loaderSignature: LoaderSignature,
        // The simple name lets ML.NET find and load this assembly by itself on Model.Load, across versions.
        loaderAssemblyName: typeof(RecurrentModelParameters).Assembly.GetName().Name);

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        ModelSpecFormat.Write(ctx.Writer, Spec);
        ctx.SaveBinaryStream(WeightsEntryName, writer => WeightSerializer.Write(writer, Network));
    }

    private static RecurrentModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        if (ctx.Header.ModelVerReadable > FormatVersion)
            throw new ModelFormatException(
                $"This model was saved in format version 0x{ctx.Header.ModelVerReadable:X8} by a newer Microsoft.ML.Sru; this version reads up to 0x{FormatVersion:X8}. Update the Microsoft.ML.Sru package to load it.");
        ctx.CheckAtModel(GetVersionInfo());
        TorchRuntime.EnsureLoaded();

        NetworkSpec spec;
        try
        {
            // ModelParametersBase.SaveCore writes the float width first.
            int floatSize = ctx.Reader.ReadInt32();
            if (floatSize != sizeof(float))
                throw new FormatException($"The model stores a float width of {floatSize} bytes; expected {sizeof(float)}.");
            spec = ModelSpecFormat.Read(ctx.Reader);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException)
        {
            throw new ModelFormatException($"The model's network description is invalid: {e.Message}", e);
        }

        SequenceClassifier network = spec.Build();
        try
        {
            bool found = ctx.TryLoadBinaryStream(WeightsEntryName, reader => WeightSerializer.Read(reader, network));
            if (!found)
                throw new ModelFormatException($"The model zip has no '{WeightsEntryName}' entry for the recurrent classifier's weights.");
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or IOException or InvalidDataException)
        {
            network.Dispose();
            throw new ModelFormatException($"The recurrent classifier's weights could not be read: {e.Message}", e);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new RecurrentModelParameters(env, network);
    }
}
