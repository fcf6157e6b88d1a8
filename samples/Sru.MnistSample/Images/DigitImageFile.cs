using SkiaSharp;
using Sru.MnistSample.Cli;

namespace Sru.MnistSample.Images;

/// <summary>Reads a 28×28 grey image (PNG or PGM) as the model's 784 features in [0, 1], row-major.</summary>
internal static class DigitImageFile
{
    public const int Side = 28;

    /// <summary>Above this mean brightness of the outermost pixels, the image is taken for dark ink on light paper.</summary>
    public const float LightBackground = 0.5f;

    /// <param name="path">The image file.</param>
    /// <param name="invert">
    /// True to invert (dark ink on light paper: MNIST has light ink, 1, on a dark background, 0), false to keep the
    /// pixels, null to invert when the border is brighter than <see cref="LightBackground"/>.
    /// </param>
    /// <exception cref="SampleException">Exit code 2, naming the file: missing, not PNG/PGM, or not 28×28.</exception>
    public static DigitImage Read(string path, bool? invert)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SampleException.Usage($"Image '{path}' cannot be read: {e.Message}");
        }

        (int width, int height, float[] pixels) = PgmImage.IsPgm(bytes) ? DecodePgm(path, bytes) : DecodePng(path, bytes);
        if (width != Side || height != Side)
            throw SampleException.Usage($"Image '{path}' is {width}×{height} pixels; the models read {Side}×{Side} images (resize it first).");
        float border = BorderBrightness(pixels);
        bool inverted = invert ?? border > LightBackground;
        if (inverted)
        {
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = 1f - pixels[i];
        }
        return new DigitImage(pixels, border, inverted && invert is null);
    }

    /// <summary>The mean of the outermost ring of pixels: the paper, in a centred digit.</summary>
    public static float BorderBrightness(float[] pixels)
    {
        float sum = 0;
        int count = 0;
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                if (y == 0 || y == Side - 1 || x == 0 || x == Side - 1)
                {
                    sum += pixels[y * Side + x];
                    count++;
                }
            }
        }
        return sum / count;
    }

    private static (int, int, float[]) DecodePgm(string path, byte[] bytes)
    {
        try
        {
            return PgmImage.Decode(bytes);
        }
        catch (FormatException e)
        {
            throw SampleException.Usage($"Image '{path}' is not a valid PGM file: {e.Message}.");
        }
    }

    private static (int, int, float[]) DecodePng(string path, byte[] bytes)
    {
        ReadOnlySpan<byte> pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(pngSignature))
            throw SampleException.Usage($"Image '{path}' is neither a PNG nor a PGM (P2/P5) file.");
        using SKBitmap? bitmap = SKBitmap.Decode(bytes);
        if (bitmap is null)
            throw SampleException.Usage($"Image '{path}' is a damaged PNG file: it could not be decoded.");
        var pixels = new float[bitmap.Width * bitmap.Height];
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                // Luma of the colour, composited on black (MNIST's background) by its alpha.
                float luma = (0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue) / 255f;
                pixels[y * bitmap.Width + x] = luma * c.Alpha / 255f;
            }
        }
        return (bitmap.Width, bitmap.Height, pixels);
    }
}
