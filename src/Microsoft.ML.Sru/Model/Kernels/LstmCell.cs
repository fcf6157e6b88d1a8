using System.Runtime.CompilerServices;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// nn.LSTM's gate math: i, f, o = σ(·), g = tanh(·) of x·W_ih^T + b_ih + h·W_hh^T + b_hh; c_t = f ⊙ c_{t−1} + i ⊙ g,
/// h_t = o ⊙ tanh(c_t). Saves the gates' activations and c_t; tanh(c_t) is recomputed in the backward. Inference writes only c_t and h_t.
/// </summary>
internal readonly unsafe struct LstmCell : IRecurrentCell
{
    public static int Gates => 4;

    public static bool HiddenProductApart => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V> => Step<V, FlagOn>(row, j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Infer<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V> => Step<V, FlagOff>(row, j);

    /// <summary>The forward's gate math, keeping the gates' activations for the backward where <typeparamref name="TSave"/> is on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<V, TSave>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V>
        where TSave : IKernelFlag
    {
        int w = row.Width;
        float* g = row.Gates + j, bi = row.InputBias + j, bh = row.HiddenBias + j;
        V i = VectorMath.Sigmoid(V.Load(g) + V.Load(bi) + V.Load(bh));
        V f = VectorMath.Sigmoid(V.Load(g + w) + V.Load(bi + w) + V.Load(bh + w));
        V cand = VectorMath.Tanh(V.Load(g + 2 * w) + V.Load(bi + 2 * w) + V.Load(bh + 2 * w));
        V o = VectorMath.Sigmoid(V.Load(g + 3 * w) + V.Load(bi + 3 * w) + V.Load(bh + 3 * w));
        V c = V.MultiplyAdd(f, V.Load(row.StatePrevious + j), i * cand);
        if (TSave.IsOn)
        {
            float* a = row.Activations + j;
            V.Store(i, a);
            V.Store(f, a + w);
            V.Store(cand, a + 2 * w);
            V.Store(o, a + 3 * w);
        }
        V.Store(c, row.State + j);
        V.Store(o * VectorMath.Tanh(c), row.Hidden + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Backward<V>(in RnnRowBackward row, int j)
        where V : unmanaged, IFloatVector<V>
    {
        int w = row.Width;
        float* g = row.Gates + j, d = row.InputGateGradient + j;
        V one = V.Create(1f);
        V i = V.Load(g), f = V.Load(g + w), cand = V.Load(g + 2 * w), o = V.Load(g + 3 * w);
        V dh = V.Load(row.OutputGradient + j) + V.Load(row.HiddenCarry + j);
        V tc = VectorMath.Tanh(V.Load(row.State + j));
        V dc = V.MultiplyAdd(dh * o, one - tc * tc, V.Load(row.StateCarry + j));
        V.Store(dc * cand * i * (one - i), d);
        V.Store(dc * V.Load(row.StatePrevious + j) * f * (one - f), d + w);
        V.Store(dc * i * (one - cand * cand), d + 2 * w);
        V.Store(dh * tc * o * (one - o), d + 3 * w);
        V.Store(dc * f, row.StateCarry + j);
    }
}
