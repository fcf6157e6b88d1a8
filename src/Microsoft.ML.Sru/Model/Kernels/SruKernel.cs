using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>Where the highway's skip input comes from.</summary>
internal enum SruSkip
{
    /// <summary>No highway: h = r⊙tanh(c).</summary>
    None,

    /// <summary>The fourth block of U (x' = X·W_x'), read in place.</summary>
    UBlock,

    /// <summary>A separate [T, B, H] tensor (the layer input when its size equals the hidden size).</summary>
    External,
}

/// <summary>
/// The SRU recurrence over raw CPU memory, fused into one pass over time for the forward and one
/// reverse pass for the backward, vectorised across the hidden units:
///   f_t = σ(u_f + b_f), r_t = σ(u_r + b_r), c_t = f_t⊙c_{t−1} + (1−f_t)⊙z_t (c_{−1} = 0),
///   h_t = r_t⊙tanh(c_t) + (1−r_t)⊙s_t (highway) or r_t⊙tanh(c_t).
/// Layouts are contiguous and time-major: u [T, B, k, H] with blocks z, f, r (, x'), bias [2H] = [b_f | b_r],
/// skip, h, c [T, B, H]. The backward needs only c from the forward: it recomputes the gates and tanh c
/// (the kernel is compute-light either way) rather than keeping three more [T, B, H] arrays alive.
/// </summary>
internal static unsafe class SruKernel
{
    /// <summary>Width of the widest vector type used: the tail buffers hold this many floats each.</summary>
    private const int MaxLanes = 16;

    /// <summary>
    /// Computes h. With <paramref name="states"/> non-null, c for every step is stored there for the
    /// backward; with null (inference), only a [B, H] running state is kept.
    /// </summary>
    public static void Forward(
        float* u, float* bias, float* externalSkip, SruSkip skip, float* h, float* states,
        int steps, int batch, int blocks, int hidden)
    {
        if (Vector512.IsHardwareAccelerated)
            Forward<FloatVector512>(u, bias, externalSkip, skip, h, states, steps, batch, blocks, hidden);
        else if (Vector256.IsHardwareAccelerated)
            Forward<FloatVector256>(u, bias, externalSkip, skip, h, states, steps, batch, blocks, hidden);
        else
            Forward<FloatVector128>(u, bias, externalSkip, skip, h, states, steps, batch, blocks, hidden);
    }

    /// <summary>
    /// Gradients from dL/dh: dL/du for all k blocks (x' gets dL/ds when <paramref name="skip"/> is
    /// <see cref="SruSkip.UBlock"/>, zero otherwise), dL/dbias summed over T and B, and dL/ds into
    /// <paramref name="gradSkip"/> when the skip is <see cref="SruSkip.External"/>.
    /// </summary>
    public static void Backward(
        float* u, float* bias, float* externalSkip, SruSkip skip, float* states, float* gradH,
        float* gradU, float* gradBias, float* gradSkip, int steps, int batch, int blocks, int hidden)
    {
        if (Vector512.IsHardwareAccelerated)
            Backward<FloatVector512>(u, bias, externalSkip, skip, states, gradH, gradU, gradBias, gradSkip, steps, batch, blocks, hidden);
        else if (Vector256.IsHardwareAccelerated)
            Backward<FloatVector256>(u, bias, externalSkip, skip, states, gradH, gradU, gradBias, gradSkip, steps, batch, blocks, hidden);
        else
            Backward<FloatVector128>(u, bias, externalSkip, skip, states, gradH, gradU, gradBias, gradSkip, steps, batch, blocks, hidden);
    }

