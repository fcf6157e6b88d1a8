using Microsoft.ML.Data;

namespace Sru.Datasets.Digits;

/// <summary>An MNIST digit cut to the pixel rows between its first and last row with ink: a variable number of 28-pixel steps.</summary>
public sealed class InkRowsImage
{
    public uint Label { get; set; }

    /// <summary>The kept rows' pixels in [0, 1], row by row; a variable-size vector (its length a multiple of 28).</summary>
    [VectorType]
    public float[] Features { get; set; } = [];
}
