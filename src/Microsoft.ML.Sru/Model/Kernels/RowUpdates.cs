using System.Numerics;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The managed scorers' matrix product on machines without the AVX-512 GEMM (<see cref="Sgemm512.IsSupported"/>):
/// each row of C built up as a sum of B's rows scaled by that row of A, skipping A's zeros (MNIST's pixels are mostly zero).
/// </summary>
internal static unsafe class RowUpdates
{
    /// <summary>
    /// C[m, n] = A[m, k]·B[k, n] (or C += A·B with <paramref name="accumulate"/>): A's rows <paramref name="aRowStride"/>
    /// apart, B's <paramref name="bRowStride"/>, C's <paramref name="cRowStride"/>, each row dense; C's columns past n are
    /// left as they were.
    /// </summary>
    public static void Multiply(float* a, long aRowStride, float* b, long bRowStride, float* c, long cRowStride, int m, int k, int n, bool accumulate = false)
    {
        for (int r = 0; r < m; r++)
        {
            var row = new Span<float>(c + r * cRowStride, n);
            if (!accumulate)
                row.Clear();
            float* aRow = a + r * aRowStride;
            for (int i = 0; i < k; i++)
            {
                float x = aRow[i];
                if (x != 0)
                    MultiplyAdd(x, new ReadOnlySpan<float>(b + i * bRowStride, n), row);
            }
        }
    }

    /// <summary>y += a·x.</summary>
    private static void MultiplyAdd(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int v = 0; v < vx.Length; v++)
                vy[v] = Vector.FusedMultiplyAdd(va, vx[v], vy[v]);
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
            y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }
}
