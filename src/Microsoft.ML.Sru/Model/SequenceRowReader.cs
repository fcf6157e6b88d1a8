namespace Microsoft.ML.Sru.Model;

/// <summary>What <see cref="SequenceRowReader.Read"/> found in a row.</summary>
internal enum SequenceRowStatus
{
    /// <summary>The row's steps are in <see cref="SequenceRowReader.Values"/>.</summary>
    Read,

    /// <summary>The row has no values: no step to read.</summary>
    Empty,

    /// <summary>A value is NaN or infinite.</summary>
    NonFinite,

    /// <summary>The row's values are not whole steps (a variable-length row whose length the step size does not divide).</summary>
    PartialStep,
}

/// <summary>
/// Reads the feature column of a cursor's current row into step values as a <see cref="SequenceInput"/> says: Single
/// values as they are, tokens as embedding rows, the last <see cref="SequenceInput.MaxSteps"/> steps of a longer row.
/// One caller at a time; <see cref="Values"/> is valid until the next read.
/// </summary>
internal sealed class SequenceRowReader
{
    private readonly SequenceInput _input;
    private readonly SequenceInput.RowFiller _fill;
    private float[] _scratch = new float[256];
    private int _start;

    internal SequenceRowReader(SequenceInput input, SequenceInput.RowFiller fill)
    {
        _input = input;
        _fill = fill;
    }

    /// <summary>Values in the row as the column holds it, before any step was dropped.</summary>
    public int RowLength { get; private set; }

    /// <summary>Steps kept from the row.</summary>
    public int Steps { get; private set; }

    /// <summary>Whether the row had more than <see cref="SequenceInput.MaxSteps"/> steps and lost its first ones.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The kept steps' values, <see cref="Steps"/> × <see cref="SequenceInput.ValuesPerStep"/>.</summary>
    public ReadOnlySpan<float> Values => _scratch.AsSpan(_start, Steps * _input.ValuesPerStep);

    public SequenceRowStatus Read()
    {
        RowLength = _fill(ref _scratch);
        Steps = 0;
        Truncated = false;
        int width = _input.ValuesPerStep;
        if (RowLength == 0)
            return SequenceRowStatus.Empty;
        if (RowLength % width != 0)
            return SequenceRowStatus.PartialStep;
        int steps = RowLength / width;
        Truncated = steps > _input.MaxSteps;
        Steps = Math.Min(steps, _input.MaxSteps);
        _start = (steps - Steps) * width;
        foreach (float v in Values)
        {
            if (!float.IsFinite(v))
                return SequenceRowStatus.NonFinite;
        }
        return SequenceRowStatus.Read;
    }
}
