using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The training rows copied once into flat arrays, so that every epoch can shuffle and batch them
/// without going back to the IDataView: each row's steps as <see cref="SequenceInput"/> reads them, one row after another.
/// Rows with a missing label (a NaN or infinite one for regression), non-finite features or no steps are skipped and
/// counted, never trained on (<see cref="TrainingRowCursor"/>). The task reads the label (<see cref="RecurrentTask"/>).
/// </summary>
internal sealed class TrainingSet : ITrainingData
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

    public bool IsStreamed => false;

    public SkippedRows Skipped { get; private init; } = new(0, 0, 0, 0);

    /// <summary>Row <paramref name="row"/>'s length in steps.</summary>
    public int StepsOf(int row) => _offsets is null ? Input.MaxSteps : (int)((_offsets[row + 1] - _offsets[row]) / Input.ValuesPerStep);

    /// <summary>
    /// Reads the rows of <paramref name="data"/>; <paramref name="input"/> is what <see cref="SequenceInput.ForColumn"/>
    /// made of the feature column (a token input gets its vocabulary from these rows first). Throws
    /// <see cref="InvalidOperationException"/> naming the column and the row for a variable-length row that is not whole steps.
    /// </summary>
    public static TrainingSet Read(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input)
        => ReadRows(host, task, labelColumn, featureColumn, data, classCount, WithVocabulary(host, task, labelColumn, featureColumn, data, classCount, input), long.MaxValue)!;

    /// <summary>
    /// Reads the rows as <see cref="Read"/> does, or returns null as soon as they hold more than <paramref name="maxValues"/>
    /// values (the caller streams them instead). <paramref name="input"/> must have its vocabulary (<see cref="WithVocabulary"/>).
    /// </summary>
    public static TrainingSet? ReadWithin(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input, long maxValues)
        => ReadRows(host, task, labelColumn, featureColumn, data, classCount, input, maxValues);

    /// <summary>A token input with the vocabulary of the rows that will be trained on; any other input as it is.</summary>
    public static SequenceInput WithVocabulary(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input)
        => input.Kind == SequenceInputKind.Tokens && input.Vocabulary.Length == 0
            ? input.WithVocabulary(CollectKeys(host, task, labelColumn, featureColumn, data, classCount))
            : input;

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
        => ReadRows(host, task, labelColumn, featureColumn, data, training.ClassCount, training.Input, long.MaxValue)!;

    public (InputScaling Scaling, LabelStandardization? Labels) FitStatistics(InputNormalization kind, int stepSize, bool standardizeLabels) =>
        (InputScaling.Fit(kind, Values, RowCount, stepSize), standardizeLabels ? LabelStandardization.Fit(Labels.AsSpan(0, RowCount)) : null);

    /// <summary>Rescales every row and label in place.</summary>
    public void Scale(InputScaling scaling, LabelStandardization? labels)
    {
        scaling.Apply(Values);
        labels?.Apply(Labels.AsSpan(0, RowCount));
    }

    public IEpochBatches OpenEpochs(int seed, int batchSize) => new EpochBatches(this, batchSize, seed);

    public IEnumerable<TrainingBatch> InOrder(int batchRows)
    {
        var arrays = new BatchArrays();
        for (int start = 0; start < RowCount; start += batchRows)
            yield return Gather(Enumerable.Range(start, Math.Min(batchRows, RowCount - start)).ToArray(), arrays);
    }

    public string ContentHash(bool classLabels)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Class labels as the Int32 indices they were held as before regression labels came: the same data, the same hash.
        if (classLabels)
            hash.AppendData(MemoryMarshal.AsBytes(Array.ConvertAll(Labels[..RowCount], label => (int)label).AsSpan()));
        else
            hash.AppendData(MemoryMarshal.AsBytes(Labels.AsSpan(0, RowCount)));
        hash.AppendData(MemoryMarshal.AsBytes(Values.AsSpan()));
        // Fixed-length rows hash as they did before rows of other lengths came.
        if (!IsFixedLength)
        {
            hash.AppendData(MemoryMarshal.AsBytes(Offsets));
            hash.AppendData(Input.ToBytes());
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// The rows <paramref name="rows"/> (indices into this set) as a batch: features [B, T·W] padded at the end with zeros to
    /// the longest row's T steps, and each row's length in steps (null when the rows are fixed-length, all T steps); its
    /// feature array from <paramref name="arrays"/> if given.
    /// </summary>
    public TrainingBatch Gather(ReadOnlySpan<int> rows, BatchArrays? arrays = null)
    {
        int width = Input.ValuesPerStep;
        if (_offsets is null)
        {
            int featureCount = Input.MaxSteps * width;
            float[] fixedRows = arrays?.Rent(rows.Length * featureCount) ?? new float[rows.Length * featureCount];
            for (int i = 0; i < rows.Length; i++)
                Array.Copy(Values, (long)rows[i] * featureCount, fixedRows, (long)i * featureCount, featureCount);
            return new TrainingBatch(fixedRows, null, Input.MaxSteps, GatherLabels(rows)) { Arrays = arrays };
        }
        var lengths = new int[rows.Length];
        int steps = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            lengths[i] = StepsOf(rows[i]);
            steps = Math.Max(steps, lengths[i]);
        }
        long rowWidth = (long)steps * width;
        float[] features = arrays?.Rent((int)(rows.Length * rowWidth)) ?? new float[rows.Length * rowWidth];
        // A reused array holds an earlier batch's values where this one pads.
        Array.Clear(features);
        for (int i = 0; i < rows.Length; i++)
        {
            long start = _offsets[rows[i]];
            Array.Copy(Values, start, features, i * rowWidth, _offsets[rows[i] + 1] - start);
        }
        return new TrainingBatch(features, lengths, steps, GatherLabels(rows)) { Arrays = arrays };
    }

    /// <summary>The labels of <paramref name="rows"/>, in their order.</summary>
    private float[] GatherLabels(ReadOnlySpan<int> rows)
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

    private static TrainingSet? ReadRows(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input, long maxValues)
    {
        // The row count a view reports is a hint for sizing: trusted for one allocation only as large as DataLoading.Auto
        // would hold in memory anyway.
        long? knownRows = data.GetRowCount();
        int capacity = knownRows is > 0 ? (int)Math.Min(knownRows.Value, 1 << 20) : 1024;
        int fixedCount = input.MaxSteps * input.ValuesPerStep;
        bool fixedLength = input.Kind == SequenceInputKind.FixedLength;
        var labels = new List<float>(capacity);
        var offsets = fixedLength ? null : new List<long>(capacity) { 0 };
        // Values are gathered in blocks so that an unknown row count never needs a resize of one huge array. Fixed-length
        // rows of a known count fill one block of their size, which becomes the set's array without a copy: a copy
        // would touch every page of a second array, and a fresh page's first touch is what reading costs most.
        long expected = fixedLength && knownRows is > 0 ? knownRows.Value * fixedCount : 0;
        const long blockValues = 1 << 24;
        long firstBlock = expected > 0 && expected <= Math.Min(maxValues, Defaults.InMemoryMaxValues)
            ? expected
            : Math.Clamp(Math.Min((long)capacity * fixedCount, maxValues), 1 << 12, blockValues);
        var values = new BlockBuffer(firstBlock, Math.Min(firstBlock, blockValues));

        using var rows = new TrainingRowCursor(host, task, labelColumn, featureColumn, data, classCount, input);
        while (rows.MoveNext())
        {
            if (values.Count + rows.Values.Length > maxValues)
                return null;
            if (values.Count + rows.Values.Length > Array.MaxLength)
                throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $"The training data has more than {Array.MaxLength:N0} values in '{featureColumn.Name}' in its {labels.Count:N0} usable rows, more than one array can hold; set DataLoading = Streaming."));
            values.Add(rows.Values);
            labels.Add(rows.Label);
            offsets?.Add(values.Count);
        }

        return new TrainingSet(input, values.ToArray(), offsets?.ToArray(), labels.ToArray(), labels.Count, classCount) { Skipped = rows.Skipped };
    }

    /// <summary>Floats appended in blocks (the first of <paramref name="firstBlock"/> values, the others of <paramref name="nextBlocks"/>), copied once into one array at the end unless the first block holds exactly all of them.</summary>
    private sealed class BlockBuffer(long firstBlock, long nextBlocks)
    {
        private readonly List<float[]> _full = new();
        private float[] _block = GC.AllocateUninitializedArray<float>((int)firstBlock);
        private int _inBlock;

        public long Count { get; private set; }

        public void Add(ReadOnlySpan<float> source)
        {
            while (!source.IsEmpty)
            {
                // A new block only when a value needs it, so that exactly filling the first one allocates nothing more.
                if (_inBlock == _block.Length)
                {
                    _full.Add(_block);
                    _block = GC.AllocateUninitializedArray<float>((int)nextBlocks);
                    _inBlock = 0;
                }
                int take = Math.Min(source.Length, _block.Length - _inBlock);
                source[..take].CopyTo(_block.AsSpan(_inBlock));
                _inBlock += take;
                Count += take;
                source = source[take..];
            }
        }

        public float[] ToArray()
        {
            if (_full.Count == 0 && _inBlock == _block.Length)
                return _block;
            var flat = GC.AllocateUninitializedArray<float>(checked((int)Count));
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
