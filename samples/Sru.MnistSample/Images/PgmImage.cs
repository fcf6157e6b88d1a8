using System.Globalization;

namespace Sru.MnistSample.Images;

/// <summary>
/// Netpbm grey maps: P2 (plain, decimal numbers) and P5 (raw, one or two bytes a pixel), with '#' comments in the
/// header. Pixels come out as maxval-scaled values in [0, 1], row-major.
/// </summary>
internal static class PgmImage
{
    /// <summary>Whether the bytes start like a PGM file.</summary>
    public static bool IsPgm(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == (byte)'P' && bytes[1] is (byte)'2' or (byte)'5';

    /// <exception cref="FormatException">The header or the pixel data is malformed; the message says where.</exception>
    public static (int Width, int Height, float[] Pixels) Decode(byte[] bytes)
    {
        if (!IsPgm(bytes))
            throw new FormatException("it does not start with the PGM magic number P2 or P5");
        bool plain = bytes[1] == (byte)'2';
        int position = 2;
        int width = HeaderNumber(bytes, ref position, "width");
        int height = HeaderNumber(bytes, ref position, "height");
        int maxValue = HeaderNumber(bytes, ref position, "maximum grey value");
        if (width <= 0 || height <= 0 || maxValue is <= 0 or > 65535)
            throw new FormatException($"its header says {width}×{height} pixels with maximum value {maxValue}");
        var pixels = new float[checked(width * height)];
        if (plain)
        {
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = Scale(HeaderNumber(bytes, ref position, $"pixel {i}"), maxValue, i);
            return (width, height, pixels);
        }
        // Exactly one whitespace byte separates the header from raw pixels.
        position++;
        int bytesPerPixel = maxValue < 256 ? 1 : 2;
        if (bytes.Length - position < pixels.Length * bytesPerPixel)
            throw new FormatException($"it has {Math.Max(0, bytes.Length - position)} bytes of pixel data where {width}×{height} pixels need {pixels.Length * bytesPerPixel}");
        for (int i = 0; i < pixels.Length; i++)
        {
            int value = bytesPerPixel == 1 ? bytes[position + i] : bytes[position + 2 * i] << 8 | bytes[position + 2 * i + 1];
            pixels[i] = Scale(value, maxValue, i);
        }
        return (width, height, pixels);
    }

    private static float Scale(int value, int maxValue, int index) => value <= maxValue
        ? (float)value / maxValue
        : throw new FormatException($"pixel {index} is {value}, above the maximum grey value {maxValue}");

    private static int HeaderNumber(byte[] bytes, ref int position, string what)
    {
        while (position < bytes.Length && (char.IsWhiteSpace((char)bytes[position]) || bytes[position] == (byte)'#'))
        {
            if (bytes[position] == (byte)'#')
            {
                while (position < bytes.Length && bytes[position] != (byte)'\n')
                    position++;
            }
            else
            {
                position++;
            }
        }
        int start = position;
        while (position < bytes.Length && bytes[position] is >= (byte)'0' and <= (byte)'9')
            position++;
        if (position == start
            || !int.TryParse(bytes.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"the {what} is missing or not a number (at byte {start})");
        }
        return value;
    }
}
