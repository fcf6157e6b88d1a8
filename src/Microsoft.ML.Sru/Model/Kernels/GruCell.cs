using System.Runtime.CompilerServices;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// nn.GRU's gate math: r, z = σ(x·W_i^T + b_i + h·W_h^T + b_h), n = tanh(x·W_in^T + b_in + r ⊙ (h·W_hn^T + b_hn)),
/// h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}. Saves h·W_hn^T + b_hn, which the gradient of r needs. Inference writes only h_t.
/// </summary>
internal readonly unsafe struct GruCell : IRecurrentCell
{
    public static int Gates => 3;

    public static bool HiddenProductApart => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V> => Step<V, FlagOn>(row, j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Infer<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V> => Step<V, FlagOff>(row, j);

    /// <summary>The forward's gate math, keeping what the backward reads where <typeparamref name="TSave"/> is on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<V, TSave>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V>
        where TSave : IKernelFlag
    {
        int w = row.Width;
        float* g = row.Gates + j, p = row.HiddenProduct + j, bi = row.InputBias + j, bh = row.HiddenBias + j;
        V r = VectorMath.Sigmoid(V.Load(g) + V.Load(bi) + V.Load(p) + V.Load(bh));
        V z = VectorMath.Sigmoid(V.Load(g + w) + V.Load(bi + w) + V.Load(p + w) + V.Load(bh + w));
        V hiddenNew = V.Load(p + 2 * w) + V.Load(bh + 2 * w);
        V n = VectorMath.Tanh(V.MultiplyAdd(r, hiddenNew, V.Load(g + 2 * w) + V.Load(bi + 2 * w)));
        if (TSave.IsOn)
        {
            float* a = row.Activations + j;
            V.Store(r, a);
            V.Store(z, a + w);
            V.Store(n, a + 2 * w);
            V.Store(hiddenNew, row.State + j);
        }
        V.Store(V.MultiplyAdd(z, V.Load(row.HiddenPrevious + j) - n, n), row.Hidden + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Backward<V>(in RnnRowBackward row, int j)
        where V : unmanaged, IFloatVector<V>
    {
        int w = row.Width;
        float* g = row.Gates + j, dx = row.InputGateGradient + j, dhid = row.HiddenGateGradient + j;
        V one = V.Create(1f);
        V r = V.Load(g), z = V.Load(g + w), n = V.Load(g + 2 * w);
        V dh = V.Load(row.OutputGradient + j) + V.Load(row.HiddenCarry + j);
        V dn = dh * (one - z) * (one - n * n);
        V dr = dn * V.Load(row.State + j) * r * (one - r);
        V dz = dh * (V.Load(row.HiddenPrevious + j) - n) * z * (one - z);
        V.Store(dr, dx);
        V.Store(dz, dx + w);
        V.Store(dn, dx + 2 * w);
        V.Store(dr, dhid);
        V.Store(dz, dhid + w);
        V.Store(dn * r, dhid + 2 * w);
        V.Store(dh * z, row.HiddenCarry + j);
    }
}
