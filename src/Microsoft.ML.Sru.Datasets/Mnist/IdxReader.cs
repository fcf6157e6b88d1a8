using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Microsoft.ML.Sru;

/// <summary>
/// Reads IDX files of unsigned bytes (the MNIST format), raw or gzip-compressed; gzip is recognised by its
/// magic bytes 1F 8B, never by the file's name. Every size in the header is checked before anything is
/// allocated for the data: the magic number, the number of dimensions, each size, a total of at most
/// <see cref="MaxDataBytes"/>, and that the file holds exactly the declared bytes. A gzip stream's length is
/// not known up front, so its data is read into a buffer that grows only as bytes actually arrive: a header
/// that claims more than the stream holds fails as truncated without the claimed amount ever being allocated.
/// Every failure is an <see cref="MnistDataException"/> naming the file and what is wrong.
/// </summary>
internal static class IdxReader
{
    /// <summary>The IDX element type of unsigned bytes, the third byte of the magic number.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>Magic number of an image file: unsigned bytes, three dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a label file: unsigned bytes, one dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest number of rows or columns an image may have.</summary>
    public const int MaxImageSide = 4096;

    /// <summary>Largest data section accepted: 1 GiB (MNIST's largest file holds 47,040,000 bytes).</summary>
    public const long MaxDataBytes = 1L << 30;

    private const int GzipInitialBufferFactor = 8;

    /// <summary>Reads an image file: magic 0x00000803, dimensions [count, rows, columns].</summary>
    public static IdxFile ReadImages(string path, CancellationToken cancellationToken = default) => Read(path, 3, cancellationToken);

    /// <summary>Reads a label file: magic 0x00000801, dimension [count].</summary>
    public static IdxFile ReadLabels(string path, CancellationToken cancellationToken = default) => Read(path, 1, cancellationToken);

    /// <summary>Reads an IDX file of unsigned bytes that must have <paramref name="expectedDimensions"/> dimensions (3: images, 1: labels).</summary>
    public static IdxFile Read(string path, int expectedDimensions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (expectedDimensions is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(expectedDimensions), expectedDimensions, "An MNIST file has 1 (labels) or 3 (images) dimensions.");
        path = System.IO.Path.GetFullPath(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        long fileLength = file.Length;
        if (fileLength == 0)
            throw Bad(path, "is empty.");

        Span<byte> signature = stackalloc byte[2];
        int signatureLength = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = signatureLength == 2 && signature[0] == 0x1F && signature[1] == 0x8B;
        if (!gzip)
            return Parse(path, file, fileLength, expectedDimensions, compressed: false, cancellationToken);

        using var decompressed = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return Parse(path, decompressed, fileLength, expectedDimensions, compressed: true, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"is a corrupt gzip stream: {e.Message}", e);
        }
    }

