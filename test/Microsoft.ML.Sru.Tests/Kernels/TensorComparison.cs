using System.Globalization;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

/// <summary>Element-wise closeness of two float tensors, as numpy's allclose: |actual − expected| ≤ atol + rtol·|expected|.</summary>
internal static class TensorComparison
{
    public const double Tolerance = 1e-5;

    /// <summary>Null when the tensors agree; otherwise which elements differ and the worst of them.</summary>
    public static string? Mismatch(string name, Tensor expected, Tensor actual, double atol = Tolerance, double rtol = Tolerance)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            return $"{name}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]";

        float[] e = Values(expected), a = Values(actual);
        int bad = 0, worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - e[i]);
            double allowed = atol + rtol * Math.Abs(e[i]);
            if (diff <= allowed)
                continue;
            bad++;
            // NaN compares false above and ranks worst here.
            double ratio = double.IsNaN(diff) ? double.PositiveInfinity : diff / allowed;
            if (worst < 0 || ratio > worstRatio)
            {
                worst = i;
                worstRatio = ratio;
            }
        }

        if (bad == 0)
            return null;
        return string.Format(CultureInfo.InvariantCulture,
            "{0}: {1} of {2} elements differ; worst at flat index {3}: expected {4:R}, got {5:R} (|diff| {6:E2} > {7:E2})",
            name, bad, e.Length, worst, e[worst], a[worst], Math.Abs((double)a[worst] - e[worst]), atol + rtol * Math.Abs(e[worst]));
    }

    public static void AssertClose(string name, Tensor expected, Tensor actual)
    {
        if (Mismatch(name, expected, actual) is { } message)
            Assert.Fail(message);
    }

    private static float[] Values(Tensor tensor)
    {
        using Tensor flat = tensor.detach().to_type(ScalarType.Float32).contiguous();
        return flat.data<float>().ToArray();
    }
}
