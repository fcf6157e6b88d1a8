using System.Globalization;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A regression label's mean and standard deviation over the training rows. The network trains on (y − mean) / std, so
/// that the defaults (initial weights, learning rate, clipping) work whatever the label's scale; when training ends the
/// two are folded into the head's weights, so the saved model predicts in the label's units with nothing stored beside
/// it, and every scoring path (managed, TorchSharp, ONNX) reads the same weights. Continued training unfolds them again
/// with the new data's figures.
/// </summary>
internal sealed record LabelStandardization(double Mean, double StandardDeviation)
{
    /// <summary>Fitted on the training labels; a label without spread keeps its scale (std 1).</summary>
    public static LabelStandardization Fit(ReadOnlySpan<float> labels)
    {
        double mean = 0;
        foreach (float label in labels)
            mean += label;
        mean /= Math.Max(1, labels.Length);
        double squares = 0;
        foreach (float label in labels)
            squares += (label - mean) * (label - mean);
        return FromSums(mean, squares, labels.Length);
    }

    /// <summary>
    /// From the labels' mean and their summed squared deviations from it (summed in the rows' order, as <see cref="Fit"/>
    /// does, for streamed rows).
    /// </summary>
    public static LabelStandardization FromSums(double mean, double squaredDeviations, long count)
    {
        double std = Math.Sqrt(squaredDeviations / Math.Max(1, count));
        return new LabelStandardization(mean, std > 1e-12 && double.IsFinite(std) ? std : 1);
    }

    /// <summary>Standardizes labels in place.</summary>
    public void Apply(Span<float> labels)
    {
        for (int i = 0; i < labels.Length; i++)
            labels[i] = Standardize(labels[i]);
    }

    /// <summary>One label standardized.</summary>
    public float Standardize(float label) => (float)((label - Mean) / StandardDeviation);

    /// <summary>Makes a network that predicts in the label's units predict standardized labels (continued training).</summary>
    public void ToStandardized(SequenceClassifier network) =>
        network.RescaleHead((float)(1 / StandardDeviation), (float)(-Mean / StandardDeviation));

    /// <summary>Makes a network trained on standardized labels predict in the label's units.</summary>
    public void ToLabelUnits(SequenceClassifier network) => network.RescaleHead((float)StandardDeviation, (float)Mean);

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "mean {0:G6}, standard deviation {1:G6}", Mean, StandardDeviation);
}
