using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// Writes a network's parameters as one self-checking blob: for each state-dict entry its name, shape
/// and float32 values, followed by the SHA-256 of all that. Reading checks every name and shape
/// against the network built from the saved <see cref="NetworkSpec"/> before copying values, and the
/// checksum before anything is used, so a damaged file fails instead of yielding a different model.
/// </summary>
internal static class WeightSerializer
{
    private const uint Magic = 0x57555253; // "SRUW"
    private const int MaxNameLength = 1024;

    public static void Write(BinaryWriter writer, nn.Module module)
    {
        using var buffer = new MemoryStream();
        using (var body = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            body.Write(Magic);
            var state = module.state_dict();
            body.Write(state.Count);
            foreach (var (name, tensor) in state)
            {
                body.Write(name);
                body.Write((int)tensor.dim());
                foreach (long size in tensor.shape)
                    body.Write(size);
                using var cpu = tensor.detach().to(float32).cpu().contiguous();
                body.Write(cpu.bytes);
            }
        }

        byte[] payload = buffer.ToArray();
        writer.Write(payload.Length);
        writer.Write(payload);
        writer.Write(SHA256.HashData(payload));
    }

    /// <summary>Copies the stored values into <paramref name="module"/>; throws <see cref="FormatException"/> on any mismatch.</summary>
    public static void Read(BinaryReader reader, nn.Module module)
    {
        var state = module.state_dict();
        long expectedBytes = 0;
        foreach (var (name, tensor) in state)
            expectedBytes += 4 + 4 + MaxNameLength + 8L * tensor.dim() + 4L * tensor.numel();

        int length = reader.ReadInt32();
        if (length <= 0 || length > expectedBytes + 8)
            throw new FormatException($"The weights entry declares {length} bytes; a network of the saved shape needs at most {expectedBytes}.");
        byte[] payload = reader.ReadBytes(length);
        if (payload.Length != length)
            throw new FormatException($"The weights entry is truncated: {payload.Length} of {length} bytes.");
        byte[] storedHash = reader.ReadBytes(32);
        if (storedHash.Length != 32 || !CryptographicOperations.FixedTimeEquals(storedHash, SHA256.HashData(payload)))
            throw new FormatException("The weights' SHA-256 checksum does not match their bytes: the model file is damaged.");

        using var body = new BinaryReader(new MemoryStream(payload, writable: false));
        if (body.ReadUInt32() != Magic)
            throw new FormatException("The weights entry does not start with the expected header.");
        int count = body.ReadInt32();
        if (count != state.Count)
            throw new FormatException($"The weights hold {count} tensors; a network of the saved shape has {state.Count}.");

        using var noGrad = torch.no_grad();
        foreach (var (expectedName, target) in state)
        {
            string name = body.ReadString();
            if (name != expectedName)
                throw new FormatException($"Expected weights for '{expectedName}' but found '{name}'.");
            int rank = body.ReadInt32();
            if (rank != target.dim())
                throw new FormatException($"Weights '{name}' have rank {rank}; expected {target.dim()}.");
            for (int d = 0; d < rank; d++)
            {
                long size = body.ReadInt64();
                if (size != target.shape[d])
                    throw new FormatException($"Weights '{name}' have shape [{string.Join(", ", target.shape)}] in the network but a different size {size} in dimension {d} in the file.");
            }
            int bytes = checked((int)(target.numel() * sizeof(float)));
            byte[] values = body.ReadBytes(bytes);
            if (values.Length != bytes)
                throw new FormatException($"Weights '{name}' are truncated.");
            float[] floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(values).ToArray();
            using var source = torch.tensor(floats, target.shape);
            target.copy_(source);
        }
        if (body.BaseStream.Position != body.BaseStream.Length)
            throw new FormatException("The weights entry has trailing bytes.");
    }
}
