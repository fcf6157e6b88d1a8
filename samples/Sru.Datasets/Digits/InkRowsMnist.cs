using Microsoft.ML;
using Microsoft.ML.Sru;

namespace Sru.Datasets.Digits;

/// <summary>
/// A real variable-length numeric sequence set: MNIST read row by row, each image cut to the rows from its first to
/// its last row holding any ink, so that a tall 1 and a flat 4 become sequences of different lengths (MNIST centres
/// each digit by its centre of mass, so the blank rows are padding of the source, not part of the digit).
/// </summary>
public static class InkRowsMnist
{
    /// <summary>Pixels (and values per step) in one image row.</summary>
    public const int RowWidth = 28;

    /// <summary>The images of <paramref name="split"/> with columns Label (UInt32) and Features (variable-size vector of Single).</summary>
    public static IDataView Load(MLContext ml, MnistSplit split, string? dataDirectory = null, Action<string>? log = null)
        => ml.Data.LoadFromEnumerable(Read(MnistDataset.Load(split, dataDirectory, log: log)));

    /// <summary>Each image cut to its ink rows, in the dataset's order.</summary>
    public static IReadOnlyList<InkRowsImage> Read(MnistDataset dataset)
    {
        var images = new InkRowsImage[dataset.Count];
        for (int i = 0; i < dataset.Count; i++)
            images[i] = new InkRowsImage { Label = dataset.GetLabel(i), Features = Crop(dataset.GetImage(i), dataset.Columns) };
        return images;
    }

    /// <summary>The rows from the first to the last with a non-zero pixel, scaled to [0, 1]; one blank row for a blank image.</summary>
    internal static float[] Crop(ReadOnlySpan<byte> image, int width)
    {
        int rows = image.Length / width, first = 0, last = rows - 1;
        while (first < rows && !HasInk(image.Slice(first * width, width)))
            first++;
        if (first == rows)
            return new float[width];
        while (!HasInk(image.Slice(last * width, width)))
            last--;
        var features = new float[(last - first + 1) * width];
        for (int i = 0; i < features.Length; i++)
            features[i] = image[first * width + i] / 255f;
        return features;
    }

    private static bool HasInk(ReadOnlySpan<byte> row) => row.ContainsAnyExcept((byte)0);
}
