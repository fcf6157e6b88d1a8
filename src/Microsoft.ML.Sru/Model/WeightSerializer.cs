using System.Globalization;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// Writes a network's parameters as one self-checking blob: its length; for each state-dict entry its name,
/// shape and float32 values; then a SHA-256 over the network description (<see cref="ModelSpecFormat.ToBytes"/>,
/// stored elsewhere in the zip) followed by all those bytes. Reading never allocates more than the bytes that
/// are actually there, checks the checksum before anything is used, and then checks every name and shape
/// against the network built from the saved <see cref="NetworkSpec"/> before copying values, so a damaged
/// file fails instead of yielding a different model. Training checkpoints store their tensors (weights, the
/// optimizer's moments, the best epoch's weights) and their checksum the same way.
/// </summary>
internal static class WeightSerializer
{
    private const uint Magic = 0x57555253; // "SRUW"
    private const int HashBytes = 32;
    private const int ChunkBytes = 1 << 20;

    /// <param name="writer">Where the weights go.</param>
    /// <param name="module">The network whose state dict is written.</param>
    /// <param name="covered">Bytes stored elsewhere that the checksum covers too (the network description).</param>
    public static void Write(BinaryWriter writer, nn.Module module, ReadOnlySpan<byte> covered)
    {
        using var buffer = new MemoryStream();
        using (var body = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            body.Write(Magic);
            WriteTensors(body, Entries(module));
        }
        WriteChecksummed(writer, buffer.ToArray(), covered);
    }

    /// <summary>The state dict's entries in their order: what <see cref="WriteTensors"/> and <see cref="ReadTensorsInto"/> take.</summary>
    public static IReadOnlyList<(string Name, Tensor Value)> Entries(nn.Module module) =>
        module.state_dict().Select(entry => (entry.Key, entry.Value)).ToArray();

