using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The training rows copied once into flat arrays, so that every epoch can shuffle and batch them
/// without going back to the IDataView: each row's steps as <see cref="SequenceInput"/> reads them, one row after another.
/// Rows with a missing label (a NaN or infinite one for regression), non-finite features or no steps are skipped and
/// counted, never trained on. The task reads the label (<see cref="RecurrentTask"/>).
/// </summary>
internal sealed class TrainingSet
{
    private readonly long[]? _offsets;

    private TrainingSet(SequenceInput input, float[] values, long[]? offsets, float[] labels, int rowCount, int classCount)
    {
        Input = input;
        Values = values;
        _offsets = offsets;
        Labels = labels;
        RowCount = rowCount;
        ClassCount = classCount;
    }

    /// <summary>How the rows were read: their kind, the values a step, the vocabulary of tokens.</summary>
    public SequenceInput Input { get; }

    /// <summary>Every row's step values, row after row ([RowCount, FeatureCount] for fixed-length rows).</summary>
    public float[] Values { get; }

    /// <summary>The labels as the loss takes them: zero-based class indices, 0 or 1 (binary), the values (regression, standardized before training).</summary>
    public float[] Labels { get; }

    public int RowCount { get; }

    public int ClassCount { get; }

    /// <summary>Whether every row has <see cref="SequenceInput.MaxSteps"/> steps (a fixed-size vector column).</summary>
    public bool IsFixedLength => _offsets is null;

    /// <summary>Each row's start in <see cref="Values"/> and, last, the end: null for fixed-length rows.</summary>
    public ReadOnlySpan<long> Offsets => _offsets;

    public long SkippedMissingLabel { get; private set; }

    public long SkippedNonFiniteFeatures { get; private set; }

    public long SkippedEmpty { get; private set; }

    /// <summary>Rows longer than <see cref="SequenceInput.MaxSteps"/> whose first steps were cut.</summary>
    public long Truncated { get; private set; }

    /// <summary>Row <paramref name="row"/>'s length in steps.</summary>
    public int StepsOf(int row) => _offsets is null ? Input.MaxSteps : (int)((_offsets[row + 1] - _offsets[row]) / Input.ValuesPerStep);

    /// <summary>
    /// Reads the rows of <paramref name="data"/>; <paramref name="input"/> is what <see cref="SequenceInput.ForColumn"/>
    /// made of the feature column (a token input gets its vocabulary from these rows first). Throws
    /// <see cref="InvalidOperationException"/> naming the column and the row for a variable-length row that is not whole steps.
    /// </summary>
    public static TrainingSet Read(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input)
    {
        if (input.Kind == SequenceInputKind.Tokens && input.Vocabulary.Length == 0)
            input = input.WithVocabulary(CollectKeys(host, task, labelColumn, featureColumn, data, classCount));
        return ReadRows(host, task, labelColumn, featureColumn, data, classCount, input);
    }

    /// <summary>Checks the label column and returns the class count the network stores; throws <see cref="ArgumentOutOfRangeException"/> naming the column.</summary>
    public static int CheckLabel(RecurrentTask task, DataViewSchema.Column labelColumn, int maxClasses) => task.ClassCount(labelColumn, maxClasses);

    /// <summary>
    /// Checks that a validation set's columns have exactly the training columns' types (the same key count, the same
    /// vector length), throwing <see cref="ArgumentOutOfRangeException"/> naming the column otherwise. Rows are read later
    /// by <see cref="ReadValidation"/>.
    /// </summary>
    public static void CheckValidationColumns(DataViewSchema.Column trainingLabel, DataViewSchema.Column trainingFeatures,
        DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn)
    {
        // Key types are equal when their raw type and count are; vector types when their item type and sizes are.
        if (!labelColumn.Type.Equals(trainingLabel.Type))
            throw new ArgumentOutOfRangeException(labelColumn.Name,
                $"The validation set's label column '{labelColumn.Name}' is {labelColumn.Type}, but the training set's is {trainingLabel.Type}. " +
                "Map both with the same MapValueToKey transformer, fitted once, so that a key means the same class in both.");
        if (!featureColumn.Type.Equals(trainingFeatures.Type))
            throw new ArgumentOutOfRangeException(featureColumn.Name,
                $"The validation set's feature column '{featureColumn.Name}' is {featureColumn.Type}, but the training set's is {trainingFeatures.Type}.");
    }

