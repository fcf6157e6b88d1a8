using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KernelThreads = Microsoft.ML.Sru.Runtime.KernelThreads;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>Where the highway's skip input comes from.</summary>
internal enum SruSkip
{
    /// <summary>No highway: h = r⊙g(c).</summary>
    None,

    /// <summary>The fourth block of U (x' = X·W_x'), read in place.</summary>
    UBlock,

    /// <summary>A separate [T, B, D, H] tensor (the layer input when its size equals the output size).</summary>
    External,
}

/// <summary>
/// The SRU recurrence over raw CPU memory, fused into one pass over time for the forward and one
/// reverse pass for the backward, vectorised across the hidden units:
///   f_t = σ(u_f + v_f⊙c_{t−1} + b_f), r_t = σ(u_r + v_r⊙c_{t−1} + b_r), c_t = f_t⊙c_{t−1} + (1−f_t)⊙z_t (c_{−1} = 0),
///   h_t = r_t⊙g(c_t) + (1−r_t)⊙s_t (highway) or r_t⊙g(c_t),
/// with g = tanh or the identity, and v = 0 for the 2017 gates. A second direction runs the same from the last
/// step to the first. Layouts: <see cref="SruKernelArguments"/>. The backward needs only c from the forward: it
/// recomputes the gates and g(c) (the kernel is compute-light either way) rather than keeping three more
/// [T, B, D, H] arrays alive. Each variant (cell-state weights or not, tanh or identity) runs its own specialised
/// loop (<see cref="IKernelFlag"/>), so the 2017 form pays nothing for the others.
/// </summary>
internal static unsafe class SruKernel
{
    /// <summary>Width of the widest vector type used: the tail buffers hold this many floats each.</summary>
    private const int MaxLanes = 16;

    /// <summary>
    /// Computes h. With <see cref="SruKernelArguments.States"/> set, c for every step is stored there for the
    /// backward; with null (inference), only a [B, D, H] running state is kept.
    /// </summary>
    public static void Forward(in SruKernelArguments a) => Dispatch<ForwardPass>(a);

    /// <summary>
    /// Gradients from dL/dh: dL/du for all k blocks (x' gets dL/ds when the skip is <see cref="SruSkip.UBlock"/>,
    /// zero otherwise), dL/dbias and dL/dv summed over T and B, and dL/ds when the skip is <see cref="SruSkip.External"/>.
    /// </summary>
    public static void Backward(in SruKernelArguments a) => Dispatch<BackwardPass>(a);

    /// <summary>The vector width the dispatch above picks on this machine, for reports.</summary>
    public static int Lanes =>
        Vector512.IsHardwareAccelerated ? FloatVector512.Count : Vector256.IsHardwareAccelerated ? FloatVector256.Count : FloatVector128.Count;

    /// <summary>A pass of the kernel, as a type, so that one dispatch picks its specialisation for forward and backward alike.</summary>
    private interface IPass
    {
        static abstract void Run<V, TWeights, TTanh>(in SruKernelArguments a)
            where V : unmanaged, IFloatVector<V>
            where TWeights : IKernelFlag
            where TTanh : IKernelFlag;
    }

    private readonly struct ForwardPass : IPass
    {
        public static void Run<V, TWeights, TTanh>(in SruKernelArguments a)
            where V : unmanaged, IFloatVector<V>
            where TWeights : IKernelFlag
            where TTanh : IKernelFlag => Forward<V, TWeights, TTanh>(a);
    }

    private readonly struct BackwardPass : IPass
    {
        public static void Run<V, TWeights, TTanh>(in SruKernelArguments a)
            where V : unmanaged, IFloatVector<V>
            where TWeights : IKernelFlag
            where TTanh : IKernelFlag => Backward<V, TWeights, TTanh>(a);
    }

