using Microsoft.ML.Data;

namespace Microsoft.ML.Sru;

/// <summary>
/// A cursor over an <see cref="MnistDataView"/>, in file order or, given a <see cref="Random"/>, in a random
/// permutation. Row ids are the rows' indices in the file, whatever the order.
/// </summary>
internal sealed class MnistRowCursor : DataViewRowCursor
{
    private readonly MnistDataView _view;
    private readonly MnistDataset _dataset;
    private readonly bool[] _active;
    private readonly int[]? _order;
    private long _position = -1;
    private int _row = -1;
    private bool _done;

    public MnistRowCursor(MnistDataView view, bool[] active, Random? rand)
    {
        _view = view;
        _dataset = view.Dataset;
        _active = active;
        if (rand is not null)
        {
            _order = Enumerable.Range(0, _dataset.Count).ToArray();
            for (int i = _order.Length - 1; i > 0; i--)
            {
                int j = rand.Next(i + 1);
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
        }
    }

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_done)
            return false;
        if (_position + 1 >= _dataset.Count)
        {
            _done = true;
            _row = -1;
            return false;
        }
        _position++;
        _row = _order is null ? (int)_position : _order[_position];
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) =>
    {
        EnsureOnRow();
        value = new DataViewRowId((ulong)_row, 0);
    };

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        CheckColumn(column);
        return _active[column.Index];
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        CheckColumn(column);
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        Delegate getter = column.Index == 0 ? (ValueGetter<uint>)GetLabel : (ValueGetter<VBuffer<float>>)GetFeatures;
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' has type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    private void GetLabel(ref uint value)
    {
        EnsureOnRow();
        value = _dataset.LabelArray[_row];
    }

    private void GetFeatures(ref VBuffer<float> value)
    {
        EnsureOnRow();
        int size = _dataset.PixelsPerImage;
        var editor = VBufferEditor.Create(ref value, size);
        PixelScaling.ToUnitInterval(_dataset.PixelArray.AsSpan(_row * size, size), editor.Values);
        value = editor.Commit();
    }

    private void EnsureOnRow()
    {
        if (_row < 0)
            throw new InvalidOperationException("The cursor is not on a row: call MoveNext first, and only while it returns true.");
    }

    private void CheckColumn(DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= _view.Schema.Count || _view.Schema[column.Index].Name != column.Name)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' is not a column of this MNIST view.");
    }

    protected override void Dispose(bool disposing)
    {
        _done = true;
        _row = -1;
        base.Dispose(disposing);
    }
}
