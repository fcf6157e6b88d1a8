using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Builds <see cref="TrainingBatch"/>es from rows handed over one at a time, as <see cref="TrainingSet.Gather"/> builds
/// them from held rows: fixed-length rows in the order they come; rows of unequal length, when bucketed, in chunks of
/// <see cref="LengthBuckets.BatchesPerChunk"/> batches sorted by length and shuffled (<see cref="LengthBuckets"/>), else
/// in the order they come, each batch padded to its longest row.
/// </summary>
internal sealed class BatchAssembler
{
    private readonly int _batchSize;
    private readonly int _valuesPerStep;
    private readonly bool _fixedLength;
    private readonly int _fixedSteps;
    private readonly Random? _buckets;
    private readonly Action<TrainingBatch> _emit;
    private readonly BatchArrays _arrays;
    private readonly List<(float[] Values, int Steps, float Label)> _pending = new();
    private float[]? _fixedFeatures;
    private float[]? _fixedLabels;
    private int _fixedCount;

    /// <param name="input">How the rows were read.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="buckets">For rows of unequal length: the generator that shuffles the length buckets; null keeps the rows' order.</param>
    /// <param name="emit">Receives each finished batch.</param>
    /// <param name="arrays">Where the batches' feature arrays come from and go back to.</param>
    public BatchAssembler(SequenceInput input, int batchSize, Random? buckets, Action<TrainingBatch> emit, BatchArrays arrays)
    {
        _arrays = arrays;
        _batchSize = batchSize;
        _valuesPerStep = input.ValuesPerStep;
        _fixedLength = input.Kind == SequenceInputKind.FixedLength;
        _fixedSteps = input.MaxSteps;
        _buckets = buckets;
        _emit = emit;
    }

    public void Add(ReadOnlySpan<float> values, int steps, float label)
    {
        if (_fixedLength)
        {
            int width = _fixedSteps * _valuesPerStep;
            _fixedFeatures ??= _arrays.Rent(_batchSize * width);
            _fixedLabels ??= new float[_batchSize];
            values.CopyTo(_fixedFeatures.AsSpan(_fixedCount * width, width));
            _fixedLabels[_fixedCount++] = label;
            if (_fixedCount == _batchSize)
                FlushFixed();
            return;
        }
        _pending.Add((values.ToArray(), steps, label));
        if (_pending.Count == (_buckets is null ? _batchSize : _batchSize * LengthBuckets.BatchesPerChunk))
            FlushPending();
    }

    /// <summary>Sends the rows still held as the last (possibly smaller) batches.</summary>
    public void Finish()
    {
        if (_fixedLength)
            FlushFixed();
        else
            FlushPending();
    }

    private void FlushFixed()
    {
        if (_fixedCount == 0)
            return;
        int width = _fixedSteps * _valuesPerStep;
        float[] features = _fixedFeatures!;
        float[] labels = _fixedLabels!;
        if (_fixedCount < _batchSize)
        {
            features = _arrays.Rent(_fixedCount * width);
            _fixedFeatures.AsSpan(0, features.Length).CopyTo(features);
            _arrays.Return(_fixedFeatures!);
            labels = labels[.._fixedCount];
        }
        _fixedFeatures = null;
        _fixedLabels = null;
        _fixedCount = 0;
        _emit(new TrainingBatch(features, null, _fixedSteps, labels) { Arrays = _arrays });
    }

    private void FlushPending()
    {
        if (_pending.Count == 0)
            return;
        if (_buckets is null)
        {
            EmitPadded(Enumerable.Range(0, _pending.Count).ToArray());
        }
        else
        {
            var (order, starts) = LengthBuckets.Shuffle(_pending.ConvertAll(row => row.Steps), _batchSize, _buckets);
            for (int b = 0; b < starts.Length; b++)
                EmitPadded(order[starts[b]..(b + 1 < starts.Length ? starts[b + 1] : order.Length)]);
        }
        _pending.Clear();
    }

    private void EmitPadded(int[] rows)
    {
        int steps = rows.Max(row => _pending[row].Steps);
        int rowWidth = steps * _valuesPerStep;
        float[] features = _arrays.Rent(rows.Length * rowWidth);
        // A reused array holds an earlier batch's values where this one pads.
        Array.Clear(features);
        var lengths = new int[rows.Length];
        var labels = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var (values, rowSteps, label) = _pending[rows[i]];
            values.CopyTo(features, i * rowWidth);
            lengths[i] = rowSteps;
            labels[i] = label;
        }
        _emit(new TrainingBatch(features, lengths, steps, labels) { Arrays = _arrays });
    }
}