    /// <summary>Picks the widest vector type the machine accelerates, then the variant the arguments ask for.</summary>
    private static void Dispatch<TPass>(in SruKernelArguments a)
        where TPass : IPass
    {
        if (Vector512.IsHardwareAccelerated)
            Dispatch<TPass, FloatVector512>(a);
        else if (Vector256.IsHardwareAccelerated)
            Dispatch<TPass, FloatVector256>(a);
        else
            Dispatch<TPass, FloatVector128>(a);
    }

    private static void Dispatch<TPass, V>(in SruKernelArguments a)
        where TPass : IPass
        where V : unmanaged, IFloatVector<V>
    {
        bool tanh = a.Activation == SruActivation.Tanh;
        if (a.CellWeights == null)
        {
            if (tanh)
                TPass.Run<V, FlagOff, FlagOn>(a);
            else
                TPass.Run<V, FlagOff, FlagOff>(a);
        }
        else if (tanh)
        {
            TPass.Run<V, FlagOn, FlagOn>(a);
        }
        else
        {
            TPass.Run<V, FlagOn, FlagOff>(a);
        }
    }

    /// <summary>The time step a direction visits at position <paramref name="position"/> of its pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StepAt(int position, int direction, int steps) => direction == 0 ? position : steps - 1 - position;

