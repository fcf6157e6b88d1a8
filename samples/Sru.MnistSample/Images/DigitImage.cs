namespace Sru.MnistSample.Images;

/// <summary>An image read for the model: its 784 features, and whether it was inverted because its background looked light.</summary>
/// <param name="Pixels">28 × 28 values in [0, 1], row-major, light ink on dark as in MNIST.</param>
/// <param name="BorderBrightness">The mean of the file's outermost pixels before any inversion (0 dark, 1 white).</param>
/// <param name="InvertedByDetection">True when it was inverted because <paramref name="BorderBrightness"/> was high, not because the user asked.</param>
internal sealed record DigitImage(float[] Pixels, float BorderBrightness, bool InvertedByDetection);
