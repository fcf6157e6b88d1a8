using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using KernelThreads = Microsoft.ML.Sru.Runtime.KernelThreads;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>A float matrix over raw memory: element (i, j) is at <c>Data[i·RowStride + j·ColumnStride]</c>.</summary>
internal readonly unsafe struct StridedMatrix
{
    public StridedMatrix(float* data, long rowStride, long columnStride)
    {
        Data = data;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    public float* Data { get; }

    public long RowStride { get; }

    public long ColumnStride { get; }

    /// <summary>The transpose, without moving any data.</summary>
    public StridedMatrix Transposed => new(Data, ColumnStride, RowStride);
}

/// <summary>
/// Single-precision matrix product C = A·B on AVX-512, for the SRU's projections U = X·W and their gradients.
/// libtorch's CPU SGEMM runs MKL's AVX2 code path on the CPUs this was built for; this register-blocked 8×32 kernel
/// uses the full AVX-512 width (docs/results.md, "Speed", compares the two).
/// Operands are strided views, so transposed products (X^T·dU, dU·W^T) need no copies of the large operand.
/// </summary>
internal static unsafe class Sgemm512
{
    /// <summary>Rows and columns of C one micro-kernel call computes, in 16 zmm accumulators.</summary>
    private const int RowBlock = 8, ColumnBlock = 32;

    /// <summary>Depth of one pass: keeps a B panel (KC × 32 floats) in L1 and an A block in L2.</summary>
    private const int DepthBlock = 256;

    /// <summary>Below this many multiply-adds a product runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1 << 20;

    /// <summary>Whether this machine runs the kernel at full speed: 512-bit vectors in hardware.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// C[m, n] = A[m, k]·B[k, n] (or C += A·B with <c>accumulate</c>), C row-major with rows <paramref name="cRowStride"/>
    /// apart (0: dense, n). B is copied into a dense, 32-column-padded
    /// buffer first when its rows are not contiguous or its width is not a multiple of 32 (small in the SRU's uses).
    /// </summary>
    /// <remarks>
    /// With <paramref name="singleThreaded"/> the product runs on the calling thread only: for callers that are
    /// themselves one of many threads (single-row scoring, a part of a split backward). With
    /// <paramref name="accumulate"/>, C += A·B.
    /// </remarks>
    public static void Multiply(StridedMatrix a, StridedMatrix b, float* c, int m, int k, int n, bool singleThreaded = false, bool accumulate = false, long cRowStride = 0)
    {
        if (m == 0 || n == 0)
            return;
        if (cRowStride == 0)
            cRowStride = n;
        if (k == 0)
        {
            if (!accumulate)
            {
                for (int row = 0; row < m; row++)
                    new Span<float>(c + row * cRowStride, n).Clear();
            }
            return;
        }

        int paddedWidth = (n + ColumnBlock - 1) / ColumnBlock * ColumnBlock;
        if (b.ColumnStride == 1 && paddedWidth == n)
        {
            Run(a, b.Data, b.RowStride, c, cRowStride, m, k, n, singleThreaded, accumulate);
            return;
        }

        // Padding columns are zero, so they produce zeros that are dropped when C is copied out.
        float[] packed = ArrayPool<float>.Shared.Rent(checked(k * paddedWidth));
        float[]? wide = paddedWidth == n ? null : ArrayPool<float>.Shared.Rent(checked(m * paddedWidth));
        try
        {
            fixed (float* bp = packed)
            {
                for (int row = 0; row < k; row++)
                {
                    float* source = b.Data + row * b.RowStride;
                    float* target = bp + (long)row * paddedWidth;
                    for (int column = 0; column < n; column++)
                        target[column] = source[column * b.ColumnStride];
                    new Span<float>(target + n, paddedWidth - n).Clear();
                }

                if (wide is null)
                {
                    Run(a, bp, paddedWidth, c, cRowStride, m, k, paddedWidth, singleThreaded, accumulate);
                    return;
                }

                fixed (float* cp = wide)
                {
                    Run(a, bp, paddedWidth, cp, paddedWidth, m, k, paddedWidth, singleThreaded, accumulate: false);
                    for (int row = 0; row < m; row++)
                    {
                        float* source = cp + (long)row * paddedWidth, target = c + row * cRowStride;
                        if (accumulate)
                        {
                            for (int j = 0; j < n; j++)
                                target[j] += source[j];
                        }
                        else
                        {
                            new ReadOnlySpan<float>(source, n).CopyTo(new Span<float>(target, n));
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            if (wide is not null)
                ArrayPool<float>.Shared.Return(wide);
        }
    }

    /// <summary>
    /// C[m, n] = A[m, k]·B[k, n], all dense row-major, where the first <paramref name="earlyRows"/> rows need only their
    /// first <paramref name="earlyColumns"/> columns: only those are computed there, and the rest of these rows is left
    /// as it was. (An SRU layer whose h is read at the last step alone needs only z and f before it.)
    /// </summary>
    public static void MultiplyEarlyColumns(float* a, float* b, float* c, int m, int k, int n, int earlyRows, int earlyColumns, bool singleThreaded = false)
    {
        if (earlyColumns >= n)
            earlyRows = 0;
        Multiply(new StridedMatrix(a, k, 1), new StridedMatrix(b, n, 1), c, earlyRows, k, earlyColumns, singleThreaded, cRowStride: n);
        Multiply(new StridedMatrix(a + (long)earlyRows * k, k, 1), new StridedMatrix(b, n, 1), c + (long)earlyRows * n, m - earlyRows, k, n, singleThreaded);
    }

    /// <summary>
    /// The tiled product for B with contiguous rows and n a multiple of 32. Tiles (8 rows × 32 columns) are taken
    /// column panel by column panel, so that a panel of B stays in cache while every row block passes over it; the
    /// threads split the tiles into contiguous ranges and never write the same part of C.
    /// </summary>
    private static void Run(StridedMatrix a, float* b, long bRowStride, float* c, long cRowStride, int m, int k, int n, bool singleThreaded, bool accumulate)
    {
        int rowBlocks = (m + RowBlock - 1) / RowBlock, panels = n / ColumnBlock;
        int tiles = rowBlocks * panels;
        int threads = singleThreaded || (long)m * n * k < ParallelThreshold ? 1 : Math.Min(Environment.ProcessorCount, tiles);
        if (threads == 1 && m < FourRows.Rows)
        {
            RunFewRows(a, b, bRowStride, c, cRowStride, m, k, n, accumulate);
            return;
        }
        if (threads == 1)
        {
            RunTiles(a, b, bRowStride, c, cRowStride, m, k, rowBlocks, 0, tiles, accumulate);
            return;
        }

        var job = new Job(a, b, bRowStride, c, cRowStride, m, k, rowBlocks, tiles, threads, accumulate);
        KernelThreads.For(threads, job.Run);
    }

    /// <summary>The arguments of one parallel product; pointers cannot be captured by a lambda.</summary>
    private sealed class Job(StridedMatrix a, float* b, long bRowStride, float* c, long cRowStride, int m, int k, int rowBlocks, int tiles, int threads, bool accumulate)
    {
        public void Run(int thread) =>
            RunTiles(a, b, bRowStride, c, cRowStride, m, k, rowBlocks, (int)((long)tiles * thread / threads), (int)((long)tiles * (thread + 1) / threads), accumulate);
    }

    private static void RunTiles(StridedMatrix a, float* b, long bRowStride, float* c, long cRowStride, int m, int k, int rowBlocks, int firstTile, int endTile, bool accumulateIntoC)
    {
        for (int depth = 0; depth < k; depth += DepthBlock)
        {
            int depthCount = Math.Min(DepthBlock, k - depth);
            bool accumulate = accumulateIntoC || depth > 0;
            for (int tile = firstTile; tile < endTile; tile++)
            {
                int panel = tile / rowBlocks, row = tile % rowBlocks * RowBlock, column = panel * ColumnBlock;
                float* aTile = a.Data + row * a.RowStride + depth * a.ColumnStride;
                float* bTile = b + depth * bRowStride + column;
                float* cTile = c + row * cRowStride + column;
                if (row + RowBlock <= m)
                {
                    Kernel<EightRows>(aTile, a.RowStride, a.ColumnStride, bTile, bRowStride, cTile, cRowStride, depthCount, accumulate);
                }
                else
                {
                    int r = row;
                    if (r + 4 <= m)
                    {
                        Kernel<FourRows>(aTile, a.RowStride, a.ColumnStride, bTile, bRowStride, cTile, cRowStride, depthCount, accumulate);
                        r += 4;
                        aTile += 4 * a.RowStride;
                        cTile += 4 * cRowStride;
                    }
                    for (; r < m; r++, aTile += a.RowStride, cTile += cRowStride)
                        Kernel<OneRow>(aTile, a.RowStride, a.ColumnStride, bTile, bRowStride, cTile, cRowStride, depthCount, accumulate);
                }
            }
        }
    }

    /// <summary>Columns of C <see cref="WideRowKernel"/> computes: four column blocks.</summary>
    private const int WideColumns = 4 * ColumnBlock;

    /// <summary>
    /// The product for fewer than four rows (one row: single-row scoring's recurrent product h·W_hh^T): each row alone,
    /// <see cref="WideColumns"/> columns at a time (<see cref="WideRowKernel"/>), the rest as the tiles do. The same depth
    /// blocks and the same order of operations as the tiles, so a row's result does not depend on how many rows the call has.
    /// </summary>
    private static void RunFewRows(StridedMatrix a, float* b, long bRowStride, float* c, long cRowStride, int m, int k, int n, bool accumulateIntoC)
    {
        for (int depth = 0; depth < k; depth += DepthBlock)
        {
            int depthCount = Math.Min(DepthBlock, k - depth);
            bool accumulate = accumulateIntoC || depth > 0;
            float* bDepth = b + depth * bRowStride;
            for (int row = 0; row < m; row++)
            {
                float* aRow = a.Data + row * a.RowStride + depth * a.ColumnStride;
                float* cRow = c + row * cRowStride;
                int column = 0;
                for (; column + WideColumns <= n; column += WideColumns)
                    WideRowKernel(aRow, a.ColumnStride, bDepth + column, bRowStride, cRow + column, depthCount, accumulate);
                for (; column < n; column += ColumnBlock)
                    Kernel<OneRow>(aRow, a.RowStride, a.ColumnStride, bDepth + column, bRowStride, cRow + column, cRowStride, depthCount, accumulate);
            }
        }
    }

    /// <summary>
    /// One row of C[0, 0..128) (+)= A[0, 0..depth)·B[0..depth, 0..128) in 8 zmm accumulators: a single row's two
    /// accumulators in <see cref="Kernel{TRows}"/> leave the FMA units waiting on their latency; eight independent
    /// chains keep them busy. Each element's chain is the tiles' own (the same products, added in the same order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideRowKernel(float* a, long acs, float* b, long brs, float* c, int depth, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int kk = 0; kk < depth; kk++)
        {
            var x = Vector512.Create(a[kk * acs]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
            c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 32), c2);
            c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 48), c3);
            c4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 64), c4);
            c5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 80), c5);
            c6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 96), c6);
            c7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + 112), c7);
            b += brs;
        }

        Store(c, c0, c1, accumulate);
        Store(c + 32, c2, c3, accumulate);
        Store(c + 64, c4, c5, accumulate);
        Store(c + 96, c6, c7, accumulate);
    }

    /// <summary>How many rows of C a micro-kernel call computes: a type, so that the JIT compiles one loop per count.</summary>
    private interface IRowCount
    {
        static abstract int Rows { get; }
    }

    /// <summary>A full row block.</summary>
    private readonly struct EightRows : IRowCount
    {
        public static int Rows => 8;
    }

    /// <summary>
    /// Four of the last rows when m is not a multiple of 8 (m = 28 time steps in single-row scoring, I = 28 in a first
    /// layer's dW): eight independent accumulators keep both FMA units busy, which one row's two cannot.
    /// </summary>
    private readonly struct FourRows : IRowCount
    {
        public static int Rows => 4;
    }

    /// <summary>One remaining row.</summary>
    private readonly struct OneRow : IRowCount
    {
        public static int Rows => 1;
    }

    /// <summary>
    /// C[0..R, 0..32) (+)= A[0..R, 0..depth)·B[0..depth, 0..32) in 2·R zmm accumulators, R = <typeparamref name="TRows"/>.Rows;
    /// the row guards are constants per instantiation, so each count compiles to straight-line code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows>(float* a, long ars, long acs, float* b, long brs, float* c, long crs, int depth, bool accumulate)
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        float* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars, a4 = a + 4 * ars, a5 = a + 5 * ars, a6 = a + 6 * ars, a7 = a + 7 * ars;
        for (int kk = 0; kk < depth; kk++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += brs;
            long o = kk * acs;
            var x = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (TRows.Rows >= 4)
            {
                x = Vector512.Create(a1[o]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(a2[o]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(a3[o]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            }
            if (TRows.Rows == 8)
            {
                x = Vector512.Create(a4[o]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(a5[o]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                x = Vector512.Create(a6[o]);
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
                x = Vector512.Create(a7[o]);
                c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            }
        }

        Store(c, c00, c01, accumulate);
        if (TRows.Rows >= 4)
        {
            Store(c + crs, c10, c11, accumulate);
            Store(c + 2 * crs, c20, c21, accumulate);
            Store(c + 3 * crs, c30, c31, accumulate);
        }
        if (TRows.Rows == 8)
        {
            Store(c + 4 * crs, c40, c41, accumulate);
            Store(c + 5 * crs, c50, c51, accumulate);
            Store(c + 6 * crs, c60, c61, accumulate);
            Store(c + 7 * crs, c70, c71, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> low, Vector512<float> high, bool accumulate)
    {
        if (accumulate)
        {
            low += Vector512.Load(c);
            high += Vector512.Load(c + 16);
        }

        low.Store(c);
        high.Store(c + 16);
    }
}