    private static IdxFile Parse(string path, Stream content, long fileLength, int expectedDimensions, bool compressed, CancellationToken cancellationToken)
    {
        string what = expectedDimensions == 3 ? "an image file" : "a label file";
        int expectedMagic = expectedDimensions == 3 ? ImagesMagic : LabelsMagic;

        var magic = new byte[4];
        int got = content.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw Bad(path, $"is truncated: it ends after {got} byte(s), inside the 4-byte IDX magic number.");
        if (magic[0] != 0 || magic[1] != 0)
            throw Bad(path, $"is not an IDX file: it starts with 0x{magic[0]:X2} 0x{magic[1]:X2}, where the magic number 0x{expectedMagic:X8} of {what} starts with two zero bytes.");
        if (magic[2] != UnsignedByteType)
            throw Bad(path, $"holds IDX element type 0x{magic[2]:X2}; only unsigned bytes (0x08) are supported, so the magic number must be 0x{expectedMagic:X8}.");
        if (magic[3] != expectedDimensions)
            throw Bad(path, $"has {magic[3]} dimension(s) (magic number 0x{BinaryPrimitives.ReadInt32BigEndian(magic):X8}), but {what} has {expectedDimensions} (magic number 0x{expectedMagic:X8}).");

        var sizes = new byte[4 * expectedDimensions];
        got = content.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (got < sizes.Length)
            throw Bad(path, $"is truncated: it ends inside the header, after {4 + got} of its {4 + sizes.Length} bytes.");

        var dimensions = new int[expectedDimensions];
        for (int i = 0; i < expectedDimensions; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(sizes.AsSpan(4 * i));
            if (size > int.MaxValue)
                throw Bad(path, $"declares an absurd size {size} for dimension {i}; refusing it.");
            dimensions[i] = (int)size;
        }
        long itemBytes = 1;
        if (expectedDimensions == 3)
        {
            int rows = dimensions[1], columns = dimensions[2];
            if (rows is < 1 or > MaxImageSide || columns is < 1 or > MaxImageSide)
                throw Bad(path, $"declares images of {rows} × {columns} pixels; rows and columns must each be between 1 and {MaxImageSide}.");
            itemBytes = (long)rows * columns;
        }
        long dataBytes = dimensions[0] * itemBytes;
        string declared = Describe(dimensions, dataBytes);
        if (dataBytes > MaxDataBytes)
            throw Bad(path, $"declares {declared}, more than the {MaxDataBytes >> 30} GiB this reader accepts; refusing it.");

        long headerBytes = 4 + sizes.Length;
        byte[] data;
        if (!compressed)
        {
            long available = fileLength - headerBytes;
            if (available < dataBytes)
                throw Bad(path, $"is truncated: its header declares {declared}, but the file holds only {available:N0} byte(s) after the header.");
            if (available > dataBytes)
                throw Bad(path, $"has {available - dataBytes:N0} byte(s) after the {declared} its header declares.");
            data = new byte[dataBytes];
            ReadExactly(content, data, cancellationToken);
        }
        else
        {
            data = ReadBounded(content, (int)dataBytes, fileLength, cancellationToken, out long received);
            if (received < dataBytes)
                throw Bad(path, $"is truncated: its header declares {declared}, but the gzip stream holds only {received:N0} byte(s) after the header.");
            if (content.ReadByte() >= 0)
                throw Bad(path, $"has data after the {declared} its header declares.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(magic);
        hash.AppendData(sizes);
        hash.AppendData(data);
        return new IdxFile(path, dimensions, data, Convert.ToHexStringLower(hash.GetHashAndReset()), compressed);
    }

    /// <summary>
    /// Reads up to <paramref name="declaredBytes"/> from a stream of unknown length into a buffer that starts at a
    /// size bounded by the compressed file's length and doubles only when it is full, never past the declared size.
    /// </summary>
    private static byte[] ReadBounded(Stream content, int declaredBytes, long compressedLength, CancellationToken cancellationToken, out long received)
    {
        int capacity = (int)Math.Min(declaredBytes, Math.Max(1 << 16, Math.Min(int.MaxValue, compressedLength * GzipInitialBufferFactor)));
        var buffer = new byte[capacity];
        int filled = 0;
        while (filled < declaredBytes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (filled == buffer.Length)
            {
                var larger = new byte[(int)Math.Min(declaredBytes, 2L * buffer.Length)];
                buffer.AsSpan(0, filled).CopyTo(larger);
                buffer = larger;
            }
            int read = content.Read(buffer, filled, Math.Min(buffer.Length - filled, 1 << 20));
            if (read == 0)
                break;
            filled += read;
        }
        received = filled;
        return buffer;
    }

    private static void ReadExactly(Stream content, byte[] data, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < data.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int read = content.Read(data, filled, Math.Min(data.Length - filled, 1 << 22));
            if (read == 0)
                throw new EndOfStreamException("The file became shorter while it was being read.");
            filled += read;
        }
    }

    private static string Describe(int[] dimensions, long dataBytes) => dimensions.Length == 3
        ? $"{dimensions[0]:N0} image(s) of {dimensions[1]} × {dimensions[2]} pixels ({dataBytes:N0} bytes)"
        : $"{dimensions[0]:N0} label(s) ({dataBytes:N0} bytes)";

    private static MnistDataException Bad(string path, string what) => new(path, $"MNIST file '{path}' {what}");

    private static MnistDataException Bad(string path, string what, Exception inner) => new(path, $"MNIST file '{path}' {what}", inner);
}
