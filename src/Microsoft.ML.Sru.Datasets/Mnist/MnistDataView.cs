using Microsoft.ML.Data;

namespace Microsoft.ML.Sru;

/// <summary>
/// An <see cref="IDataView"/> over an <see cref="MnistDataset"/>: <c>Label</c> (UInt32) and <c>Features</c> (a
/// known-size vector of Single, pixel / 255). Pixels stay bytes until a cursor's getter converts one row.
/// </summary>
internal sealed class MnistDataView : IDataView
{
    /// <summary>Name of the label column.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>Name of the features column.</summary>
    public const string FeaturesColumnName = "Features";

    public MnistDataView(MnistDataset dataset)
    {
        Dataset = dataset;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(LabelColumnName, NumberDataViewType.UInt32);
        builder.AddColumn(FeaturesColumnName, new VectorDataViewType(NumberDataViewType.Single, dataset.PixelsPerImage));
        Schema = builder.ToSchema();
    }

    /// <summary>The images behind this view, for code that can use the bytes directly.</summary>
    public MnistDataset Dataset { get; }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => true;

    public long? GetRowCount() => Dataset.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if (column.Index < 0 || column.Index >= Schema.Count || Schema[column.Index].Name != column.Name)
                throw new ArgumentOutOfRangeException(nameof(columnsNeeded), $"Column '{column.Name}' is not a column of this MNIST view.");
            active[column.Index] = true;
        }
        return new MnistRowCursor(this, active, rand);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
