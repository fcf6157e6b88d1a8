using System.Runtime.Intrinsics;
using Microsoft.ML.Sru.Model.Kernels;

namespace Microsoft.ML.Sru.Tests.Kernels;

[TestClass]
public sealed class VectorMathTests
{
    private static IEnumerable<float> Arguments()
    {
        foreach (float x in new[] { 0f, 1e-30f, 1e-7f, 1e-4f, 0.01f, 0.3465f, 0.3466f, 0.5f, 1f, 2.5f, 8f, 9.01f, 15f, 20f, 43.4f, 44f, 87f, 88f, 89f, 100f, 1e10f, float.MaxValue })
        {
            yield return x;
            yield return -x;
        }
        var random = new Random(1);
        for (int i = 0; i < 4000; i++)
            yield return (float)((random.NextDouble() * 2 - 1) * 30);
    }

    private static unsafe void Check<V>()
        where V : unmanaged, IFloatVector<V>
    {
        float[] xs = Arguments().ToArray();
        int lanes = V.Count;
        float* input = stackalloc float[lanes], sigmoid = stackalloc float[lanes], tanh = stackalloc float[lanes];
        for (int start = 0; start < xs.Length; start += lanes)
        {
            for (int i = 0; i < lanes; i++)
                input[i] = xs[Math.Min(start + i, xs.Length - 1)];
            V x = V.Load(input);
            V.Store(VectorMath.Sigmoid(x), sigmoid);
            V.Store(VectorMath.Tanh(x), tanh);
            for (int i = 0; i < lanes; i++)
            {
                double a = input[i];
                double expectedSigmoid = 1 / (1 + Math.Exp(-a)), expectedTanh = Math.Tanh(a);
                // Relative where the value is a normal float; sigmoid's far negative tail underflows.
                Assert.IsLessThanOrEqualTo(1e-6 * Math.Abs(expectedSigmoid) + 1e-37, Math.Abs(sigmoid[i] - expectedSigmoid), $"sigmoid({a:R}) = {sigmoid[i]:R}, width {lanes}");
                Assert.IsLessThanOrEqualTo(1e-6 * Math.Abs(expectedTanh) + 1e-37, Math.Abs(tanh[i] - expectedTanh), $"tanh({a:R}) = {tanh[i]:R}, width {lanes}");
            }
        }
    }

    [TestMethod]
    public void Sigmoid_and_tanh_are_accurate_to_a_millionth_relative_at_every_vector_width()
    {
        Check<FloatVector128>();
        Check<FloatVector256>();
        Check<FloatVector512>();
    }

    private static unsafe void CheckNaN<V>()
        where V : unmanaged, IFloatVector<V>
    {
        int lanes = V.Count;
        float* value = stackalloc float[lanes], result = stackalloc float[lanes];
        for (int i = 0; i < lanes; i++)
            value[i] = i % 2 == 0 ? float.NaN : i;
        foreach (var f in new Func<V, V>[] { VectorMath.Sigmoid, VectorMath.Tanh, VectorMath.Exp })
        {
            V.Store(f(V.Load(value)), result);
            for (int i = 0; i < lanes; i++)
                Assert.AreEqual(i % 2 == 0, float.IsNaN(result[i]), $"lane {i} of {lanes}: {result[i]}");
        }
    }

    [TestMethod]
    public void NaN_propagates_at_every_vector_width()
    {
        CheckNaN<FloatVector128>();
        CheckNaN<FloatVector256>();
        CheckNaN<FloatVector512>();
    }

    [TestMethod]
    public void The_kernel_uses_the_widest_accelerated_vectors()
    {
        int expected = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;
        Assert.AreEqual(expected, SruKernel.Lanes);
    }
}
