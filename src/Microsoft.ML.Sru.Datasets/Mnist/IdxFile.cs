using System.Buffers.Binary;

namespace Microsoft.ML.Sru;

/// <summary>
/// The content of one IDX file of unsigned bytes, as <see cref="IdxReader"/> read it: its dimensions, its
/// items as one array, and the SHA-256 of the whole decompressed file (header included), which is what
/// <see cref="MnistChecksums"/> pins.
/// </summary>
internal sealed class IdxFile
{
    public IdxFile(string path, int[] dimensions, byte[] data, string sha256, bool wasCompressed)
    {
        Path = path;
        Dimensions = dimensions;
        Data = data;
        Sha256 = sha256;
        WasCompressed = wasCompressed;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>Dimension sizes: [count] for labels, [count, rows, columns] for images.</summary>
    public int[] Dimensions { get; }

    /// <summary>Number of items: the first dimension.</summary>
    public int ItemCount => Dimensions[0];

    /// <summary>The items, row-major, without the header.</summary>
    public byte[] Data { get; }

    /// <summary>Lower-case hex SHA-256 of the decompressed file: header and data.</summary>
    public string Sha256 { get; }

    /// <summary>Whether the file was gzip-compressed.</summary>
    public bool WasCompressed { get; }

    /// <summary>The same content, as found at another path (where it was moved to).</summary>
    public IdxFile WithPath(string path) => new(path, Dimensions, Data, Sha256, wasCompressed: false);

    /// <summary>The IDX header for these dimensions: magic number (unsigned bytes, dimension count), then each size.</summary>
    public static byte[] Header(IReadOnlyList<int> dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Count];
        header[2] = IdxReader.UnsignedByteType;
        header[3] = (byte)dimensions.Count;
        for (int i = 0; i < dimensions.Count; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        return header;
    }

    /// <summary>Writes the file decompressed: header, then data. Its SHA-256 is <see cref="Sha256"/>.</summary>
    public void WriteDecompressed(Stream destination)
    {
        destination.Write(Header(Dimensions));
        destination.Write(Data);
    }
}