    /// <summary>Reads a validation set whose columns <see cref="CheckValidationColumns"/> accepted, as <paramref name="training"/> was read (its vocabulary too).</summary>
    public static TrainingSet ReadValidation(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        TrainingSet training)
        => ReadRows(host, task, labelColumn, featureColumn, data, training.ClassCount, training.Input);

    /// <summary>Rescales every row in place (see <see cref="InputScaling"/>).</summary>
    public void Scale(InputScaling scaling) => scaling.Apply(Values);

    /// <summary>
    /// The rows <paramref name="rows"/> (indices into this set) as a batch: features [B, T·W] padded at the end with zeros to
    /// the longest row's T steps, and each row's length in steps (null when the rows are fixed-length, all T steps).
    /// </summary>
    public (float[] Features, int[]? Lengths, int Steps) Gather(ReadOnlySpan<int> rows)
    {
        int width = Input.ValuesPerStep;
        if (_offsets is null)
        {
            int featureCount = Input.MaxSteps * width;
            var fixedRows = new float[rows.Length * featureCount];
            for (int i = 0; i < rows.Length; i++)
                Array.Copy(Values, (long)rows[i] * featureCount, fixedRows, (long)i * featureCount, featureCount);
            return (fixedRows, null, Input.MaxSteps);
        }
        var lengths = new int[rows.Length];
        int steps = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            lengths[i] = StepsOf(rows[i]);
            steps = Math.Max(steps, lengths[i]);
        }
        long rowWidth = (long)steps * width;
        var features = new float[rows.Length * rowWidth];
        for (int i = 0; i < rows.Length; i++)
        {
            long start = _offsets[rows[i]];
            Array.Copy(Values, start, features, i * rowWidth, _offsets[rows[i] + 1] - start);
        }
        return (features, lengths, steps);
    }

    /// <summary>The labels of <paramref name="rows"/>, in their order.</summary>
    public float[] GatherLabels(ReadOnlySpan<int> rows)
    {
        var labels = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
            labels[i] = Labels[rows[i]];
        return labels;
    }

    /// <summary>The distinct keys of the rows that will be trained on (a valid label), for a token input's vocabulary.</summary>
    private static HashSet<ulong> CollectKeys(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount)
    {
        var keys = new HashSet<ulong>();
        SequenceInput input = SequenceInput.ForColumn(featureColumn, 1, null, 1);
        using var cursor = data.GetRowCursor(new[] { labelColumn, featureColumn });
        LabelReader readLabel = task.CreateLabelReader(cursor, labelColumn, classCount);
        Action<HashSet<ulong>> collect = input.CreateKeyCollector(cursor, featureColumn);
        while (cursor.MoveNext())
        {
            host.CheckAlive();
            if (!readLabel(out _))
                continue;
            collect(keys);
            // Checked as the set grows, so that a huge vocabulary fails before it fills memory; key 0 may be among them.
            if (keys.Count > SequenceInput.MaxVocabulary + 1)
                throw TooManyTokens(featureColumn);
        }
        keys.Remove(0);
        if (keys.Count > SequenceInput.MaxVocabulary)
            throw TooManyTokens(featureColumn);
        return keys;
    }

    private static InvalidOperationException TooManyTokens(DataViewSchema.Column featureColumn) => new(string.Create(CultureInfo.InvariantCulture,
        $"Feature column '{featureColumn.Name}' holds more than {SequenceInput.MaxVocabulary:N0} distinct tokens, more than a model embeds; keep the frequent ones, e.g. MapValueToKey(maximumNumberOfKeys: 100000)."));

    private static TrainingSet ReadRows(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input)
    {
        // The row count a view reports is a hint for sizing, never trusted for one large allocation.
        long? knownRows = data.GetRowCount();
        int capacity = knownRows is > 0 ? (int)Math.Min(knownRows.Value, 1 << 20) : 1024;
        int fixedCount = input.MaxSteps * input.ValuesPerStep;
        bool fixedLength = input.Kind == SequenceInputKind.FixedLength;
        var labels = new List<float>(capacity);
        var offsets = fixedLength ? null : new List<long>(capacity) { 0 };
        // Values are gathered in blocks so that an unknown row count never needs a resize of one huge array.
        var values = new BlockBuffer(Math.Clamp((long)capacity * fixedCount, 1 << 12, 1 << 24));
        long missing = 0, nonFinite = 0, empty = 0, truncated = 0;

        using (var cursor = data.GetRowCursor(new[] { labelColumn, featureColumn }))
        {
            LabelReader readLabel = task.CreateLabelReader(cursor, labelColumn, classCount);
            SequenceRowReader reader = input.CreateReader(cursor, featureColumn);
            while (cursor.MoveNext())
            {
                host.CheckAlive();
                if (!readLabel(out float label))
                {
                    missing++;
                    continue;
                }
                SequenceRowStatus status = reader.Read();
                if (fixedLength && reader.RowLength != fixedCount)
                    throw new InvalidOperationException(
                        $"Feature column '{featureColumn.Name}' is declared as {fixedCount} values, but row {cursor.Position} has {reader.RowLength}: the data view is inconsistent.");
                switch (status)
                {
                    case SequenceRowStatus.PartialStep:
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"Row {cursor.Position} of feature column '{featureColumn.Name}' has {reader.RowLength} values, not whole steps of StepSize = {input.ValuesPerStep}."));
                    case SequenceRowStatus.Empty:
                        empty++;
                        continue;
                    case SequenceRowStatus.NonFinite:
                        nonFinite++;
                        continue;
                }
                if (values.Count + reader.Values.Length > Array.MaxLength)
                    throw new InvalidOperationException(
                        string.Create(CultureInfo.InvariantCulture, $"The training data has more than {Array.MaxLength:N0} values in '{featureColumn.Name}' in its {labels.Count:N0} usable rows, more than one array can hold; train on a sample."));
                if (reader.Truncated)
                    truncated++;
                values.Add(reader.Values);
                labels.Add(label);
                offsets?.Add(values.Count);
            }
        }

        return new TrainingSet(input, values.ToArray(), offsets?.ToArray(), labels.ToArray(), labels.Count, classCount)
        {
            SkippedMissingLabel = missing,
            SkippedNonFiniteFeatures = nonFinite,
            SkippedEmpty = empty,
            Truncated = truncated,
        };
    }

    /// <summary>Floats appended in blocks, copied once into one array at the end.</summary>
    private sealed class BlockBuffer(long blockSize)
    {
        private readonly List<float[]> _full = new();
        private float[] _block = new float[blockSize];
        private int _inBlock;

        public long Count { get; private set; }

        public void Add(ReadOnlySpan<float> source)
        {
            while (!source.IsEmpty)
            {
                int take = Math.Min(source.Length, _block.Length - _inBlock);
                source[..take].CopyTo(_block.AsSpan(_inBlock));
                _inBlock += take;
                Count += take;
                source = source[take..];
                if (_inBlock == _block.Length)
                {
                    _full.Add(_block);
                    _block = new float[_block.Length];
                    _inBlock = 0;
                }
            }
        }

        public float[] ToArray()
        {
            var flat = new float[Count];
            long offset = 0;
            foreach (float[] full in _full)
            {
                full.CopyTo(flat, offset);
                offset += full.Length;
            }
            Array.Copy(_block, 0, flat, offset, _inBlock);
            return flat;
        }
    }
}
