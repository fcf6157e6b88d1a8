using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// The training rows copied once into flat arrays, so that every epoch can shuffle and batch them
/// without going back to the IDataView. Rows with a missing label or non-finite features are skipped
/// and counted, never trained on.
/// </summary>
internal sealed class TrainingSet
{
    private TrainingSet(float[] features, int[] labels, int rowCount, int featureCount, int classCount)
    {
        Features = features;
        Labels = labels;
        RowCount = rowCount;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Row-major [RowCount, FeatureCount].</summary>
    public float[] Features { get; }

    /// <summary>Zero-based class indices.</summary>
    public int[] Labels { get; }

    public int RowCount { get; }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public long SkippedMissingLabel { get; private set; }

    public long SkippedNonFiniteFeatures { get; private set; }

    /// <summary>
    /// Reads the label and feature columns; throws <see cref="ArgumentOutOfRangeException"/> with the column's name
    /// when their types do not fit, before any row is read.
    /// </summary>
    public static TrainingSet Read(IHost host, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int maxClasses, int sequenceLength)
    {
        if (labelColumn.Type is not KeyDataViewType { RawType: var rawType } keyType || rawType != typeof(uint))
            throw RecurrentTrainerBase.LabelNotKey(labelColumn.Name, labelColumn.Type);
        if (keyType.Count < 2 || keyType.Count > (ulong)maxClasses)
            throw new ArgumentOutOfRangeException(labelColumn.Name,
                $"Label column '{labelColumn.Name}' has {keyType.Count} classes; a classifier needs between 2 and {maxClasses}.");
        int classCount = (int)keyType.Count;
        if (featureColumn.Type is not VectorDataViewType { ItemType: NumberDataViewType number, IsKnownSize: true } vectorType || number != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(featureColumn.Name,
                $"Feature column '{featureColumn.Name}' must be a fixed-size vector of Single; it is {featureColumn.Type}.");
        int featureCount = vectorType.Size;
        if (featureCount % sequenceLength != 0)
            throw new ArgumentOutOfRangeException(featureColumn.Name,
                $"Feature column '{featureColumn.Name}' has {featureCount} values, which SequenceLength = {sequenceLength} does not divide into equal time steps.");

        // The row count a view reports is a hint for sizing, never trusted for one large allocation.
        long? knownRows = data.GetRowCount();
        int capacity = knownRows is > 0 ? (int)Math.Min(knownRows.Value, 1 << 20) : 1024;
        long maxRows = Array.MaxLength / featureCount;
        var features = new List<float[]>();
        var labels = new List<int>(capacity);
        // Rows are gathered in blocks so that an unknown row count never needs a resize of one huge array.
        int blockRows = Math.Clamp(capacity, 1, Math.Max(1, (1 << 24) / featureCount));
        var block = new float[blockRows * featureCount];
        int inBlock = 0;
        long missing = 0, nonFinite = 0;

        using (var cursor = data.GetRowCursor(new[] { labelColumn, featureColumn }))
        {
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
            uint label = 0;
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                host.CheckAlive();
                getLabel(ref label);
                if (label == 0 || label > classCount)
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
                labels.Add((int)label - 1);
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
