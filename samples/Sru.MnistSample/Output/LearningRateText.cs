using System.Globalization;

namespace Sru.MnistSample.Output;

/// <summary>A learning rate as people write it: 0.005, 0.00012, and 3.9e-10 at the very end of a cosine schedule (not 3.9E-10).</summary>
internal static class LearningRateText
{
    public static string Format(double rate) => rate switch
    {
        0 => "0",
        >= 1e-4 => rate.ToString("0.######", CultureInfo.InvariantCulture),
        _ => rate.ToString("0.0e0", CultureInfo.InvariantCulture),
    };
}
