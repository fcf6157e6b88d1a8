using Microsoft.ML.Data;

namespace Sru.MnistSample;

/// <summary>One MNIST row as the PredictionEngine sees it.</summary>
public sealed class MnistImage
{
    /// <summary>The digit.</summary>
    public uint Label { get; set; }

    /// <summary>28 × 28 pixels in [0, 1], row-major.</summary>
    [VectorType(784)]
    public float[] Features { get; set; } = Array.Empty<float>();
}

/// <summary>The model's answer for one image.</summary>
public sealed class MnistPrediction
{
    /// <summary>The predicted digit (the key mapped back to its value).</summary>
    public uint PredictedLabel { get; set; }

    /// <summary>One probability per digit.</summary>
    public float[] Score { get; set; } = Array.Empty<float>();
}
