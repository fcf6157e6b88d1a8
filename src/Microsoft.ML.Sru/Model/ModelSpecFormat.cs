namespace Microsoft.ML.Sru.Model;

/// <summary>The binary form of a <see cref="NetworkSpec"/> inside the model zip.</summary>
internal static class ModelSpecFormat
{
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
