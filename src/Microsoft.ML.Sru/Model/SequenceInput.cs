using System.Globalization;
using System.Numerics;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// How a feature column's rows become time steps: which column types a model reads (<see cref="SequenceInputKind"/>),
/// how many steps a row keeps, and for tokens which keys have an embedding row. Fixed by training, stored in the model,
/// and the one place that reads a row into step values, for training and scoring alike.
/// </summary>
/// <remarks>
/// A row longer than <see cref="MaxSteps"/> keeps its last steps: the head reads the last step, and the end of a
/// sequence (the latest readings of a series, a text's closing words) is what the state it summarises was built up to.
/// Tokens map to embedding rows 1 to <see cref="Vocabulary"/>'s length by the keys seen in training; the missing key (0)
/// and keys never seen in training share row 0, a zero vector that is never trained: a word the model has no weights for
/// says nothing.
/// </remarks>
internal sealed class SequenceInput
{
    /// <summary>The most distinct tokens a model embeds.</summary>
    public const int MaxVocabulary = 1 << 20;

    private Dictionary<ulong, int>? _rows;

    private SequenceInput(SequenceInputKind kind, int valuesPerStep, int maxSteps, KeyDataViewType? keyType, ulong[] vocabulary)
    {
        Kind = kind;
        ValuesPerStep = valuesPerStep;
        MaxSteps = maxSteps;
        KeyType = keyType;
        Vocabulary = vocabulary;
    }

    public SequenceInputKind Kind { get; }

    /// <summary>Values of the column per step: the network's step width, or 1 (a token) for tokens.</summary>
    public int ValuesPerStep { get; }

    /// <summary>The steps a row keeps at most: every row's steps for <see cref="SequenceInputKind.FixedLength"/>.</summary>
    public int MaxSteps { get; }

    /// <summary>The token column's key type; null for other kinds.</summary>
    public KeyDataViewType? KeyType { get; }

    /// <summary>The keys seen in training, ascending: key <c>Vocabulary[i]</c> reads embedding row i + 1. Empty for other kinds.</summary>
    public ulong[] Vocabulary { get; }

    /// <summary>Rows of the network's embedding (the shared unknown row 0 and one per known token); 0 when the input is not tokens.</summary>
    public int EmbeddingRows => Kind == SequenceInputKind.Tokens ? Vocabulary.Length + 1 : 0;

    /// <summary>The feature column type a scorer reads: what training read, but any length where rows vary.</summary>
    public DataViewType ColumnType => Kind switch
    {
        SequenceInputKind.FixedLength => new VectorDataViewType(NumberDataViewType.Single, MaxSteps * ValuesPerStep),
        SequenceInputKind.VariableLength => new VectorDataViewType(NumberDataViewType.Single),
        _ => new VectorDataViewType(KeyType!),
    };

    /// <summary>The input of models that read a fixed-size vector (all models saved before other inputs existed).</summary>
    public static SequenceInput Fixed(int steps, int stepSize) => new(SequenceInputKind.FixedLength, stepSize, steps, null, []);

    /// <summary>
    /// The input a feature column of this type gives, before any row is read (tokens have no vocabulary yet:
    /// <see cref="WithVocabulary"/>). Throws <see cref="ArgumentOutOfRangeException"/> naming the column and saying which
    /// transform to put first when its type is not one the trainers read.
    /// </summary>
    public static SequenceInput ForColumn(DataViewSchema.Column column, int sequenceLength, int? stepSize, int maxSequenceLength)
    {
        string name = column.Name;
        if (column.Type is not VectorDataViewType vector)
            throw Unreadable(name, $"{column.Type}", otherNumbers: false);
        if (vector.ItemType is KeyDataViewType key)
        {
            if (key.Count == 0)
                throw new ArgumentOutOfRangeException(name, $"Feature column '{name}' holds keys without a key count ({vector}); map the tokens with MapValueToKey, which counts them.");
            return new SequenceInput(SequenceInputKind.Tokens, 1, maxSequenceLength, key, []);
        }
        if (vector.ItemType != NumberDataViewType.Single)
            throw Unreadable(name, vector.ToString(), otherNumbers: vector.ItemType is NumberDataViewType);
        if (!vector.IsKnownSize)
        {
            if (stepSize is not { } width)
                throw NoStepSize(name, vector.ToString());
            return new SequenceInput(SequenceInputKind.VariableLength, width, maxSequenceLength, null, []);
        }
        if (stepSize is { } given)
        {
            if (vector.Size % given != 0)
                throw new ArgumentOutOfRangeException(name,
                    $"Feature column '{name}' has {vector.Size} values, which StepSize = {given} does not divide into whole time steps.");
            if (vector.Size / given != sequenceLength)
                throw new ArgumentOutOfRangeException(name,
                    $"Feature column '{name}' has {vector.Size} values: StepSize = {given} makes {vector.Size / given} steps, but SequenceLength = {sequenceLength}. Set one of them, or both to agree.");
        }
        if (vector.Size % sequenceLength != 0)
            throw new ArgumentOutOfRangeException(name,
                $"Feature column '{name}' has {vector.Size} values, which SequenceLength = {sequenceLength} does not divide into equal time steps.");
        return Fixed(sequenceLength, vector.Size / sequenceLength);
    }

