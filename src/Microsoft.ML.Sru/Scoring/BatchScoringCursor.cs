using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// A cursor over scored rows that runs the network once per batch. Two cursors go over the input in step: the
/// follower is where this cursor is and serves the input's columns; the leader reads only the features, up to a
/// batch ahead, when a scored column is first read at a row the last batch does not cover. Both read the input
/// unshuffled, so they see the same rows in the same order.
/// </summary>
/// <remarks>
/// A row ahead whose features cannot be read ends the batch before it, so the error surfaces when this cursor
/// reaches that row (as with row-by-row scoring), not at an earlier row. Batches start small and double up to the
/// full size, so that a reader that stops after a few rows does not pay for scoring many more. Each scored row's id
/// is checked against the follower's: an input that does not give the same rows to two cursors is reported, never
/// scored against the wrong rows.
/// </remarks>
internal sealed class BatchScoringCursor : DataViewRowCursor
{
    internal const int DefaultBatchSize = 128;

    /// <summary>The first batch's size; each next one doubles, up to the full size.</summary>
    private const int FirstBatchSize = 8;

    private readonly IHost _host;
    private readonly IDataView _input;
    private readonly DataViewSchema.Column _features;
    private readonly RecurrentModelParameters _model;
    private readonly DataViewRowCursor _follower;
    private readonly bool[] _active;
    // The scored columns by their index in the schema.
    private readonly Dictionary<int, ScoredColumn> _scored;
    // Values a row takes in the batch buffer: the fixed length, or the longest a row of unequal length may have.
    private readonly int _rowWidth;
    private readonly bool _fixedLength;
    private readonly int[] _lengths;
    private readonly int _classCount;
    private readonly int _batchSize;
    private readonly float[] _batchFeatures;
    private readonly float[] _batchScores;
    private readonly IBatchScorer _scorer;

    private readonly DataViewRowId[] _batchIds;
    private readonly ValueGetter<DataViewRowId> _followerId;

    private DataViewRowCursor? _leader;
    private ValueGetter<VBuffer<float>>? _leaderFeatures;
    private SequenceRowReader? _leaderReader;
    private ValueGetter<DataViewRowId>? _leaderId;
    private VBuffer<float> _row;
    private int _nextBatchSize = FirstBatchSize;

    // Scores in _batchScores are for the rows at positions [_batchStart, _batchStart + _batchCount).
    private long _batchStart;
    private int _batchCount;
    private bool _disposed;

    public BatchScoringCursor(IHost host, DataViewSchema schema, IDataView input, IEnumerable<DataViewSchema.Column> passThrough,
        DataViewSchema.Column features, RecurrentModelParameters model, IReadOnlyList<int> scoredIndices,
        IEnumerable<DataViewSchema.Column> active, int batchSize = DefaultBatchSize)
    {
        _host = host;
        Schema = schema;
        _input = input;
        _features = features;
        _model = model;
        _fixedLength = model.Input.Kind == SequenceInputKind.FixedLength;
        _rowWidth = model.Input.MaxSteps * model.Input.ValuesPerStep;
        _lengths = new int[batchSize];
        _classCount = model.Spec.HeadWidth;
        // Each cursor has its own columns: their getters may keep scratch memory.
        ScoredColumn[] columns = model.Task.ScoredColumns(_classCount);
        _scored = scoredIndices.Select((index, i) => (index, columns[i])).ToDictionary(pair => pair.index, pair => pair.Item2);
        _batchSize = batchSize;
        _batchFeatures = new float[batchSize * _rowWidth];
        _batchScores = new float[batchSize * _classCount];
        _batchIds = new DataViewRowId[batchSize];
        _scorer = model.CreateScorer(batchSize);
        _active = new bool[schema.Count];
        foreach (var column in active)
        {
            _host.Check(column.Index < _active.Length && schema[column.Index].Name == column.Name, $"Column '{column.Name}' is not of the scored data's schema.");
            _active[column.Index] = true;
        }
        _follower = input.GetRowCursor(passThrough);
        _followerId = _follower.GetIdGetter();
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _follower.Position;

    public override long Batch => _follower.Batch;

    public override bool MoveNext() => _follower.MoveNext();

    public override ValueGetter<DataViewRowId> GetIdGetter() => _follower.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        _host.Check(column.Index >= 0 && column.Index < _active.Length && Schema[column.Index].Name == column.Name, $"Column '{column.Name}' is not of this cursor's schema.");
        return _active[column.Index];
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        _host.Check(IsColumnActive(column), $"Column '{column.Name}' is not active in this cursor.");
        if (column.Index < _input.Schema.Count)
            return _follower.GetGetter<TValue>(_input.Schema[column.Index]);
        ScoredColumn scored = _scored[column.Index];
        _host.Check(typeof(TValue) == scored.ValueType, $"Column '{column.Name}' holds {scored.ValueType.Name}, not {typeof(TValue).Name}.");
        return scored.Getter<TValue>(CurrentScores);
    }

