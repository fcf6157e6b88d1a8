using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Onnx;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Trainers;
using TorchSharp;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(RecurrentModelParameters), null, typeof(SignatureLoadModel),
    "Recurrent sequence classifier", RecurrentModelParameters.LoaderSignature)]

namespace Microsoft.ML.Sru;

/// <summary>
/// A trained SRU, LSTM or GRU sequence classifier: the network's shape and weights. It maps a feature
/// vector to one probability per class, and is saved inside a standard ML.NET model zip.
/// </summary>
public sealed class RecurrentModelParameters : ModelParametersBase<VBuffer<float>>, IValueMapper, ISingleCanSaveOnnx, IDisposable
{
    internal const string LoaderSignature = "SruMlNetRecurrentModel";
    internal const string WeightsEntryName = "Weights.bin";

    // 0x00010001: SRU (2017 form) and LSTM, weights with SHA-256.
    // 0x00010002: the SHA-256 covers the network description too.
    // 0x00010003: the network description carries the SRU's recurrence options (SruCellSpec).
    // 0x00010004: the input scaling follows the network description, under the same checksum. Still reads 0x00010001.
    internal const uint FormatVersion = InputScalingVersion;
    private const uint InputScalingVersion = 0x00010004;
    private const uint SpecChecksumVersion = 0x00010002;
    private const uint OldestReadableVersion = 0x00010001;

    private readonly SequenceClassifier _network;

    // SRU models score rows and batches in managed code; other cells go through TorchSharp.
    private readonly SruInference? _managedScorer;
    private readonly VectorDataViewType _inputType;
    private readonly VectorDataViewType _outputType;
    private int _disposed;

    // Holders of the network: one for the model itself, released by Dispose, and one per running Score or
    // Save. The native tensors are freed when the count reaches zero, so Dispose never pulls them away from
    // a call in progress on another thread; once disposed, no new call can start.
    private int _holders = 1;

