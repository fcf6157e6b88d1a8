namespace Microsoft.ML.Sru.Model;

/// <summary>The binary form of a <see cref="NetworkSpec"/> inside the model zip.</summary>
internal static class ModelSpecFormat
{
    /// <summary>The first model format whose spec carries the <see cref="SruCellSpec"/> after the 2017 fields.</summary>
    public const uint SruCellVersion = 0x00010003;

    /// <summary>The first model format whose spec carries the task (<see cref="WriteTask"/>); earlier models are multiclass.</summary>
    public const uint TaskVersion = 0x00010005;

    /// <summary>The first model format whose spec carries the embedding's rows (tokens) and whose model stores its <see cref="SequenceInput"/>.</summary>
    public const uint InputVersion = 0x00010006;

    /// <summary>Bytes of the fields every format version has.</summary>
    private const int BaseSize = 6 * sizeof(int) + 1;

    /// <summary>Bytes <see cref="Write"/> produces for <paramref name="version"/>.</summary>
    public static int Size(uint version) =>
        (version >= SruCellVersion ? BaseSize + 4 + 2 * sizeof(int) + 2 * sizeof(float) + sizeof(int) : BaseSize)
        + (version >= TaskVersion ? TaskSize : 0) + (version >= InputVersion ? sizeof(int) : 0);

    /// <summary>
    /// Writes the spec as format <paramref name="version"/> has it; older formats cannot hold SRU options other than the
    /// 2017 form (with or without the highway), nor a task other than multiclass classification.
    /// </summary>
    public static void Write(BinaryWriter writer, NetworkSpec spec, uint version)
    {
        writer.Write((int)spec.Cell);
        writer.Write(spec.SequenceLength);
        writer.Write(spec.StepSize);
        writer.Write(spec.HiddenSize);
        writer.Write(spec.NumberOfLayers);
        writer.Write(spec.ClassCount);
        SruCellSpec cell = spec.SruCell;
        // Every format has the highway here, among the 2017 fields; the other SRU options follow from SruCellVersion on.
        writer.Write(cell.UseHighway);
        if (version < TaskVersion && spec.Task != RecurrentTaskKind.MulticlassClassification)
            throw new InvalidOperationException($"Format 0x{version:X8} cannot store a {spec.Task} model, only multiclass classifiers.");
        if (version < SruCellVersion)
        {
            if (cell with { UseHighway = SruCellSpec.Classic.UseHighway } != SruCellSpec.Classic)
                throw new InvalidOperationException($"Format 0x{version:X8} cannot store SRU options other than the 2017 form.");
            return;
        }

        writer.Write(cell.Bidirectional);
        writer.Write(cell.UseCellStateWeights);
        writer.Write(cell.Rescale);
        writer.Write((byte)0); // reserved: keeps the numbers that follow 4-byte aligned
        writer.Write((int)cell.Activation);
        writer.Write((int)cell.LayerNorm);
        writer.Write(cell.HighwayBias);
        writer.Write(cell.Dropout);
        writer.Write(cell.ProjectionSize);
        if (version >= TaskVersion)
            WriteTask(writer, spec.Task);
        if (version >= InputVersion)
            writer.Write(spec.EmbeddingRows);
        else if (spec.EmbeddingRows != 0)
            throw new InvalidOperationException($"Format 0x{version:X8} cannot store a network that reads tokens.");
    }

    /// <summary>Bytes of the task's fields (<see cref="WriteTask"/>).</summary>
    private const int TaskSize = sizeof(int);

    /// <summary>The task's fields, from <see cref="TaskVersion"/> on, after the SRU options.</summary>
    private static void WriteTask(BinaryWriter writer, RecurrentTaskKind task) => writer.Write((int)task);

    /// <summary>Reads what <see cref="WriteTask"/> wrote; the spec's validation refuses an unknown task.</summary>
    private static RecurrentTaskKind ReadTask(BinaryReader reader) => (RecurrentTaskKind)reader.ReadInt32();

    /// <summary>
    /// The spec in its canonical binary form for format <paramref name="version"/>: what the weights' SHA-256 covers
    /// besides the weights themselves, so that a damaged network description cannot pair with intact weights into a
    /// different model.
    /// </summary>
    public static byte[] ToBytes(NetworkSpec spec, uint version)
    {
        using var buffer = new MemoryStream(Size(version));
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            Write(writer, spec, version);
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a spec of format <paramref name="version"/> (the 2017 SRU form before <see cref="SruCellVersion"/>, a
    /// multiclass classifier before <see cref="TaskVersion"/>) and
    /// validates it; throws <see cref="FormatException"/> for values no saved model can have.
    /// </summary>
    public static NetworkSpec Read(BinaryReader reader, uint version)
    {
        var spec = new NetworkSpec(
            Cell: (RecurrentCellKind)reader.ReadInt32(),
            SequenceLength: reader.ReadInt32(),
            StepSize: reader.ReadInt32(),
            HiddenSize: reader.ReadInt32(),
            NumberOfLayers: reader.ReadInt32(),
            ClassCount: reader.ReadInt32())
        {
            // Formats before SruCellVersion hold the 2017 form, with or without the highway.
            SruCell = SruCellSpec.Classic with { UseHighway = reader.ReadBoolean() },
        };
        if (version >= SruCellVersion)
        {
            bool bidirectional = reader.ReadBoolean(), cellStateWeights = reader.ReadBoolean(), rescale = reader.ReadBoolean();
            if (reader.ReadByte() != 0)
                throw new FormatException("The network description's reserved byte is not zero.");
            spec = spec with
            {
                SruCell = new SruCellSpec(
                    UseHighway: spec.SruCell.UseHighway,
                    Bidirectional: bidirectional,
                    UseCellStateWeights: cellStateWeights,
                    Activation: (SruActivation)reader.ReadInt32(),
                    LayerNorm: (SruLayerNorm)reader.ReadInt32(),
                    HighwayBias: reader.ReadSingle(),
                    Rescale: rescale,
                    Dropout: reader.ReadSingle(),
                    ProjectionSize: reader.ReadInt32()),
            };
        }
        if (version >= TaskVersion)
            spec = spec with { Task = ReadTask(reader) };
        if (version >= InputVersion)
            spec = spec with { EmbeddingRows = reader.ReadInt32() };
        spec.Validate();
        return spec;
    }
}
