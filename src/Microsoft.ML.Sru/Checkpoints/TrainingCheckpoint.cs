using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Checkpoints;

/// <summary>
/// One training checkpoint file: a header (magic, format version), then one self-checking blob as the model's weights
/// are stored (<see cref="WeightSerializer"/>: length, payload, SHA-256 over the header and the payload). The payload
/// holds the <see cref="RunFingerprint"/>, the <see cref="RunState"/>, TorchSharp's random generator state (dropout
/// masks), the network's weights, the optimizer's state and, with early stopping, the best epoch's weights.
/// Reading checks the checksum and the fingerprint before any tensor is touched.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const uint Magic = 0x43555253; // "SRUC"
    private const int HeaderBytes = 2 * sizeof(uint);

    /// <summary>The format this version writes and the newest it reads.</summary>
    public const uint FormatVersion = 1;

    private readonly byte[] _payload;
    private readonly int _tensorsOffset;

    private TrainingCheckpoint(string path, RunFingerprint fingerprint, RunState state, byte[] randomState, byte[] payload, int tensorsOffset)
    {
        Path = path;
        Fingerprint = fingerprint;
        State = state;
        RandomState = randomState;
        _payload = payload;
        _tensorsOffset = tensorsOffset;
    }

    public string Path { get; }

    public RunFingerprint Fingerprint { get; }

    public RunState State { get; }

    /// <summary>TorchSharp's default CPU generator, as <c>torch.get_rng_state</c> gives it.</summary>
    public byte[] RandomState { get; }

    /// <summary>The checkpoint file's bytes for the run as it stands.</summary>
    public static byte[] Serialize(RunFingerprint fingerprint, RunState state, nn.Module network, ParameterUpdate update, WeightSnapshot? best)
    {
        using var payload = new MemoryStream();
        using (var body = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            fingerprint.Write(body);
            state.Write(body);
            using (Tensor random = torch.get_rng_state())
            {
                byte[] bytes = random.bytes.ToArray();
                body.Write(bytes.Length);
                body.Write(bytes);
            }
            WeightSerializer.WriteTensors(body, WeightSerializer.Entries(network));
            update.WriteState(body);
            body.Write(best is not null);
            if (best is not null)
                WeightSerializer.WriteTensors(body, best.Copies);
        }

        using var file = new MemoryStream();
        using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            byte[] header = Header();
            writer.Write(header);
            WeightSerializer.WriteChecksummed(writer, payload.ToArray(), header);
        }
        return file.ToArray();
    }

    /// <summary>
    /// Reads and verifies the checkpoint at <paramref name="path"/>, its tensors left for <see cref="Restore"/>; throws
    /// <see cref="FormatException"/> (or <see cref="IOException"/>) saying what is wrong.
    /// </summary>
    public static TrainingCheckpoint Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(file, writable: false));
        if (file.Length < HeaderBytes || reader.ReadUInt32() != Magic)
            throw new FormatException("It is not a training checkpoint (its first bytes are not the checkpoint header).");
        uint version = reader.ReadUInt32();
        if (version > FormatVersion)
            throw new FormatException($"It was written in checkpoint format {version} by a newer Microsoft.ML.Sru; this version reads up to {FormatVersion}.");
        if (version < 1)
            throw new FormatException($"Its format version {version} does not exist.");
        byte[] payload = WeightSerializer.ReadVerified(reader, file.AsSpan(0, HeaderBytes));
        using var body = new BinaryReader(new MemoryStream(payload, writable: false));
        RunFingerprint fingerprint = RunFingerprint.Read(body);
        RunState state = RunState.Read(body);
        int randomLength = body.ReadInt32();
        if (randomLength < 0 || randomLength > payload.Length)
            throw new FormatException($"The random generator's state declares {randomLength} bytes.");
        byte[] random = body.ReadBytes(randomLength);
        return new TrainingCheckpoint(path, fingerprint, state, random, payload, checked((int)body.BaseStream.Position));
    }

    /// <summary>
    /// Puts the checkpoint's tensors and generator state into a run of the same fingerprint; throws
    /// <see cref="FormatException"/> when they do not fit.
    /// </summary>
    public void Restore(nn.Module network, ParameterUpdate update, WeightSnapshot? best)
    {
        using var body = new BinaryReader(new MemoryStream(_payload, _tensorsOffset, _payload.Length - _tensorsOffset, writable: false));
        WeightSerializer.ReadTensorsInto(body, WeightSerializer.Entries(network));
        update.ReadState(body);
        bool hasBest = body.ReadBoolean();
        if (hasBest != best is not null)
            throw new FormatException(hasBest ? "It holds best-epoch weights that this run does not keep." : "It holds no best-epoch weights, which this run keeps.");
        if (best is not null)
            WeightSerializer.ReadTensorsInto(body, best.Copies);
        if (body.BaseStream.Position != body.BaseStream.Length)
            throw new FormatException("It has trailing bytes after the optimizer's state.");
        using Tensor random = torch.tensor(RandomState, dtype: ScalarType.Byte);
        torch.set_rng_state(random);
    }

    private static byte[] Header()
    {
        var header = new byte[HeaderBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(sizeof(uint)), FormatVersion);
        return header;
    }
}