    /// <summary>The vector width the dispatch above picks on this machine, for reports.</summary>
    public static int Lanes =>
        Vector512.IsHardwareAccelerated ? FloatVector512.Count : Vector256.IsHardwareAccelerated ? FloatVector256.Count : FloatVector128.Count;

    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward<V>(
        float* u, float* bias, float* externalSkip, SruSkip skip, float* h, float* states,
        int steps, int batch, int blocks, int hidden)
        where V : unmanaged, IFloatVector<V>
    {
        float* tail = stackalloc float[9 * MaxLanes];
        float* zeros = (float*)NativeMemory.AllocZeroed((nuint)hidden, sizeof(float));
        float* running = states == null ? (float*)NativeMemory.AllocZeroed((nuint)batch * (nuint)hidden, sizeof(float)) : null;
        try
        {
            long plane = (long)batch * hidden;
            long uRow = (long)blocks * hidden;
            for (int t = 0; t < steps; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    long row = (long)t * batch + b;
                    float* ur = u + row * uRow;
                    float* s = skip switch
                    {
                        SruSkip.UBlock => ur + 3 * hidden,
                        SruSkip.External => externalSkip + row * hidden,
                        _ => null,
                    };
                    float* cOut, cPrev;
                    if (states != null)
                    {
                        cOut = states + row * hidden;
                        cPrev = t == 0 ? zeros : cOut - plane;
                    }
                    else
                    {
                        // In place: each element reads its c_{t−1} before writing c_t.
                        cOut = cPrev = running + (long)b * hidden;
                    }
                    ForwardRow<V>(ur, ur + hidden, ur + 2 * hidden, s, bias, bias + hidden, cPrev, cOut, h + row * hidden, hidden, tail);
                }
            }
        }
        finally
        {
            NativeMemory.Free(zeros);
            NativeMemory.Free(running);
        }
    }

    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward<V>(
        float* u, float* bias, float* externalSkip, SruSkip skip, float* states, float* gradH,
        float* gradU, float* gradBias, float* gradSkip, int steps, int batch, int blocks, int hidden)
        where V : unmanaged, IFloatVector<V>
    {
        float* tail = stackalloc float[18 * MaxLanes];
        nuint h = (nuint)hidden;
        float* zeros = (float*)NativeMemory.AllocZeroed(h, sizeof(float));
        // dL/dc_t flowing back from step t+1 into step t, one row per sequence.
        float* carry = (float*)NativeMemory.AllocZeroed((nuint)batch * h, sizeof(float));
        // Bias gradients: summed over the batch in float for one step, then over steps in double.
        float* stepSum = (float*)NativeMemory.AllocZeroed(2 * h, sizeof(float));
        double* total = (double*)NativeMemory.AllocZeroed(2 * h, sizeof(double));
        try
        {
            long plane = (long)batch * hidden;
            long uRow = (long)blocks * hidden;
            int firstUnread = skip == SruSkip.UBlock ? 4 : 3;
            for (int t = steps - 1; t >= 0; t--)
            {
                new Span<float>(stepSum, 2 * hidden).Clear();
                for (int b = 0; b < batch; b++)
                {
                    long row = (long)t * batch + b;
                    float* ur = u + row * uRow;
                    float* gr = gradU + row * uRow;
                    float* s = null, gs = null;
                    switch (skip)
                    {
                        case SruSkip.UBlock:
                            s = ur + 3 * hidden;
                            gs = gr + 3 * hidden;
                            break;
                        case SruSkip.External:
                            s = externalSkip + row * hidden;
                            gs = gradSkip + row * hidden;
                            break;
                    }

                    // Blocks past r that the recurrence does not read (x' without a highway over it) get no gradient.
                    if (blocks > firstUnread)
                        new Span<float>(gr + (long)firstUnread * hidden, (blocks - firstUnread) * hidden).Clear();

                    float* c = states + row * hidden;
                    float* cPrev = t == 0 ? zeros : c - plane;
                    BackwardRow<V>(
                        ur, ur + hidden, ur + 2 * hidden, s, bias, bias + hidden, c, cPrev, gradH + row * hidden,
                        carry + (long)b * hidden, gr, gr + hidden, gr + 2 * hidden, gs, stepSum, stepSum + hidden, hidden, tail);
                }

                for (int j = 0; j < 2 * hidden; j++)
                    total[j] += stepSum[j];
            }

            for (int j = 0; j < 2 * hidden; j++)
                gradBias[j] = (float)total[j];
        }
        finally
        {
            NativeMemory.Free(zeros);
            NativeMemory.Free(carry);
            NativeMemory.Free(stepSum);
            NativeMemory.Free(total);
        }
    }

    /// <summary>One sequence's row of one step: n hidden units, whole vectors, then the tail through padded buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardRow<V>(
        float* z, float* f, float* r, float* s, float* bf, float* br, float* cPrev, float* cOut, float* h, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
    {
        int w = V.Count;
        int j = 0;
        if (s != null)
        {
            for (; j <= n - w; j += w)
                ForwardChunk<V>(z + j, f + j, r + j, s + j, bf + j, br + j, cPrev + j, cOut + j, h + j);
        }
        else
        {
            for (; j <= n - w; j += w)
                ForwardChunk<V>(z + j, f + j, r + j, null, bf + j, br + j, cPrev + j, cOut + j, h + j);
        }

        int m = n - j;
        if (m == 0)
            return;
        float* tz = tail, tf = tail + MaxLanes, tr = tail + 2 * MaxLanes, ts = tail + 3 * MaxLanes, tbf = tail + 4 * MaxLanes,
            tbr = tail + 5 * MaxLanes, tcp = tail + 6 * MaxLanes, tco = tail + 7 * MaxLanes, th = tail + 8 * MaxLanes;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(r + j, tr, m);
        if (s != null)
            LoadTail(s + j, ts, m);
        LoadTail(bf + j, tbf, m);
        LoadTail(br + j, tbr, m);
        LoadTail(cPrev + j, tcp, m);
        ForwardChunk<V>(tz, tf, tr, s != null ? ts : null, tbf, tbr, tcp, tco, th);
        StoreTail(tco, cOut + j, m);
        StoreTail(th, h + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardChunk<V>(float* pz, float* pf, float* pr, float* ps, float* pbf, float* pbr, float* pcPrev, float* pcOut, float* ph)
        where V : unmanaged, IFloatVector<V>
    {
        V z = V.Load(pz);
        V f = VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
        V r = VectorMath.Sigmoid(V.Load(pr) + V.Load(pbr));
        // f⊙c + (1 − f)⊙z = f⊙(c − z) + z
        V c = V.MultiplyAdd(f, V.Load(pcPrev) - z, z);
        V.Store(c, pcOut);
        V tc = VectorMath.Tanh(c);
        if (ps != null)
        {
            // r⊙tanh c + (1 − r)⊙s = r⊙(tanh c − s) + s
            V s = V.Load(ps);
            V.Store(V.MultiplyAdd(r, tc - s, s), ph);
        }
        else
        {
            V.Store(r * tc, ph);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardRow<V>(
        float* z, float* f, float* r, float* s, float* bf, float* br, float* c, float* cPrev, float* gh, float* carry,
        float* gz, float* gf, float* gr, float* gs, float* sumF, float* sumR, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
    {
        int w = V.Count;
        int j = 0;
        if (s != null)
        {
            for (; j <= n - w; j += w)
            {
                BackwardChunk<V>(z + j, f + j, r + j, s + j, bf + j, br + j, c + j, cPrev + j, gh + j, carry + j,
                    gz + j, gf + j, gr + j, gs + j, sumF + j, sumR + j);
            }
        }
        else
        {
            for (; j <= n - w; j += w)
            {
                BackwardChunk<V>(z + j, f + j, r + j, null, bf + j, br + j, c + j, cPrev + j, gh + j, carry + j,
                    gz + j, gf + j, gr + j, null, sumF + j, sumR + j);
            }
        }

        int m = n - j;
        if (m == 0)
            return;
        float* t = tail;
        const int L = MaxLanes;
        float* tz = t, tf = t + L, tr = t + 2 * L, ts = t + 3 * L, tbf = t + 4 * L, tbr = t + 5 * L, tc = t + 6 * L,
            tcp = t + 7 * L, tgh = t + 8 * L, tcarry = t + 9 * L, tgz = t + 10 * L, tgf = t + 11 * L, tgr = t + 12 * L,
            tgs = t + 13 * L, tsf = t + 14 * L, tsr = t + 15 * L;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(r + j, tr, m);
        if (s != null)
            LoadTail(s + j, ts, m);
        LoadTail(bf + j, tbf, m);
        LoadTail(br + j, tbr, m);
        LoadTail(c + j, tc, m);
        LoadTail(cPrev + j, tcp, m);
        LoadTail(gh + j, tgh, m);
        LoadTail(carry + j, tcarry, m);
        LoadTail(sumF + j, tsf, m);
        LoadTail(sumR + j, tsr, m);
        BackwardChunk<V>(tz, tf, tr, s != null ? ts : null, tbf, tbr, tc, tcp, tgh, tcarry, tgz, tgf, tgr, s != null ? tgs : null, tsf, tsr);
        StoreTail(tcarry, carry + j, m);
        StoreTail(tgz, gz + j, m);
        StoreTail(tgf, gf + j, m);
        StoreTail(tgr, gr + j, m);
        if (s != null)
            StoreTail(tgs, gs + j, m);
        StoreTail(tsf, sumF + j, m);
        StoreTail(tsr, sumR + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardChunk<V>(
        float* pz, float* pf, float* pr, float* ps, float* pbf, float* pbr, float* pc, float* pcPrev, float* pgh, float* pcarry,
        float* pgz, float* pgf, float* pgr, float* pgs, float* psumF, float* psumR)
        where V : unmanaged, IFloatVector<V>
    {
        V one = V.Create(1f);
        V z = V.Load(pz);
        V f = VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
        V r = VectorMath.Sigmoid(V.Load(pr) + V.Load(pbr));
        V tc = VectorMath.Tanh(V.Load(pc));
        V gh = V.Load(pgh);

        // ∂h/∂r = tanh c − s, ∂h/∂c = r⊙(1 − tanh² c), ∂h/∂s = 1 − r.
        V hr = tc;
        if (ps != null)
        {
            hr = tc - V.Load(ps);
            V.Store(gh * (one - r), pgs);
        }
        V gradR = gh * hr * (r * (one - r));
        V gc = V.MultiplyAdd(gh * r, one - tc * tc, V.Load(pcarry));

        // ∂c/∂z = 1 − f, ∂c/∂f = c_{t−1} − z, ∂c/∂c_{t−1} = f; σ' = σ⊙(1 − σ).
        V oneMinusF = one - f;
        V gradF = gc * (V.Load(pcPrev) - z) * (f * oneMinusF);
        V.Store(gc * oneMinusF, pgz);
        V.Store(gradF, pgf);
        V.Store(gradR, pgr);
        V.Store(gc * f, pcarry);
        V.Store(V.Load(psumF) + gradF, psumF);
        V.Store(V.Load(psumR) + gradR, psumR);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadTail(float* source, float* buffer, int count)
    {
        new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>(buffer, MaxLanes));
        new Span<float>(buffer + count, MaxLanes - count).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTail(float* buffer, float* destination, int count) =>
        new ReadOnlySpan<float>(buffer, count).CopyTo(new Span<float>(destination, count));
}
