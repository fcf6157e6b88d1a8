using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Microsoft.ML.Sru.Tests.Data;

/// <summary>Writes tiny IDX files for the tests: valid ones, and headers of any shape for the corrupt cases.</summary>
internal static class IdxTestFiles
{
    /// <summary>An IDX file: the magic number's type and dimension bytes, each size, then the data.</summary>
    public static byte[] Idx(byte type, IReadOnlyList<uint> sizes, ReadOnlySpan<byte> data, byte? dimensionCount = null)
    {
        var file = new byte[4 + 4 * sizes.Count + data.Length];
        file[2] = type;
        file[3] = dimensionCount ?? (byte)sizes.Count;
        for (int i = 0; i < sizes.Count; i++)
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(4 + 4 * i), sizes[i]);
        data.CopyTo(file.AsSpan(4 + 4 * sizes.Count));
        return file;
    }

    /// <summary>Pixels where image i, pixel p is (i * 31 + p * 7) mod 256: every value occurs, and each image differs.</summary>
    public static byte[] Pixels(int count, int rows, int columns)
    {
        var pixels = new byte[count * rows * columns];
        for (int i = 0; i < count; i++)
            for (int p = 0; p < rows * columns; p++)
                pixels[i * rows * columns + p] = (byte)((i * 31 + p * 7) % 256);
        return pixels;
    }

    public static byte[] Images(int count, int rows, int columns) =>
        Idx(0x08, new[] { (uint)count, (uint)rows, (uint)columns }, Pixels(count, rows, columns));

    public static byte[] Labels(params byte[] labels) => Idx(0x08, new[] { (uint)labels.Length }, labels);

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(content);
        return buffer.ToArray();
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}

/// <summary>A fresh directory under the temporary directory, deleted with everything in it at the end.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("sru-mnist-tests-").FullName;

    public string Path { get; }

    public string Write(string name, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
