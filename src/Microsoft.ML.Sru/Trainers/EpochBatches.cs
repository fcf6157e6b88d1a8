namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The order an epoch visits rows held in memory, batch by batch: a plain shuffle where every row has the same length,
/// and for rows of unequal length batches of similar lengths (<see cref="LengthBuckets"/>), so that padding wastes little.
/// Every epoch's shuffle draws from one generator seeded by the run, so epoch e is the e-th shuffle whichever epoch a
/// resumed run starts at.
/// </summary>
internal sealed class EpochBatches : IEpochBatches
{
    private readonly TrainingSet _set;
    private readonly int _batchSize;
    private readonly int[]? _lengths;
    private readonly Random _random;
    private readonly BatchArrays _arrays = new();
    private int[] _order;
    private int[]? _starts;
    private int _shufflesDone;

    public EpochBatches(TrainingSet set, int batchSize, int seed)
    {
        _set = set;
        _batchSize = batchSize;
        _random = new Random(seed);
        _order = Enumerable.Range(0, set.RowCount).ToArray();
        if (!set.IsFixedLength)
            _lengths = Enumerable.Range(0, set.RowCount).Select(set.StepsOf).ToArray();
    }

    public int StepsPerEpoch => (_set.RowCount + _batchSize - 1) / _batchSize;

    public IEnumerable<TrainingBatch> Epoch(int epoch, int firstStep)
    {
        if (epoch < _shufflesDone)
            throw new InvalidOperationException($"Epoch {epoch} was asked for after epoch {_shufflesDone}: a run's epochs come in order.");
        while (_shufflesDone < epoch)
        {
            Shuffle();
            _shufflesDone++;
        }
        for (int step = firstStep; step < StepsPerEpoch; step++)
        {
            int start = _starts is null ? step * _batchSize : _starts[step];
            int end = _starts is null ? Math.Min(start + _batchSize, _order.Length) : step + 1 < _starts.Length ? _starts[step + 1] : _order.Length;
            int[] rows = _order[start..end];
            yield return _set.Gather(rows, _arrays);
        }
    }

    private void Shuffle()
    {
        if (_lengths is null)
            _random.Shuffle(_order);
        else
            (_order, _starts) = LengthBuckets.Shuffle(_lengths, _batchSize, _random);
    }
}
