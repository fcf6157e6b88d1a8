namespace Microsoft.ML.Sru.Model;

/// <summary>The binary form of a <see cref="NetworkSpec"/> inside the model zip.</summary>
internal static class ModelSpecFormat
{
    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public const int Size = 6 * sizeof(int) + 1;

    public static void Write(BinaryWriter writer, NetworkSpec spec)
    {
        writer.Write((int)spec.Cell);
        writer.Write(spec.SequenceLength);
        writer.Write(spec.StepSize);
        writer.Write(spec.HiddenSize);
        writer.Write(spec.NumberOfLayers);
        writer.Write(spec.ClassCount);
        writer.Write(spec.UseHighway);
    }

    /// <summary>
    /// The spec in its canonical binary form: what the weights' SHA-256 covers besides the weights themselves,
    /// so that a damaged network description cannot pair with intact weights into a different model.
    /// </summary>
    public static byte[] ToBytes(NetworkSpec spec)
    {
        using var buffer = new MemoryStream(Size);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            Write(writer, spec);
        return buffer.ToArray();
    }

    /// <summary>Reads and validates; throws <see cref="FormatException"/> for values no saved model can have.</summary>
    public static NetworkSpec Read(BinaryReader reader)
    {
        var spec = new NetworkSpec(
            Cell: (RecurrentCellKind)reader.ReadInt32(),
            SequenceLength: reader.ReadInt32(),
            StepSize: reader.ReadInt32(),
            HiddenSize: reader.ReadInt32(),
            NumberOfLayers: reader.ReadInt32(),
            ClassCount: reader.ReadInt32(),
            UseHighway: reader.ReadBoolean());
        spec.Validate();
        return spec;
    }
}