    /// <summary>
    /// The error for a feature column of type <paramref name="type"/> that no input kind reads, saying which transform to
    /// put first where numbers of another type (<paramref name="otherNumbers"/>) could be converted.
    /// </summary>
    public static ArgumentOutOfRangeException Unreadable(string column, string type, bool otherNumbers) => new(column,
        $"Feature column '{column}' is {type}; the recurrent trainers read a vector of Single (steps of values) or of keys (tokens, e.g. from TokenizeIntoWords and MapValueToKey)" +
        (otherNumbers ? $": put ConvertType(\"{column}\", outputKind: DataKind.Single) first, or MapValueToKey if the numbers are token ids." : "."));

    /// <summary>The error for a variable-length vector of Single without the StepSize option.</summary>
    public static ArgumentOutOfRangeException NoStepSize(string column, string type) => new(column,
        $"Feature column '{column}' is {type}, of variable length: set StepSize, the number of values in each time step.");

    /// <summary>This token input with the keys <paramref name="keys"/> (seen in training) as its vocabulary.</summary>
    public SequenceInput WithVocabulary(IEnumerable<ulong> keys)
    {
        ulong[] sorted = keys.Where(k => k != 0).Distinct().Order().ToArray();
        return new SequenceInput(Kind, ValuesPerStep, MaxSteps, KeyType, sorted);
    }

    /// <summary>Whether two inputs read the same column the same way (a validation set, continued training).</summary>
    public bool SameAs(SequenceInput other) =>
        Kind == other.Kind && ValuesPerStep == other.ValuesPerStep && MaxSteps == other.MaxSteps
        && Equals(KeyType, other.KeyType) && Vocabulary.AsSpan().SequenceEqual(other.Vocabulary);

    /// <summary>A reader of the column's current row on <paramref name="row"/>, one caller at a time.</summary>
    public SequenceRowReader CreateReader(DataViewRow row, DataViewSchema.Column column) => Kind != SequenceInputKind.Tokens
        ? CreateReader(row.GetGetter<VBuffer<float>>(column))
        : KeyType!.RawType switch
        {
            var t when t == typeof(byte) => CreateReader(row.GetGetter<VBuffer<byte>>(column)),
            var t when t == typeof(ushort) => CreateReader(row.GetGetter<VBuffer<ushort>>(column)),
            var t when t == typeof(uint) => CreateReader(row.GetGetter<VBuffer<uint>>(column)),
            _ => CreateReader(row.GetGetter<VBuffer<ulong>>(column)),
        };

    /// <summary>A reader of the rows <paramref name="getter"/> gives: Single values, or keys of the token column's raw type.</summary>
    public SequenceRowReader CreateReader<T>(ValueGetter<VBuffer<T>> getter)
    {
        if (Kind != SequenceInputKind.Tokens)
            return new SequenceRowReader(this, ReadSingles((ValueGetter<VBuffer<float>>)(Delegate)getter));
        if (typeof(T) != KeyType!.RawType)
            throw new ArgumentException($"The token column holds {KeyType.RawType.Name} keys, not {typeof(T).Name}.", nameof(getter));
        return new SequenceRowReader(this, typeof(T) == typeof(byte) ? ReadKeys((ValueGetter<VBuffer<byte>>)(Delegate)getter)
            : typeof(T) == typeof(ushort) ? ReadKeys((ValueGetter<VBuffer<ushort>>)(Delegate)getter)
            : typeof(T) == typeof(uint) ? ReadKeys((ValueGetter<VBuffer<uint>>)(Delegate)getter)
            : ReadKeys((ValueGetter<VBuffer<ulong>>)(Delegate)getter));
    }

    /// <summary>Adds the keys of the column's current row on <paramref name="row"/> to the set it is called with (tokens only).</summary>
    public Action<HashSet<ulong>> CreateKeyCollector(DataViewRow row, DataViewSchema.Column column) => KeyType!.RawType switch
    {
        var t when t == typeof(byte) => CollectKeys<byte>(row, column),
        var t when t == typeof(ushort) => CollectKeys<ushort>(row, column),
        var t when t == typeof(uint) => CollectKeys<uint>(row, column),
        _ => CollectKeys<ulong>(row, column),
    };