    /// <summary>Writes the count of <paramref name="tensors"/>, then for each its name, shape and float32 values.</summary>
    public static void WriteTensors(BinaryWriter body, IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        body.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            body.Write(name);
            body.Write((int)tensor.dim());
            foreach (long size in tensor.shape)
                body.Write(size);
            using var detached = tensor.detach();
            using var asFloat = detached.to(float32);
            using var cpu = asFloat.cpu();
            using var contiguous = cpu.contiguous();
            body.Write(contiguous.bytes);
        }
    }

    /// <summary>
    /// Writes <paramref name="payload"/> self-checking: its length, the bytes, then a SHA-256 over
    /// <paramref name="covered"/> (bytes stored elsewhere) and the payload. <see cref="ReadVerified"/> reads it back.
    /// </summary>
    public static void WriteChecksummed(BinaryWriter writer, byte[] payload, ReadOnlySpan<byte> covered)
    {
        writer.Write(payload.Length);
        writer.Write(payload);
        writer.Write(Hash(covered, payload));
    }

    /// <summary>
    /// Reads the weights blob and checks its SHA-256 over <paramref name="covered"/> and the blob; throws
    /// <see cref="FormatException"/> when it is truncated or the checksum does not match. The declared length is
    /// never trusted for an allocation: the bytes are read as they arrive.
    /// </summary>
    public static byte[] ReadVerified(BinaryReader reader, ReadOnlySpan<byte> covered)
    {
        int length = reader.ReadInt32();
        if (length < 2 * sizeof(int))
            throw new FormatException($"The weights entry declares {length} bytes of weights, which cannot even hold its header.");
        byte[] payload = ReadBounded(reader, length);
        byte[] storedHash = reader.ReadBytes(HashBytes);
        if (storedHash.Length != HashBytes)
            throw new FormatException($"The weights entry is truncated: it ends inside the {HashBytes}-byte SHA-256 that follows the weights.");
        if (!CryptographicOperations.FixedTimeEquals(storedHash, Hash(covered, payload)))
            throw new FormatException("The SHA-256 checksum of the weights and the network description does not match their bytes: the model file is damaged.");
        if (reader.BaseStream.CanSeek && reader.BaseStream.Position != reader.BaseStream.Length)
            throw new FormatException("The weights entry has trailing bytes after its checksum.");
        return payload;
    }

    /// <summary>Copies verified weights into <paramref name="module"/>; throws <see cref="FormatException"/> on any mismatch of names or shapes.</summary>
    public static void Apply(byte[] payload, nn.Module module)
    {
        using var body = new BinaryReader(new MemoryStream(payload, writable: false));
        if (body.ReadUInt32() != Magic)
            throw new FormatException("The weights entry does not start with the expected header.");
        ReadTensorsInto(body, Entries(module));
        if (body.BaseStream.Position != body.BaseStream.Length)
            throw new FormatException("The weights entry has trailing bytes.");
    }

    /// <summary>
    /// Reads what <see cref="WriteTensors"/> wrote into <paramref name="targets"/>, which must have the same names and
    /// shapes in the same order; throws <see cref="FormatException"/> on any mismatch or truncation.
    /// </summary>
    public static void ReadTensorsInto(BinaryReader body, IReadOnlyList<(string Name, Tensor Value)> targets)
    {
        int count = body.ReadInt32();
        if (count != targets.Count)
            throw new FormatException($"The weights hold {count} tensors; a network of the saved shape has {targets.Count}.");

        using var noGrad = torch.no_grad();
        foreach (var (expectedName, target) in targets)
        {
            string name = body.ReadString();
            if (name != expectedName)
                throw new FormatException($"Expected weights for '{expectedName}' but found '{name}'.");
            int rank = body.ReadInt32();
            if (rank != target.dim())
                throw new FormatException($"Weights '{name}' have rank {rank} in the file; the network of the saved shape has rank {target.dim()}.");
            for (int d = 0; d < rank; d++)
            {
                long size = body.ReadInt64();
                if (size != target.shape[d])
                    throw new FormatException($"Weights '{name}' have shape [{string.Join(", ", target.shape)}] in the network of the saved shape but size {size} in dimension {d} in the file.");
            }
            long bytes = target.numel() * sizeof(float);
            if (bytes > body.BaseStream.Length - body.BaseStream.Position)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"Weights '{name}' are truncated: {bytes:N0} bytes expected, {body.BaseStream.Length - body.BaseStream.Position:N0} left."));
            float[] floats = new float[target.numel()];
            int read = body.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()));
            if (read != bytes)
                throw new FormatException($"Weights '{name}' are truncated.");
            using var source = torch.tensor(floats, target.shape);
            target.copy_(source);
        }
    }

    private static byte[] Hash(ReadOnlySpan<byte> covered, byte[] payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(covered);
        hash.AppendData(payload);
        return hash.GetHashAndReset();
    }

    /// <summary>Reads <paramref name="length"/> bytes, allocating only as they arrive (or as the seekable stream shows they exist).</summary>
    private static byte[] ReadBounded(BinaryReader reader, int length)
    {
        Stream stream = reader.BaseStream;
        if (stream.CanSeek)
        {
            long available = stream.Length - stream.Position;
            if (available < length)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The weights entry is truncated: it declares {length:N0} bytes of weights but holds {Math.Max(0, available):N0}."));
        }
        if (length <= ChunkBytes || stream.CanSeek)
        {
            byte[] all = reader.ReadBytes(length);
            if (all.Length != length)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The weights entry is truncated: it declares {length:N0} bytes of weights but holds {all.Length:N0}."));
            return all;
        }

        using var buffer = new MemoryStream();
        while (buffer.Length < length)
        {
            byte[] part = reader.ReadBytes((int)Math.Min(ChunkBytes, length - buffer.Length));
            if (part.Length == 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The weights entry is truncated: it declares {length:N0} bytes of weights but holds {buffer.Length:N0}."));
            buffer.Write(part);
        }
        return buffer.ToArray();
    }
}