    /// <summary>
    /// How many parts the batch is split into, one thread each: the sequences of a batch are independent, so each part
    /// runs its own rows through all steps. The split depends only on the shape and the core count, never on timing, so
    /// results are the same run after run. Small calls (single-row scoring) stay on the calling thread.
    /// </summary>
    internal static int PartsFor(int steps, int batch, int directions, int hidden)
    {
        long elements = (long)steps * batch * directions * hidden;
        return elements < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount, batch);
    }

    private static int PartsFor(in SruKernelArguments a) => a.SingleThreaded ? 1 : PartsFor(a.Steps, a.Batch, a.Directions, a.Hidden);

    /// <summary>Below this many recurrence elements a call runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1 << 16;

    /// <summary>The first sequence of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    private static int PartStart(int batch, int part, int parts) => (int)((long)batch * part / parts);

    internal static void Forward<V, TWeights, TTanh>(in SruKernelArguments a)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        int parts = PartsFor(a);
        if (parts == 1)
        {
            ForwardRange<V, TWeights, TTanh>(a, 0, a.Batch);
            return;
        }
        SruKernelArguments shared = a;
        KernelThreads.For(parts, part =>
            ForwardRange<V, TWeights, TTanh>(shared, PartStart(shared.Batch, part, parts), PartStart(shared.Batch, part + 1, parts)));
    }

    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRange<V, TWeights, TTanh>(in SruKernelArguments a, int firstSequence, int endSequence)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        float* tail = stackalloc float[11 * MaxLanes];
        int steps = a.Steps, batch = a.Batch, dirs = a.Directions, hidden = a.Hidden;
        float* zeros = (float*)NativeMemory.AllocZeroed((nuint)hidden, sizeof(float));
        float* running = a.States == null ? (float*)NativeMemory.AllocZeroed((nuint)batch * (nuint)dirs * (nuint)hidden, sizeof(float)) : null;
        try
        {
            // One time step of c: stepping back or forward in time is one plane.
            long plane = (long)batch * dirs * hidden;
            long uRow = (long)a.Blocks * hidden;
            for (int p = 0; p < steps; p++)
            {
                for (int b = firstSequence; b < endSequence; b++)
                {
                    for (int d = 0; d < dirs; d++)
                    {
                        long row = ((long)StepAt(p, d, steps) * batch + b) * dirs + d;
                        float* ur = a.U + row * uRow;
                        float* s = a.Skip switch
                        {
                            SruSkip.UBlock => ur + 3 * hidden,
                            SruSkip.External => a.ExternalSkip + row * hidden,
                            _ => null,
                        };
                        float* cOut, cPrev;
                        if (a.States != null)
                        {
                            cOut = a.States + row * hidden;
                            cPrev = p == 0 ? zeros : d == 0 ? cOut - plane : cOut + plane;
                        }
                        else
                        {
                            // In place: each element reads its c_{t−1} before writing c_t.
                            cOut = cPrev = running + ((long)b * dirs + d) * hidden;
                        }
                        if (a.Lengths != null && StepAt(p, d, steps) >= a.Lengths[b])
                        {
                            // A pad: c carries over unchanged (in place it already has) and h is zero.
                            if (cOut != cPrev)
                                Buffer.MemoryCopy(cPrev, cOut, (long)hidden * sizeof(float), (long)hidden * sizeof(float));
                            new Span<float>(a.H + row * hidden, hidden).Clear();
                            continue;
                        }
                        long forget = (long)d * hidden, reset = (long)(dirs + d) * hidden;
                        float* v = a.CellWeights;
                        Debug.Assert(!a.LastStepOnly || dirs == 1, "LastStepOnly is for one direction.");
                        Debug.Assert(!a.LastStepOnly || a.Lengths == null, "LastStepOnly is for equal lengths.");
                        if (a.LastStepOnly && p < steps - 1)
                        {
                            // No h before the last step: c alone.
                            ForwardCellRow<V, TWeights>(ur, ur + hidden, a.Bias + forget, TWeights.IsOn ? v + forget : null, cPrev, cOut, hidden, tail);
                            continue;
                        }
                        ForwardRow<V, TWeights, TTanh>(
                            ur, ur + hidden, ur + 2 * hidden, s, a.Bias + forget, a.Bias + reset,
                            TWeights.IsOn ? v + forget : null, TWeights.IsOn ? v + reset : null,
                            cPrev, cOut, !a.LastStepOnly ? a.H + row * hidden : a.H + (long)b * hidden, hidden, tail);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(zeros);
            NativeMemory.Free(running);
        }
    }

    internal static void Backward<V, TWeights, TTanh>(in SruKernelArguments a)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        int parts = PartsFor(a);
        int gateWidth = 2 * a.Directions * a.Hidden;
        // Bias (then v) gradients per part, summed over steps in double, then over the parts in a fixed order.
        double* totals = (double*)NativeMemory.AllocZeroed((nuint)parts * 2 * (nuint)gateWidth, sizeof(double));
        try
        {
            if (parts == 1)
            {
                BackwardRange<V, TWeights, TTanh>(a, 0, 0, a.Batch, totals);
            }
            else
            {
                SruKernelArguments shared = a;
                nint sums = (nint)totals;
                KernelThreads.For(parts, part => BackwardRange<V, TWeights, TTanh>(shared, part, PartStart(shared.Batch, part, parts),
                    PartStart(shared.Batch, part + 1, parts), (double*)sums + (long)part * 2 * gateWidth));
            }

            for (int j = 0; j < gateWidth; j++)
            {
                double bias = 0, weight = 0;
                for (int part = 0; part < parts; part++)
                {
                    bias += totals[(long)part * 2 * gateWidth + j];
                    weight += totals[(long)part * 2 * gateWidth + gateWidth + j];
                }
                a.GradBias[j] = (float)bias;
                if (TWeights.IsOn)
                    a.GradCellWeights[j] = (float)weight;
            }
        }
        finally
        {
            NativeMemory.Free(totals);
        }
    }

    /// <summary>
    /// The backward for sequences [first, end) (part <paramref name="part"/> of the batch), adding their bias (and v)
    /// gradients into <paramref name="total"/> [2 · 2DH]. With a <see cref="SruKernelArguments.StepSink"/>, dL/du goes into
    /// the buffer the sink gives for each step (<see cref="ISruStepSink.NextStepBuffer"/>), handed back to it after the step,
    /// instead of into GradU.
    /// </summary>
    // Fully optimised from the first call: a training run calls it only a few thousand times, mostly before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRange<V, TWeights, TTanh>(in SruKernelArguments a, int part, int firstSequence, int endSequence, double* total)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        float* tail = stackalloc float[20 * MaxLanes];
        int steps = a.Steps, batch = a.Batch, dirs = a.Directions, hidden = a.Hidden, blocks = a.Blocks;
        int gateWidth = 2 * dirs * hidden;
        float* zeros = (float*)NativeMemory.AllocZeroed((nuint)hidden, sizeof(float));
        // dL/dc_t flowing back from the direction's next step into step t, one row per sequence and direction.
        float* carry = (float*)NativeMemory.AllocZeroed((nuint)batch * (nuint)dirs * (nuint)hidden, sizeof(float));
        // Bias (then v) gradients: summed over the part's sequences in float for one step, then over steps in double.
        float* stepSum = (float*)NativeMemory.AllocZeroed(2 * (nuint)gateWidth, sizeof(float));
        ISruStepSink? sink = a.StepSink;
        float* stepGradU = null;
        try
        {
            long plane = (long)batch * dirs * hidden;
            long uRow = (long)blocks * hidden;
            int firstUnread = a.Skip == SruSkip.UBlock ? 4 : 3;
            int sums = TWeights.IsOn ? 2 * gateWidth : gateWidth;
            // Each direction's pass in reverse.
            for (int p = steps - 1; p >= 0; p--)
            {
                new Span<float>(stepSum, sums).Clear();
                if (sink is not null)
                    stepGradU = sink.NextStepBuffer(part);
                for (int b = firstSequence; b < endSequence; b++)
                {
                    for (int d = 0; d < dirs; d++)
                    {
                        long row = ((long)StepAt(p, d, steps) * batch + b) * dirs + d;
                        float* ur = a.U + row * uRow;
                        float* gr = stepGradU == null ? a.GradU + row * uRow : stepGradU + ((long)(b - firstSequence) * dirs + d) * uRow;
                        float* s = null, gs = null;
                        switch (a.Skip)
                        {
                            case SruSkip.UBlock:
                                s = ur + 3 * hidden;
                                gs = gr + 3 * hidden;
                                break;
                            case SruSkip.External:
                                s = a.ExternalSkip + row * hidden;
                                gs = a.GradSkip + row * hidden;
                                break;
                        }

                        if (a.Lengths != null && StepAt(p, d, steps) >= a.Lengths[b])
                        {
                            // A pad: c_t = c_{t−1}, so dL/dc passes through the carry unchanged; u and the skip get zeros.
                            new Span<float>(gr, (int)uRow).Clear();
                            if (gs != null && a.Skip == SruSkip.External)
                                new Span<float>(gs, hidden).Clear();
                            continue;
                        }

                        // Blocks past r that the recurrence does not read (x' without a highway over it) get no gradient.
                        if (blocks > firstUnread)
                            new Span<float>(gr + (long)firstUnread * hidden, (blocks - firstUnread) * hidden).Clear();

                        float* c = a.States + row * hidden;
                        float* cPrev = p == 0 ? zeros : d == 0 ? c - plane : c + plane;
                        long forget = (long)d * hidden, reset = (long)(dirs + d) * hidden;
                        float* v = a.CellWeights;
                        float* vSum = stepSum + gateWidth;
                        if (a.LastStepOnly && p < steps - 1)
                        {
                            // dL/dh is zero before the last step: only c's gradient flows; r and the skip get zeros.
                            // Their zeros are written where something reads them: dL/dskip for x itself goes into dX's rows;
                            // a sink leaves out the r and x' columns before the last step, whole dU does not.
                            BackwardCellRow<V, TWeights>(ur, ur + hidden, a.Bias + forget, TWeights.IsOn ? v + forget : null, cPrev,
                                carry + ((long)b * dirs + d) * hidden, gr, gr + hidden, sink is null ? gr + 2 * hidden : null,
                                a.Skip == SruSkip.External || sink is null ? gs : null, stepSum + forget, TWeights.IsOn ? vSum + forget : null, hidden, tail);
                            continue;
                        }
                        BackwardRow<V, TWeights, TTanh>(
                            ur, ur + hidden, ur + 2 * hidden, s, a.Bias + forget, a.Bias + reset,
                            TWeights.IsOn ? v + forget : null, TWeights.IsOn ? v + reset : null,
                            c, cPrev, !a.LastStepOnly ? a.GradH + row * hidden : a.GradH + (long)b * hidden, carry + ((long)b * dirs + d) * hidden,
                            gr, gr + hidden, gr + 2 * hidden, gs, stepSum + forget, stepSum + reset,
                            TWeights.IsOn ? vSum + forget : null, TWeights.IsOn ? vSum + reset : null, hidden, tail);
                    }
                }

                for (int j = 0; j < sums; j++)
                    total[j] += stepSum[j];
                sink?.StepDone(part, p, firstSequence, endSequence, stepGradU);
            }
        }
        finally
        {
            NativeMemory.Free(zeros);
            NativeMemory.Free(carry);
            NativeMemory.Free(stepSum);
        }
    }

    /// <summary>One sequence's row of one step: n hidden units, whole vectors, then the tail through padded buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardRow<V, TWeights, TTanh>(
        float* z, float* f, float* r, float* s, float* bf, float* br, float* vf, float* vr, float* cPrev, float* cOut, float* h, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        int w = V.Count;
        int j = 0;
        if (s != null)
        {
            for (; j <= n - w; j += w)
                ForwardChunk<V, TWeights, TTanh>(z + j, f + j, r + j, s + j, bf + j, br + j, vf + j, vr + j, cPrev + j, cOut + j, h + j);
        }
        else
        {
            for (; j <= n - w; j += w)
                ForwardChunk<V, TWeights, TTanh>(z + j, f + j, r + j, null, bf + j, br + j, vf + j, vr + j, cPrev + j, cOut + j, h + j);
        }

        int m = n - j;
        if (m == 0)
            return;
        const int L = MaxLanes;
        float* tz = tail, tf = tail + L, tr = tail + 2 * L, ts = tail + 3 * L, tbf = tail + 4 * L, tbr = tail + 5 * L,
            tvf = tail + 6 * L, tvr = tail + 7 * L, tcp = tail + 8 * L, tco = tail + 9 * L, th = tail + 10 * L;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(r + j, tr, m);
        if (s != null)
            LoadTail(s + j, ts, m);
        LoadTail(bf + j, tbf, m);
        LoadTail(br + j, tbr, m);
        if (TWeights.IsOn)
        {
            LoadTail(vf + j, tvf, m);
            LoadTail(vr + j, tvr, m);
        }
        LoadTail(cPrev + j, tcp, m);
        ForwardChunk<V, TWeights, TTanh>(tz, tf, tr, s != null ? ts : null, tbf, tbr, tvf, tvr, tcp, tco, th);
        StoreTail(tco, cOut + j, m);
        StoreTail(th, h + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardChunk<V, TWeights, TTanh>(
        float* pz, float* pf, float* pr, float* ps, float* pbf, float* pbr, float* pvf, float* pvr, float* pcPrev, float* pcOut, float* ph)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        V z = V.Load(pz);
        V cPrev = V.Load(pcPrev);
        V f, r;
        if (TWeights.IsOn)
        {
            f = VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvf), cPrev, V.Load(pf) + V.Load(pbf)));
            r = VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvr), cPrev, V.Load(pr) + V.Load(pbr)));
        }
        else
        {
            f = VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
            r = VectorMath.Sigmoid(V.Load(pr) + V.Load(pbr));
        }
        // f⊙c + (1 − f)⊙z = f⊙(c − z) + z
        V c = V.MultiplyAdd(f, cPrev - z, z);
        V.Store(c, pcOut);
        V g = TTanh.IsOn ? VectorMath.Tanh(c) : c;
        if (ps != null)
        {
            // r⊙g + (1 − r)⊙s = r⊙(g − s) + s
            V s = V.Load(ps);
            V.Store(V.MultiplyAdd(r, g - s, s), ph);
        }
        else
        {
            V.Store(r * g, ph);
        }
    }

    // Compiled on its own: inlined into BackwardRange it exhausts the JIT's inlining budget there and leaves the vector
    // operators as calls. One call per row costs nothing.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow<V, TWeights, TTanh>(
        float* z, float* f, float* r, float* s, float* bf, float* br, float* vf, float* vr, float* c, float* cPrev, float* gh, float* carry,
        float* gz, float* gf, float* gr, float* gs, float* sumF, float* sumR, float* sumVf, float* sumVr, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        int w = V.Count;
        int j = 0;
        if (s != null)
        {
            for (; j <= n - w; j += w)
            {
                BackwardChunk<V, TWeights, TTanh>(z + j, f + j, r + j, s + j, bf + j, br + j, vf + j, vr + j, c + j, cPrev + j, gh + j, carry + j,
                    gz + j, gf + j, gr + j, gs + j, sumF + j, sumR + j, sumVf + j, sumVr + j);
            }
        }
        else
        {
            for (; j <= n - w; j += w)
            {
                BackwardChunk<V, TWeights, TTanh>(z + j, f + j, r + j, null, bf + j, br + j, vf + j, vr + j, c + j, cPrev + j, gh + j, carry + j,
                    gz + j, gf + j, gr + j, null, sumF + j, sumR + j, sumVf + j, sumVr + j);
            }
        }

        int m = n - j;
        if (m == 0)
            return;
        float* t = tail;
        const int L = MaxLanes;
        float* tz = t, tf = t + L, tr = t + 2 * L, ts = t + 3 * L, tbf = t + 4 * L, tbr = t + 5 * L, tvf = t + 6 * L, tvr = t + 7 * L,
            tc = t + 8 * L, tcp = t + 9 * L, tgh = t + 10 * L, tcarry = t + 11 * L, tgz = t + 12 * L, tgf = t + 13 * L, tgr = t + 14 * L,
            tgs = t + 15 * L, tsf = t + 16 * L, tsr = t + 17 * L, tsvf = t + 18 * L, tsvr = t + 19 * L;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(r + j, tr, m);
        if (s != null)
            LoadTail(s + j, ts, m);
        LoadTail(bf + j, tbf, m);
        LoadTail(br + j, tbr, m);
        if (TWeights.IsOn)
        {
            LoadTail(vf + j, tvf, m);
            LoadTail(vr + j, tvr, m);
            LoadTail(sumVf + j, tsvf, m);
            LoadTail(sumVr + j, tsvr, m);
        }
        LoadTail(c + j, tc, m);
        LoadTail(cPrev + j, tcp, m);
        LoadTail(gh + j, tgh, m);
        LoadTail(carry + j, tcarry, m);
        LoadTail(sumF + j, tsf, m);
        LoadTail(sumR + j, tsr, m);
        BackwardChunk<V, TWeights, TTanh>(tz, tf, tr, s != null ? ts : null, tbf, tbr, tvf, tvr, tc, tcp, tgh, tcarry, tgz, tgf, tgr,
            s != null ? tgs : null, tsf, tsr, tsvf, tsvr);
        StoreTail(tcarry, carry + j, m);
        StoreTail(tgz, gz + j, m);
        StoreTail(tgf, gf + j, m);
        StoreTail(tgr, gr + j, m);
        if (s != null)
            StoreTail(tgs, gs + j, m);
        StoreTail(tsf, sumF + j, m);
        StoreTail(tsr, sumR + j, m);
        if (TWeights.IsOn)
        {
            StoreTail(tsvf, sumVf + j, m);
            StoreTail(tsvr, sumVr + j, m);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardChunk<V, TWeights, TTanh>(
        float* pz, float* pf, float* pr, float* ps, float* pbf, float* pbr, float* pvf, float* pvr, float* pc, float* pcPrev, float* pgh,
        float* pcarry, float* pgz, float* pgf, float* pgr, float* pgs, float* psumF, float* psumR, float* psumVf, float* psumVr)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
        where TTanh : IKernelFlag
    {
        V one = V.Create(1f);
        V z = V.Load(pz);
        V cPrev = V.Load(pcPrev);
        V f, r;
        if (TWeights.IsOn)
        {
            f = VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvf), cPrev, V.Load(pf) + V.Load(pbf)));
            r = VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvr), cPrev, V.Load(pr) + V.Load(pbr)));
        }
        else
        {
            f = VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
            r = VectorMath.Sigmoid(V.Load(pr) + V.Load(pbr));
        }
        V c = V.Load(pc);
        V g = TTanh.IsOn ? VectorMath.Tanh(c) : c;
        V gh = V.Load(pgh);

        // ∂h/∂r = g − s, ∂h/∂c = r⊙g'(c) with tanh' = 1 − tanh², ∂h/∂s = 1 − r.
        V hr = g;
        if (ps != null)
        {
            hr = g - V.Load(ps);
            V.Store(gh * (one - r), pgs);
        }
        V gradR = gh * hr * (r * (one - r));
        V gc = TTanh.IsOn ? V.MultiplyAdd(gh * r, one - g * g, V.Load(pcarry)) : V.MultiplyAdd(gh, r, V.Load(pcarry));

        // ∂c/∂z = 1 − f, ∂c/∂f = c_{t−1} − z, ∂c/∂c_{t−1} = f; σ' = σ⊙(1 − σ).
        V oneMinusF = one - f;
        V gradF = gc * (cPrev - z) * (f * oneMinusF);
        V.Store(gc * oneMinusF, pgz);
        V.Store(gradF, pgf);
        V.Store(gradR, pgr);
        if (TWeights.IsOn)
        {
            // The gates read c_{t−1} through v: ∂f_pre/∂c_{t−1} = v_f, ∂f_pre/∂v_f = c_{t−1} (and alike for r).
            V vf = V.Load(pvf), vr = V.Load(pvr);
            V.Store(V.MultiplyAdd(gradR, vr, V.MultiplyAdd(gradF, vf, gc * f)), pcarry);
            V.Store(V.MultiplyAdd(gradF, cPrev, V.Load(psumVf)), psumVf);
            V.Store(V.MultiplyAdd(gradR, cPrev, V.Load(psumVr)), psumVr);
        }
        else
        {
            V.Store(gc * f, pcarry);
        }
        V.Store(V.Load(psumF) + gradF, psumF);
        V.Store(V.Load(psumR) + gradR, psumR);
    }

    /// <summary>
    /// A row of a step whose h nobody reads (the last layer's before its last step, when only that is kept): c alone,
    /// from z and f. Compiled on its own, as <see cref="BackwardRow"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ForwardCellRow<V, TWeights>(float* z, float* f, float* bf, float* vf, float* cPrev, float* cOut, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
    {
        int j = 0;
        for (; j <= n - V.Count; j += V.Count)
            ForwardCellChunk<V, TWeights>(z + j, f + j, bf + j, vf + j, cPrev + j, cOut + j);
        int m = n - j;
        if (m == 0)
            return;
        const int L = MaxLanes;
        float* tz = tail, tf = tail + L, tbf = tail + 2 * L, tvf = tail + 3 * L, tcp = tail + 4 * L, tco = tail + 5 * L;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(bf + j, tbf, m);
        if (TWeights.IsOn)
            LoadTail(vf + j, tvf, m);
        LoadTail(cPrev + j, tcp, m);
        ForwardCellChunk<V, TWeights>(tz, tf, tbf, tvf, tcp, tco);
        StoreTail(tco, cOut + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardCellChunk<V, TWeights>(float* pz, float* pf, float* pbf, float* pvf, float* pcPrev, float* pcOut)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
    {
        V z = V.Load(pz);
        V cPrev = V.Load(pcPrev);
        V f = TWeights.IsOn
            ? VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvf), cPrev, V.Load(pf) + V.Load(pbf)))
            : VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
        V.Store(V.MultiplyAdd(f, cPrev - z, z), pcOut);
    }

    /// <summary>
    /// The backward of a <see cref="ForwardCellRow"/> step, whose dL/dh is zero: dL/dc is what flows back from the next
    /// step (<paramref name="carry"/>); r and the skip get zero gradients (written where <paramref name="gr"/> and
    /// <paramref name="gs"/> are not null), and r's bias and v sums nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BackwardCellRow<V, TWeights>(float* z, float* f, float* bf, float* vf, float* cPrev, float* carry,
        float* gz, float* gf, float* gr, float* gs, float* sumF, float* sumVf, int n, float* tail)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
    {
        if (gr != null)
            new Span<float>(gr, n).Clear();
        if (gs != null)
            new Span<float>(gs, n).Clear();
        int j = 0;
        for (; j <= n - V.Count; j += V.Count)
            BackwardCellChunk<V, TWeights>(z + j, f + j, bf + j, vf + j, cPrev + j, carry + j, gz + j, gf + j, sumF + j, sumVf + j);
        int m = n - j;
        if (m == 0)
            return;
        const int L = MaxLanes;
        float* tz = tail, tf = tail + L, tbf = tail + 2 * L, tvf = tail + 3 * L, tcp = tail + 4 * L, tcarry = tail + 5 * L,
            tgz = tail + 6 * L, tgf = tail + 7 * L, tsf = tail + 8 * L, tsvf = tail + 9 * L;
        LoadTail(z + j, tz, m);
        LoadTail(f + j, tf, m);
        LoadTail(bf + j, tbf, m);
        if (TWeights.IsOn)
        {
            LoadTail(vf + j, tvf, m);
            LoadTail(sumVf + j, tsvf, m);
        }
        LoadTail(cPrev + j, tcp, m);
        LoadTail(carry + j, tcarry, m);
        LoadTail(sumF + j, tsf, m);
        BackwardCellChunk<V, TWeights>(tz, tf, tbf, tvf, tcp, tcarry, tgz, tgf, tsf, tsvf);
        StoreTail(tcarry, carry + j, m);
        StoreTail(tgz, gz + j, m);
        StoreTail(tgf, gf + j, m);
        StoreTail(tsf, sumF + j, m);
        if (TWeights.IsOn)
            StoreTail(tsvf, sumVf + j, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardCellChunk<V, TWeights>(float* pz, float* pf, float* pbf, float* pvf, float* pcPrev, float* pcarry,
        float* pgz, float* pgf, float* psumF, float* psumVf)
        where V : unmanaged, IFloatVector<V>
        where TWeights : IKernelFlag
    {
        V one = V.Create(1f);
        V z = V.Load(pz);
        V cPrev = V.Load(pcPrev);
        V f = TWeights.IsOn
            ? VectorMath.Sigmoid(V.MultiplyAdd(V.Load(pvf), cPrev, V.Load(pf) + V.Load(pbf)))
            : VectorMath.Sigmoid(V.Load(pf) + V.Load(pbf));
        // As BackwardChunk with dL/dh = 0: ∂c/∂z = 1 − f, ∂c/∂f = c_{t−1} − z, ∂c/∂c_{t−1} = f (+ v_f through the gate).
        V gc = V.Load(pcarry);
        V oneMinusF = one - f;
        V gradF = gc * (cPrev - z) * (f * oneMinusF);
        V.Store(gc * oneMinusF, pgz);
        V.Store(gradF, pgf);
        if (TWeights.IsOn)
        {
            V.Store(V.MultiplyAdd(gradF, V.Load(pvf), gc * f), pcarry);
            V.Store(V.MultiplyAdd(gradF, cPrev, V.Load(psumVf)), psumVf);
        }
        else
        {
            V.Store(gc * f, pcarry);
        }
        V.Store(V.Load(psumF) + gradF, psumF);
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
