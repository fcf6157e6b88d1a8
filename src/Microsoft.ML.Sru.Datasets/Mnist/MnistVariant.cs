namespace Microsoft.ML.Sru;

/// <summary>Which data set in the MNIST file format to load: both have 28 × 28 grey images in ten classes.</summary>
public enum MnistVariant
{
    /// <summary>The handwritten digits 0–9 (LeCun, Cortes and Burges).</summary>
    Digits,

    /// <summary>
    /// Zalando's Fashion-MNIST: ten kinds of clothing, named by <see cref="MnistDataset.FashionClassNames"/>.
    /// </summary>
    Fashion,
}
