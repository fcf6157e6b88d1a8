namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Sequences of unequal lengths held in two flat arrays, the values of every row one after another and each row's start
/// (no array per row): what a variable-size feature column is read into, and what padded batches are cut from.
/// </summary>
internal sealed class RaggedSequences
{
    private readonly float[] _values;
    private readonly long[] _offsets;

    /// <param name="values">Every row's values, row after row, each row whole steps of <paramref name="stepSize"/> values.</param>
    /// <param name="offsets">Where each row starts in <paramref name="values"/>, and after the last row its end: [rows + 1], non-decreasing.</param>
    /// <param name="stepSize">Values per time step.</param>
    public RaggedSequences(float[] values, long[] offsets, int stepSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != values.Length)
            throw new ArgumentException("The offsets must start at 0 and end at the values' length.", nameof(offsets));
        for (int row = 0; row < offsets.Length - 1; row++)
        {
            long length = offsets[row + 1] - offsets[row];
            if (length <= 0 || length % stepSize != 0)
                throw new ArgumentException($"Row {row} has {length} values, not a positive number of steps of {stepSize}.", nameof(offsets));
        }
        _values = values;
        _offsets = offsets;
        StepSize = stepSize;
    }

    public int RowCount => _offsets.Length - 1;

    public int StepSize { get; }

    /// <summary>Every row's values, row after row: for fitting and applying the input scaling in place.</summary>
    public float[] Values => _values;

    /// <summary>Row <paramref name="row"/>'s length in steps.</summary>
    public int StepsOf(int row) => (int)((_offsets[row + 1] - _offsets[row]) / StepSize);

    /// <summary>
    /// The rows <paramref name="rows"/> as a batch padded at the end with zeros to the longest: features [B, T·S] and
    /// each row's length in steps, what <see cref="Model.SequenceClassifier.Forward(TorchSharp.torch.Tensor, int[])"/> reads.
    /// </summary>
    public (float[] Features, int[] Lengths, int Steps) Gather(ReadOnlySpan<int> rows)
    {
        var lengths = new int[rows.Length];
        int steps = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            lengths[i] = StepsOf(rows[i]);
            steps = Math.Max(steps, lengths[i]);
        }
        long rowWidth = (long)steps * StepSize;
        var features = new float[rows.Length * rowWidth];
        for (int i = 0; i < rows.Length; i++)
        {
            long start = _offsets[rows[i]];
            Array.Copy(_values, start, features, i * rowWidth, _offsets[rows[i] + 1] - start);
        }
        return (features, lengths, steps);
    }
}
