using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A cursor over the rows a trainer can use: each <see cref="MoveNext"/> reads rows until one has a valid label (the task
/// says what is valid) and finite features of whole steps, and counts the ones it skips (<see cref="Skipped"/>). The one
/// place that decides which rows train, for data held in memory and data streamed alike. Throws
/// <see cref="InvalidOperationException"/> naming the column and the row for a row that is not whole steps.
/// </summary>
internal sealed class TrainingRowCursor : IDisposable
{
    private readonly IHost _host;
    private readonly DataViewRowCursor _cursor;
    private readonly LabelReader _readLabel;
    private readonly SequenceRowReader _reader;
    private readonly DataViewSchema.Column _featureColumn;
    private readonly SequenceInput _input;
    private readonly int _fixedCount;
    private long _missing, _nonFinite, _empty, _truncated;

    public TrainingRowCursor(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input)
    {
        _host = host;
        _featureColumn = featureColumn;
        _input = input;
        _fixedCount = input.Kind == SequenceInputKind.FixedLength ? input.MaxSteps * input.ValuesPerStep : -1;
        _cursor = data.GetRowCursor(new[] { labelColumn, featureColumn });
        _readLabel = task.CreateLabelReader(_cursor, labelColumn, classCount);
        _reader = input.CreateReader(_cursor, featureColumn);
    }

    /// <summary>The current row's label as the loss takes it (before any standardization).</summary>
    public float Label { get; private set; }

    /// <summary>The current row's kept steps' values; valid until the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<float> Values => _reader.Values;

    /// <summary>The current row's kept steps.</summary>
    public int Steps => _reader.Steps;

    /// <summary>Rows usable so far.</summary>
    public long Usable { get; private set; }

    public SkippedRows Skipped => new(_missing, _nonFinite, _empty, _truncated);

    /// <summary>Moves to the next usable row; false at the end of the data.</summary>
    public bool MoveNext()
    {
        while (_cursor.MoveNext())
        {
            _host.CheckAlive();
            if (!_readLabel(out float label))
            {
                _missing++;
                continue;
            }
            SequenceRowStatus status = _reader.Read();
            if (_fixedCount >= 0 && _reader.RowLength != _fixedCount)
                throw new InvalidOperationException(
                    $"Feature column '{_featureColumn.Name}' is declared as {_fixedCount} values, but row {_cursor.Position} has {_reader.RowLength}: the data view is inconsistent.");
            switch (status)
            {
                case SequenceRowStatus.PartialStep:
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"Row {_cursor.Position} of feature column '{_featureColumn.Name}' has {_reader.RowLength} values, not whole steps of StepSize = {_input.ValuesPerStep}."));
                case SequenceRowStatus.Empty:
                    _empty++;
                    continue;
                case SequenceRowStatus.NonFinite:
                    _nonFinite++;
                    continue;
            }
            if (_reader.Truncated)
                _truncated++;
            Label = label;
            Usable++;
            return true;
        }
        return false;
    }

    public void Dispose() => _cursor.Dispose();
}
