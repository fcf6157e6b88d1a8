using System.Globalization;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// How a <see cref="RecurrentModelParameters"/> is stored in a model zip: its version header, the network description
/// and input scaling in the model's key entry, and the weights with their checksum in <see cref="WeightsEntryName"/>.
/// </summary>
internal static class RecurrentModelFormat
{
    internal const string LoaderSignature = "SruMlNetRecurrentModel";
    internal const string WeightsEntryName = "Weights.bin";

    // 0x00010001: SRU (2017 form) and LSTM, weights with SHA-256.
    // 0x00010002: the SHA-256 covers the network description too.
    // 0x00010003: the network description carries the SRU's recurrence options (SruCellSpec).
    // 0x00010004: the input scaling follows the network description, under the same checksum.
    // 0x00010005: the network description carries the task (multiclass, binary, regression).
    // 0x00010006: the network description carries the embedding's rows; the sequence input (fixed or variable length,
    // tokens and their vocabulary) follows the input scaling, under the same checksum. Still reads 0x00010001.
    internal const uint FormatVersion = ModelSpecFormat.InputVersion;
    private const uint InputScalingVersion = 0x00010004;
    private const uint SpecChecksumVersion = 0x00010002;
    private const uint OldestReadableVersion = 0x00010001;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "SRUMLNET",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: OldestReadableVersion,
        loaderSignature: LoaderSignature,
        // The simple name lets ML.NET find and load this assembly by itself on Model.Load, across versions.
        loaderAssemblyName: typeof(RecurrentModelParameters).Assembly.GetName().Name);

    /// <summary>Writes what follows ModelParametersBase's own fields in the key entry, and the weights' entry.</summary>
    public static void Save(ModelSaveContext ctx, SequenceClassifier network, InputScaling scaling, SequenceInput input)
    {
        ctx.SetVersionInfo(GetVersionInfo());
        NetworkSpec spec = network.Spec;
        ModelSpecFormat.Write(ctx.Writer, spec, FormatVersion);
        scaling.Write(ctx.Writer);
        input.Write(ctx.Writer);
        byte[] covered = [.. ModelSpecFormat.ToBytes(spec, FormatVersion), .. scaling.ToBytes(), .. input.ToBytes()];
        ctx.SaveBinaryStream(WeightsEntryName, writer => WeightSerializer.Write(writer, network, covered));
    }

    /// <summary>
    /// Reads a saved model's network and input scaling. Every way a saved model can be damaged ends in a
    /// <see cref="ModelFormatException"/> that says what is wrong, without an inner exception, so that
    /// <see cref="Exception.GetBaseException"/> of what <c>Model.Load</c> throws (ML.NET calls the loader through
    /// reflection, which wraps it) is that exception. Nothing is allocated for the network before the weights are known
    /// to be intact and large enough for it.
    /// </summary>
    public static (SequenceClassifier Network, InputScaling Scaling, SequenceInput Input) Load(ModelLoadContext ctx)
    {
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
        SequenceInput input;
        try
        {
            // ModelParametersBase.SaveCore writes the float width first.
            int floatSize = ctx.Reader.ReadInt32();
            if (floatSize != sizeof(float))
                throw new FormatException($"The model stores a float width of {floatSize} bytes; expected {sizeof(float)}.");
            spec = ModelSpecFormat.Read(ctx.Reader, written);
            scaling = written >= InputScalingVersion ? InputScaling.Read(ctx.Reader, spec.StepSize) : InputScaling.Identity(spec.StepSize);
            input = written >= ModelSpecFormat.InputVersion ? SequenceInput.Read(ctx.Reader, spec) : SequenceInput.Fixed(spec.SequenceLength, spec.StepSize);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException)
        {
            throw new ModelFormatException($"The model's network description is invalid: {e.Message}");
        }

        // The checksum covers the network description too (from 0x00010002), so the two cannot be damaged apart.
        byte[] covered = written >= SpecChecksumVersion ? ModelSpecFormat.ToBytes(spec, written) : Array.Empty<byte>();
        if (written >= InputScalingVersion)
            covered = [.. covered, .. scaling.ToBytes()];
        if (written >= ModelSpecFormat.InputVersion)
            covered = [.. covered, .. input.ToBytes()];
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
                string.Create(CultureInfo.InvariantCulture, $"The model's network description ({spec.NumberOfLayers} {spec.Cell.ToString().ToUpperInvariant()} layer(s) of {spec.HiddenSize} reading {spec.StepSize} values per step, {spec.HeadWidth} output(s)) needs at least {minimumBytes:N0} bytes of weights, but '{WeightsEntryName}' holds {payload.LongLength:N0}."));

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
        return (network, scaling, input);
    }
}
