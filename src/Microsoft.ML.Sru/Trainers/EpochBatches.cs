namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The order an epoch visits the training rows in, batch by batch: a plain shuffle where every row has the same length,
/// and for rows of unequal length batches of similar lengths (<see cref="LengthBuckets"/>), so that padding wastes little.
/// Each <see cref="Shuffle"/> draws from the run's generator only, so a resumed run replays the same epochs.
/// </summary>
internal sealed class EpochBatches
{
    private readonly int _batchSize;
    private readonly int[]? _lengths;
    private int[] _order;
    private int[]? _starts;

    public EpochBatches(TrainingSet set, int batchSize)
    {
        _batchSize = batchSize;
        _order = Enumerable.Range(0, set.RowCount).ToArray();
        if (!set.IsFixedLength)
            _lengths = Enumerable.Range(0, set.RowCount).Select(set.StepsOf).ToArray();
    }

    /// <summary>The next epoch's order.</summary>
    public void Shuffle(Random random)
    {
        if (_lengths is null)
            random.Shuffle(_order);
        else
            (_order, _starts) = LengthBuckets.Shuffle(_lengths, _batchSize, random);
    }

    /// <summary>The rows of the epoch's batch <paramref name="step"/>.</summary>
    public ReadOnlySpan<int> Rows(int step)
    {
        int start = _starts is null ? step * _batchSize : _starts[step];
        int end = _starts is null ? Math.Min(start + _batchSize, _order.Length) : step + 1 < _starts.Length ? _starts[step + 1] : _order.Length;
        return _order.AsSpan(start, end - start);
    }
}
