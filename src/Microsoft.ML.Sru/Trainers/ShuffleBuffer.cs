namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A bounded shuffle of a stream of rows: the first <see cref="Capacity"/> rows fill the buffer; each row after that takes
/// the place of one drawn at random from it, which goes out; at the end the rows left go out in a random order. It
/// never holds more than <see cref="Capacity"/> rows, and the same rows and generator give the same order. A row stays
/// close to where it was in the data: data sorted by label needs a buffer about as large as the data to be mixed.
/// </summary>
internal sealed class ShuffleBuffer
{
    private readonly Random _random;
    private readonly float[][] _values;
    private readonly int[] _steps;
    private readonly float[] _labels;
    private readonly int _valuesPerStep;

    /// <summary>The emitted row: its values (valid until the emit returns), steps and label.</summary>
    public delegate void RowSink(ReadOnlySpan<float> values, int steps, float label);

    public ShuffleBuffer(int capacity, int valuesPerStep, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _random = random;
        _valuesPerStep = valuesPerStep;
        _values = new float[capacity][];
        _steps = new int[capacity];
        _labels = new float[capacity];
    }

    public int Capacity => _values.Length;

    /// <summary>Rows held now.</summary>
    public int Count { get; private set; }

    /// <summary>The most rows held at once.</summary>
    public int MostHeld { get; private set; }

    /// <summary>
    /// Takes one row, rescaled in the buffer by <paramref name="transform"/> (if any); once the buffer is full, first sends
    /// a random held row to <paramref name="emit"/>.
    /// </summary>
    public void Add(ReadOnlySpan<float> values, int steps, float label, Action<Span<float>>? transform, RowSink emit)
    {
        int slot;
        if (Count < Capacity)
        {
            slot = Count++;
            MostHeld = Math.Max(MostHeld, Count);
        }
        else
        {
            slot = _random.Next(Capacity);
            Emit(slot, emit);
        }
        float[]? held = _values[slot];
        if (held is null || held.Length < values.Length)
            _values[slot] = held = new float[values.Length];
        values.CopyTo(held);
        transform?.Invoke(held.AsSpan(0, values.Length));
        _steps[slot] = steps;
        _labels[slot] = label;
    }

    /// <summary>Sends the rows still held, in a random order, and empties the buffer.</summary>
    public void Drain(RowSink emit)
    {
        int[] order = Enumerable.Range(0, Count).ToArray();
        _random.Shuffle(order);
        foreach (int slot in order)
            Emit(slot, emit);
        Count = 0;
    }

    private void Emit(int slot, RowSink emit) =>
        emit(_values[slot].AsSpan(0, _steps[slot] * _valuesPerStep), _steps[slot], _labels[slot]);
}
