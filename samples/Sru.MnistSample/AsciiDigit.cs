using System.Text;

namespace Sru.MnistSample;

/// <summary>Draws a 28 × 28 image in the terminal.</summary>
internal static class AsciiDigit
{
    private const string Shades = " .:-=+*#%@";

    public static string Render(ReadOnlySpan<float> pixels, int width = 28)
    {
        var text = new StringBuilder();
        for (int row = 0; row < pixels.Length / width; row++)
        {
            text.Append("    ");
            for (int column = 0; column < width; column++)
            {
                float value = Math.Clamp(pixels[row * width + column], 0f, 1f);
                text.Append(Shades[(int)(value * (Shades.Length - 1))]);
            }
            text.AppendLine();
        }
        return text.ToString();
    }
}