    /// <summary>The embedding row of key <paramref name="key"/>: 0 for the missing key and keys not seen in training.</summary>
    public int RowOf(ulong key)
    {
        _rows ??= Vocabulary.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i + 1);
        return _rows.GetValueOrDefault(key);
    }

    private static Action<HashSet<ulong>> CollectKeys<T>(DataViewRow row, DataViewSchema.Column column) where T : unmanaged, IUnsignedNumber<T>
    {
        var getter = row.GetGetter<VBuffer<T>>(column);
        VBuffer<T> buffer = default;
        return keys =>
        {
            getter(ref buffer);
            foreach (T key in buffer.DenseValues())
                keys.Add(ulong.CreateTruncating(key));
        };
    }

    /// <summary>Reads a row's values into the scratch array (grown as needed) and returns their count.</summary>
    internal delegate int RowFiller(ref float[] scratch);

    private static RowFiller ReadSingles(ValueGetter<VBuffer<float>> getter)
    {
        VBuffer<float> buffer = default;
        return (ref float[] scratch) =>
        {
            getter(ref buffer);
            if (scratch.Length < buffer.Length)
                scratch = new float[Math.Max(buffer.Length, 2 * scratch.Length)];
            buffer.CopyTo(scratch);
            return buffer.Length;
        };
    }

    private RowFiller ReadKeys<T>(ValueGetter<VBuffer<T>> getter) where T : unmanaged, IUnsignedNumber<T>
    {
        VBuffer<T> buffer = default;
        return (ref float[] scratch) =>
        {
            getter(ref buffer);
            if (scratch.Length < buffer.Length)
                scratch = new float[Math.Max(buffer.Length, 2 * scratch.Length)];
            int i = 0;
            // Embedding rows are below 2^21, exact in a float.
            foreach (T key in buffer.DenseValues())
                scratch[i++] = RowOf(ulong.CreateTruncating(key));
            return buffer.Length;
        };
    }

    /// <summary>Writes the input in the model zip's binary form (after the input scaling).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write((int)Kind);
        writer.Write(KeyType is null ? 0 : RawSize(KeyType.RawType));
        writer.Write(KeyType?.Count ?? 0UL);
        writer.Write(Vocabulary.Length);
        foreach (ulong key in Vocabulary)
            writer.Write(key);
    }

    /// <summary>
    /// Reads an input for a network of <paramref name="spec"/>; throws <see cref="FormatException"/> for values no saved
    /// model can have.
    /// </summary>
    public static SequenceInput Read(BinaryReader reader, NetworkSpec spec)
    {
        var kind = (SequenceInputKind)reader.ReadInt32();
        int rawSize = reader.ReadInt32();
        ulong count = reader.ReadUInt64();
        int keys = reader.ReadInt32();
        if (!Enum.IsDefined(kind))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model stores an unknown input kind {(int)kind}."));
        if (kind != SequenceInputKind.Tokens)
        {
            if (rawSize != 0 || count != 0 || keys != 0 || spec.EmbeddingRows != 0)
                throw new FormatException("The model stores a vocabulary or an embedding for an input that is not tokens.");
            return new SequenceInput(kind, spec.StepSize, spec.SequenceLength, null, []);
        }
        Type raw = rawSize switch
        {
            1 => typeof(byte),
            2 => typeof(ushort),
            4 => typeof(uint),
            8 => typeof(ulong),
            _ => throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model stores a key width of {rawSize} bytes.")),
        };
        if (count == 0 || (rawSize < 8 && count > (1UL << (8 * rawSize))))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model stores a key count of {count} for {rawSize}-byte keys."));
        if (keys < 0 || keys > MaxVocabulary || keys + 1 != spec.EmbeddingRows)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model stores {keys} known tokens for an embedding of {spec.EmbeddingRows} rows."));
        var vocabulary = new ulong[keys];
        for (int i = 0; i < keys; i++)
        {
            vocabulary[i] = reader.ReadUInt64();
            if (vocabulary[i] == 0 || vocabulary[i] > count || (i > 0 && vocabulary[i] <= vocabulary[i - 1]))
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model's known token {i} (key {vocabulary[i]}) is out of order or out of the key range 1 to {count}."));
        }
        return new SequenceInput(kind, 1, spec.SequenceLength, new KeyDataViewType(raw, count), vocabulary);
    }

    /// <summary>The binary form, for the model's checksum.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            Write(writer);
        return buffer.ToArray();
    }

    private static int RawSize(Type raw) =>
        raw == typeof(byte) ? 1 : raw == typeof(ushort) ? 2 : raw == typeof(uint) ? 4 : 8;
}
