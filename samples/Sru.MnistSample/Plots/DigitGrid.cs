using SkiaSharp;

namespace Sru.MnistSample.Plots;

/// <summary>Images drawn side by side under a heading that explains them, each with a caption under it (such as "7 → 1" for a misclassified digit).</summary>
internal static class DigitGrid
{
    private const int Scale = 3;
    private const int Side = 28 * Scale;
    private const int CaptionHeight = 18;
    private const int Gap = 6;
    private const int HeadingHeight = 28;

    /// <summary>Writes up to <paramref name="maxImages"/> images, <paramref name="columns"/> per row, as a PNG file.</summary>
    public static string Save(IReadOnlyList<(float[] Pixels, string Caption)> images, string heading, string path, int columns = 10, int maxImages = 100)
    {
        var shown = images.Take(maxImages).ToList();
        int rows = Math.Max(1, (shown.Count + columns - 1) / columns);
        int width = columns * (Side + Gap) + Gap;
        int height = HeadingHeight + rows * (Side + CaptionHeight + Gap) + Gap;
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var font = new SKFont(SKTypeface.Default, 14);
            using var ink = new SKPaint { Color = SKColors.DarkRed, IsAntialias = true };
            using var pixelPaint = new SKPaint();
            using var headingFont = new SKFont(SKTypeface.Default, 16);
            using var headingInk = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(heading, Gap, HeadingHeight - 8, SKTextAlign.Left, headingFont, headingInk);
            for (int i = 0; i < shown.Count; i++)
            {
                int left = Gap + i % columns * (Side + Gap);
                int top = HeadingHeight + Gap + i / columns * (Side + CaptionHeight + Gap);
                DrawDigit(canvas, pixelPaint, shown[i].Pixels, left, top);
                canvas.DrawText(shown[i].Caption, left + Side / 2f, top + Side + CaptionHeight - 4, SKTextAlign.Center, font, ink);
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
        return path;
    }

    // MNIST stores ink as 1 and paper as 0; drawn dark on light so it reads like the handwriting it was.
    private static void DrawDigit(SKCanvas canvas, SKPaint paint, float[] pixels, int left, int top)
    {
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                byte shade = (byte)(255 - Math.Clamp(pixels[y * 28 + x], 0f, 1f) * 255);
                paint.Color = new SKColor(shade, shade, shade);
                canvas.DrawRect(left + x * Scale, top + y * Scale, Scale, Scale, paint);
            }
        }
    }
}