    internal RecurrentModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling)
        : base(env, LoaderSignature)
    {
        if (scaling.StepSize != network.Spec.StepSize)
            throw new ArgumentException($"The input scaling has {scaling.StepSize} positions; the network reads {network.Spec.StepSize} values a step.", nameof(scaling));
        InputScaling = scaling;
        _network = network;
        _network.eval();
        Spec = network.Spec;
        _managedScorer = SruInference.TryCreate(network);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Spec.FeatureCount);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, Spec.ClassCount);
    }

    internal NetworkSpec Spec { get; }

    /// <summary>What every input row goes through before the network; the identity for models saved before it existed.</summary>
    internal InputScaling InputScaling { get; }

    /// <summary>How the model rescales its input values (<see cref="InputNormalization.None"/> for models saved before input normalization existed).</summary>
    public InputNormalization InputNormalization => InputScaling.Kind;

    internal SequenceClassifier Network
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _network;
        }
    }

    /// <summary>Takes a hold on the network for one call; throws <see cref="ObjectDisposedException"/> once the model is disposed.</summary>
    private SequenceClassifier Acquire()
    {
        while (true)
        {
            int holders = Volatile.Read(ref _holders);
            if (holders == 0 || Volatile.Read(ref _disposed) != 0)
                throw new ObjectDisposedException(GetType().FullName, "The recurrent classifier was disposed: its weights are released and it cannot score or be saved. (Disposing a PredictionEngine or the transformer disposes the model.)");
            if (Interlocked.CompareExchange(ref _holders, holders + 1, holders) == holders)
                return _network;
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
            _network.Dispose();
    }

    /// <summary>The recurrent cell: "SRU", "LSTM" or "GRU".</summary>
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
        // Each mapper owns its buffers: cursors on other threads get their own.
        var input = new float[Spec.FeatureCount];
        var scores = new float[Spec.ClassCount];
        SruInference.Workspace[]? workspaces = CreateWorkspaces(rows: 1);
        ValueMapper<VBuffer<float>, VBuffer<float>> map = (in VBuffer<float> src, ref VBuffer<float> dst) => Map(src, ref dst, input, scores, workspaces);
        return (ValueMapper<TIn, TOut>)(Delegate)map;
    }

    private void Map(in VBuffer<float> src, ref VBuffer<float> dst, float[] input, float[] scores, SruInference.Workspace[]? workspaces)
    {
        if (src.Length != Spec.FeatureCount)
            throw Host.Except($"Expected a feature vector of {Spec.FeatureCount} values, got {src.Length}.");
        src.CopyTo(input);
        Score(input, 1, scores, workspaces);
        var editor = VBufferEditor.Create(ref dst, Spec.ClassCount);
        scores.CopyTo(editor.Values);
        dst = editor.Commit();
    }

    /// <summary>
    /// Scratch memory for <see cref="Score(float[], int, float[], SruInference.Workspace[])"/> calls of up to
    /// <paramref name="rows"/> rows, one caller at a time: one workspace per part a batch is split into, a part per core
    /// for batches of at least <see cref="MinimumRowsPerPart"/> rows a core. Null where the network scores through TorchSharp.
    /// </summary>
    internal SruInference.Workspace[]? CreateWorkspaces(int rows)
    {
        if (_managedScorer is null)
            return null;
        int parts = PartsFor(rows, Environment.ProcessorCount);
        return Enumerable.Range(0, parts).Select(_ => _managedScorer.CreateWorkspace((rows + parts - 1) / parts)).ToArray();
    }

    /// <summary>Below this many rows a part, splitting a batch over the cores costs more than it saves.</summary>
    private const int MinimumRowsPerPart = 8;

    /// <summary>How many parts <paramref name="rows"/> rows are split into, at most <paramref name="most"/>.</summary>
    private static int PartsFor(int rows, int most) => Math.Clamp(rows / MinimumRowsPerPart, 1, most);

    /// <summary>
    /// Class probabilities for <paramref name="rows"/> rows of features into <paramref name="scores"/>: in managed code
    /// with <paramref name="workspaces"/> from <see cref="CreateWorkspaces"/>, the rows split evenly over them, a thread
    /// each; otherwise through TorchSharp. The rows are rescaled in place first (<see cref="InputScaling"/>): callers pass
    /// a buffer of their own.
    /// </summary>
    internal void Score(float[] features, int rows, float[] scores, SruInference.Workspace[]? workspaces)
    {
        InputScaling.Apply(features.AsSpan(0, rows * Spec.FeatureCount));
        if (_managedScorer is null || workspaces is null)
        {
            Score(features.AsSpan(0, rows * Spec.FeatureCount), rows, scores);
            return;
        }
        Acquire();
        try
        {
            int parts = PartsFor(rows, workspaces.Length);
            if (parts == 1)
            {
                _managedScorer.Score(features.AsSpan(0, rows * Spec.FeatureCount), rows, scores, workspaces[0]);
                return;
            }
            try
            {
                KernelThreads.For(parts, part =>
                {
                    int first = rows * part / parts, count = rows * (part + 1) / parts - first;
                    _managedScorer.Score(features.AsSpan(first * Spec.FeatureCount, count * Spec.FeatureCount), count,
                        scores.AsSpan(first * Spec.ClassCount, count * Spec.ClassCount), workspaces[part]);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                // As a single part would throw it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Every network exports: each cell and option has an ONNX form (see <see cref="SequenceClassifierOnnx"/>).</summary>
    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    /// <summary>ML.NET's ONNX export (<c>ConvertToOnnx</c>) through its multiclass scorer: writes PredictedLabel and Score.</summary>
    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        SequenceClassifier network = Acquire();
        try
        {
            SequenceClassifierOnnx.Write(ctx, network, InputScaling, outputNames, featureColumn);
            return true;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Copies this model's weights into <paramref name="target"/>, a network of the same spec; this model is unchanged.</summary>
    internal void CopyWeightsTo(SequenceClassifier target)
    {
        SequenceClassifier network = Acquire();
        try
        {
            var source = network.state_dict();
            using var noGrad = torch.no_grad();
            foreach (var (name, tensor) in target.state_dict())
                tensor.copy_(source[name]);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Writes this model's weights as <see cref="WeightSerializer.WriteTensors"/> does, e.g. to fingerprint them.</summary>
    internal void WriteWeights(BinaryWriter writer)
    {
        SequenceClassifier network = Acquire();
        try
        {
            WeightSerializer.WriteTensors(writer, WeightSerializer.Entries(network));
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Class probabilities for <paramref name="rows"/> rows of already rescaled features into <paramref name="scores"/>, through TorchSharp.</summary>
    internal void Score(ReadOnlySpan<float> features, int rows, Span<float> scores)
    {
        SequenceClassifier network = Acquire();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            Tensor x = torch.tensor(features.ToArray(), new long[] { rows, Spec.FeatureCount });
            Tensor probabilities = torch.nn.functional.softmax(network.forward(x), 1).contiguous();
            probabilities.data<float>().CopyTo(scores);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Releases the network's native tensors. Safe to call more than once and from any thread: calls already
    /// scoring on other threads finish first, and any later call throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Release();
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "SRUMLNET",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: OldestReadableVersion,
        loaderSignature: LoaderSignature,
        // The simple name lets ML.NET find and load this assembly by itself on Model.Load, across versions.
        loaderAssemblyName: typeof(RecurrentModelParameters).Assembly.GetName().Name);

    /// <inheritdoc/>
    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        SequenceClassifier network = Acquire();
        try
        {
            ModelSpecFormat.Write(ctx.Writer, Spec, FormatVersion);
            InputScaling.Write(ctx.Writer);
            byte[] covered = [.. ModelSpecFormat.ToBytes(Spec, FormatVersion), .. InputScaling.ToBytes()];
            ctx.SaveBinaryStream(WeightsEntryName, writer => WeightSerializer.Write(writer, network, covered));
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// ML.NET's loader. Every way a saved model can be damaged ends in a <see cref="ModelFormatException"/> that
    /// says what is wrong, without an inner exception, so that <see cref="Exception.GetBaseException"/> of what
    /// <c>Model.Load</c> throws (ML.NET calls this through reflection, which wraps it) is that exception.
    /// Nothing is allocated for the network before the weights are known to be intact and large enough for it.
    /// </summary>
    private static RecurrentModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        uint readable = ctx.Header.ModelVerReadable, written = ctx.Header.ModelVerWritten;
        if (readable > FormatVersion)
            throw new ModelFormatException(
                $"This model was saved in format version 0x{readable:X8} by a newer Microsoft.ML.Sru; this version reads up to 0x{FormatVersion:X8}. Update the Sru.MLNet package to load it.");
        if (written < OldestReadableVersion)
            throw new ModelFormatException(
                $"This model was saved in format version 0x{written:X8}, older than any this version of Microsoft.ML.Sru reads (0x{OldestReadableVersion:X8} and later).");
        ctx.CheckAtModel(GetVersionInfo());
        TorchRuntime.EnsureLoaded();

        NetworkSpec spec;
        InputScaling scaling;
        try
        {
            // ModelParametersBase.SaveCore writes the float width first.
            int floatSize = ctx.Reader.ReadInt32();
            if (floatSize != sizeof(float))
                throw new FormatException($"The model stores a float width of {floatSize} bytes; expected {sizeof(float)}.");
            spec = ModelSpecFormat.Read(ctx.Reader, written);
            scaling = written >= InputScalingVersion ? InputScaling.Read(ctx.Reader, spec.StepSize) : InputScaling.Identity(spec.StepSize);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException)
        {
            throw new ModelFormatException($"The model's network description is invalid: {e.Message}");
        }

        // The checksum covers the network description too (from 0x00010002), so the two cannot be damaged apart.
        byte[] covered = written >= SpecChecksumVersion ? ModelSpecFormat.ToBytes(spec, written) : Array.Empty<byte>();
        if (written >= InputScalingVersion)
            covered = [.. covered, .. scaling.ToBytes()];
        byte[]? payload = null;
        try
        {
            if (!ctx.TryLoadBinaryStream(WeightsEntryName, reader => payload = WeightSerializer.ReadVerified(reader, covered)))
                throw new ModelFormatException($"The model zip has no '{WeightsEntryName}' entry in '{ctx.Directory}' for the recurrent classifier's weights.");
        }
        catch (Exception e) when (e is FormatException and not ModelFormatException or EndOfStreamException or IOException or InvalidDataException)
        {
            throw new ModelFormatException($"The recurrent classifier's weights ('{WeightsEntryName}') could not be read: {e.Message}");
        }

        long minimumBytes = spec.MinimumParameterCount * sizeof(float);
        if (payload!.LongLength < minimumBytes)
            throw new ModelFormatException(
                string.Create(CultureInfo.InvariantCulture, $"The model's network description ({spec.NumberOfLayers} {spec.Cell.ToString().ToUpperInvariant()} layer(s) of {spec.HiddenSize} reading {spec.StepSize} values per step, {spec.ClassCount} classes) needs at least {minimumBytes:N0} bytes of weights, but '{WeightsEntryName}' holds {payload.LongLength:N0}."));

        SequenceClassifier network = spec.Build();
        try
        {
            WeightSerializer.Apply(payload, network);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException)
        {
            network.Dispose();
            throw new ModelFormatException($"The recurrent classifier's weights ('{WeightsEntryName}') do not fit its network description: {e.Message}");
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new RecurrentModelParameters(env, network, scaling);
    }
}