    /// <summary>The current row's head outputs (class probabilities for a multiclass model), scoring the next batch first where the last one does not cover the row.</summary>
    private ReadOnlySpan<float> CurrentScores()
    {
        long position = Position;
        _host.Check(position >= 0, "The cursor is not on a row: call MoveNext first.");
        if (position < _batchStart || position >= _batchStart + _batchCount)
            ScoreBatchAt(position);
        int slot = (int)(position - _batchStart);
        DataViewRowId id = default;
        _followerId(ref id);
        if (!id.Equals(_batchIds[slot]))
            throw _host.Except($"The input gave the cursor reading '{_features.Name}' ahead a different row at position {position} than this cursor. Scoring in batches reads the input twice and needs the same rows both times, as an IDataView must give; read this input row by row (PredictionEngine, or Transform on a data view that is cached first).");
        return _batchScores.AsSpan(slot * _classCount, _classCount);
    }

    /// <summary>Reads the features of up to a batch of rows from <paramref name="position"/> on and scores them.</summary>
    private void ScoreBatchAt(long position)
    {
        // The follower only moves forward and the last batch ended before it, so the leader is behind or at the row.
        if (_leader is null || _leader.Position >= position)
        {
            DropLeader();
            _leader = _input.GetRowCursor(new[] { _features });
            if (_fixedLength)
                _leaderFeatures = _leader.GetGetter<VBuffer<float>>(_features);
            else
                _leaderReader = _model.Input.CreateReader(_leader, _features);
            _leaderId = _leader.GetIdGetter();
        }
        while (_leader.Position < position - 1)
        {
            _host.Check(_leader.MoveNext(), "The input ended early for the cursor that reads features ahead.");
        }

        _batchStart = position;
        _batchCount = 0;
        int count = 0, size = _nextBatchSize;
        _nextBatchSize = Math.Min(2 * _nextBatchSize, _batchSize);
        for (; count < size; count++)
        {
            try
            {
                if (!_leader.MoveNext())
                    break;
                ReadFeatures(count);
            }
            catch (Exception) when (count > 0)
            {
                // A later row failed: score the rows before it, and read it again (failing there) when this cursor gets to it.
                DropLeader();
                break;
            }
        }
        _host.Check(count > 0, "The input ended early for the cursor that reads features ahead.");
        if (_fixedLength)
            _model.Score(_batchFeatures, count, _batchScores, _scorer);
        else
            ScorePadded(count);
        _batchCount = count;
    }

    private void DropLeader()
    {
        _leader?.Dispose();
        _leader = null;
        _leaderFeatures = null;
        _leaderReader = null;
        _leaderId = null;
    }

    /// <summary>Packs the batch's rows, read at the longest possible width, to its own longest row's and scores them.</summary>
    private void ScorePadded(int count)
    {
        int steps = PaddedSteps.Longest(_lengths.AsSpan(0, count));
        int width = steps * _model.Input.ValuesPerStep;
        // Moving rows towards the start, never past one not yet moved.
        for (int i = 1; i < count; i++)
            Array.Copy(_batchFeatures, i * _rowWidth, _batchFeatures, i * width, width);
        _model.ScorePadded(_batchFeatures, count, _lengths, _batchScores, _scorer);
    }

    private void ReadFeatures(int slot)
    {
        _leaderId!(ref _batchIds[slot]);
        if (!_fixedLength)
        {
            float[] batch = _batchFeatures;
            _lengths[slot] = _model.ReadRow(_leaderReader!, ref batch, slot, _rowWidth, _features.Name, _leader!.Position);
            return;
        }
        _leaderFeatures!(ref _row);
        if (_row.Length != _rowWidth)
            throw _host.Except($"Expected a feature vector of {_rowWidth} values in column '{_features.Name}', got {_row.Length}.");
        _row.CopyTo(_batchFeatures.AsSpan(slot * _rowWidth, _rowWidth));
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
            return;
        if (disposing)
        {
            DropLeader();
            _follower.Dispose();
        }
        _disposed = true;
        base.Dispose(disposing);
    }
}
