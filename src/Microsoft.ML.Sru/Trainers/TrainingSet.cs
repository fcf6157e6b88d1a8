using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The training rows copied once into flat arrays, so that every epoch can shuffle and batch them
/// without going back to the IDataView. Rows with a missing label (a NaN or infinite one for regression) or non-finite
/// features are skipped and counted, never trained on. The task reads the label (<see cref="RecurrentTask"/>).
/// </summary>
internal sealed class TrainingSet
{
    private TrainingSet(float[] features, float[] labels, int rowCount, int featureCount, int classCount)
    {
        Features = features;
        Labels = labels;
        RowCount = rowCount;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Row-major [RowCount, FeatureCount].</summary>
    public float[] Features { get; }

    /// <summary>The labels as the loss takes them: zero-based class indices, 0 or 1 (binary), the values (regression, standardized before training).</summary>
    public float[] Labels { get; }

    public int RowCount { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public long SkippedMissingLabel { get; private set; }

    public long SkippedNonFiniteFeatures { get; private set; }

    /// <summary>
    /// Reads the label and feature columns; throws <see cref="ArgumentOutOfRangeException"/> with the column's name
    /// when their types do not fit, before any row is read.
    /// </summary>
    public static TrainingSet Read(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int maxClasses, int sequenceLength)
    {
        var (classCount, featureCount) = CheckColumns(task, labelColumn, featureColumn, maxClasses, sequenceLength);
        return ReadRows(host, task, labelColumn, featureColumn, data, classCount, featureCount);
    }

    /// <summary>
    /// Checks the training columns' types and returns the class count and the feature vector's length; throws
    /// <see cref="ArgumentOutOfRangeException"/> naming the column.
    /// </summary>
    public static (int ClassCount, int FeatureCount) CheckColumns(RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn,
        int maxClasses, int sequenceLength)
    {
        int classCount = task.ClassCount(labelColumn, maxClasses);
        if (featureColumn.Type is not VectorDataViewType { ItemType: NumberDataViewType number, IsKnownSize: true } vectorType || number != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(featureColumn.Name,
                $"Feature column '{featureColumn.Name}' must be a fixed-size vector of Single; it is {featureColumn.Type}.");
        if (vectorType.Size % sequenceLength != 0)
            throw new ArgumentOutOfRangeException(featureColumn.Name,
                $"Feature column '{featureColumn.Name}' has {vectorType.Size} values, which SequenceLength = {sequenceLength} does not divide into equal time steps.");
        return (classCount, vectorType.Size);
    }

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

    /// <summary>Reads a validation set whose columns <see cref="CheckValidationColumns"/> accepted, shaped like <paramref name="training"/>.</summary>
    public static TrainingSet ReadValidation(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        TrainingSet training)
        => ReadRows(host, task, labelColumn, featureColumn, data, training.ClassCount, training.FeatureCount);

    /// <summary>Rescales every row in place (see <see cref="InputScaling"/>).</summary>
    public void Scale(InputScaling scaling) => scaling.Apply(Features);

    /// <summary>Copies the rows of <paramref name="rows"/> (indices into this set) into arrays of the batch's exact size.</summary>
    public (float[] Features, float[] Labels) Gather(ReadOnlySpan<int> rows)
    {
        var features = new float[rows.Length * FeatureCount];
        var labels = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Copy(Features, (long)rows[i] * FeatureCount, features, (long)i * FeatureCount, FeatureCount);
            labels[i] = Labels[rows[i]];
        }
        return (features, labels);
    }

    private static TrainingSet ReadRows(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, int featureCount)
    {
        // The row count a view reports is a hint for sizing, never trusted for one large allocation.
        long? knownRows = data.GetRowCount();
        int capacity = knownRows is > 0 ? (int)Math.Min(knownRows.Value, 1 << 20) : 1024;
        long maxRows = Array.MaxLength / featureCount;
        var features = new List<float[]>();
        var labels = new List<float>(capacity);
        // Rows are gathered in blocks so that an unknown row count never needs a resize of one huge array.
        int blockRows = Math.Clamp(capacity, 1, Math.Max(1, (1 << 24) / featureCount));
        var block = new float[blockRows * featureCount];
        int inBlock = 0;
        long missing = 0, nonFinite = 0;

        using (var cursor = data.GetRowCursor(new[] { labelColumn, featureColumn }))
        {
            LabelReader readLabel = task.CreateLabelReader(cursor, labelColumn, classCount);
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                host.CheckAlive();
                if (!readLabel(out float label))
                {
                    missing++;
                    continue;
                }
                getFeatures(ref row);
                if (row.Length != featureCount)
                    throw new InvalidOperationException(
                        $"Feature column '{featureColumn.Name}' is declared as {featureCount} values, but row {cursor.Position} has {row.Length}: the data view is inconsistent.");
                if (labels.Count == maxRows)
                    throw new InvalidOperationException(
                        string.Create(CultureInfo.InvariantCulture, $"The training data has more than {maxRows:N0} usable rows of {featureCount} values in '{featureColumn.Name}', more than one array can hold; train on a sample."));
                Span<float> target = block.AsSpan(inBlock * featureCount, featureCount);
                row.CopyTo(target);
                if (!AllFinite(target))
                {
                    nonFinite++;
                    continue;
                }
                labels.Add(label);
                if (++inBlock == blockRows)
                {
                    features.Add(block);
                    block = new float[block.Length];
                    inBlock = 0;
                }
            }
        }

        int rowCount = labels.Count;
        var flat = new float[(long)rowCount * featureCount];
        long offset = 0;
        foreach (float[] full in features)
        {
            full.CopyTo(flat, offset);
            offset += full.Length;
        }
        Array.Copy(block, 0, flat, offset, inBlock * featureCount);
        return new TrainingSet(flat, labels.ToArray(), rowCount, featureCount, classCount)
        {
            SkippedMissingLabel = missing,
            SkippedNonFiniteFeatures = nonFinite,
        };
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
                return false;
        }
        return true;
    }
}
