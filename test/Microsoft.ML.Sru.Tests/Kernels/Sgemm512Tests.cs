using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

/// <summary>The AVX-512 SGEMM and its autograd function, held to libtorch's float64 matmul.</summary>
[TestClass]
public sealed class Sgemm512Tests
{
    // Sums of up to a few thousand products of N(0, 1) values, in float32 with a different summation order.
    private const double Atol = 2e-4, Rtol = 1e-4;

    [TestInitialize]
    public void RequireAvx512()
    {
        if (!Sgemm512.IsSupported)
            Assert.Inconclusive("This machine has no AVX-512; FusedMatMul uses libtorch's matmul instead.");
    }

    [TestMethod]
    // m: below, at and past the 8-row block; n: 32-multiples and tails; k: past the 256-deep pass.
    [DataRow(1, 1, 1)]
    [DataRow(7, 5, 33)]
    [DataRow(8, 28, 32)]
    [DataRow(17, 130, 96)]
    [DataRow(3584, 28, 512)]
    [DataRow(200, 300, 384)]
    [DataRow(29, 600, 17)]
    // Fewer than 4 rows (one row at a time, 128 columns at once): a whole number of 128s, and 32-column panels past them.
    [DataRow(1, 128, 512)]
    [DataRow(3, 600, 160)]
    [DataRow(2, 40, 99)]
    public void Products_match_libtorch_for_plain_and_transposed_operands(int m, int k, int n)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(42);
        Tensor a = randn(new long[] { m, k }, generator: g), b = randn(new long[] { k, n }, generator: g);
        // The same values stored transposed, read through strides.
        Tensor aT = a.t().contiguous(), bT = b.t().contiguous();
        Tensor expected = a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64)).to(ScalarType.Float32);

        foreach (var (name, left, leftT, right, rightT) in new[] { ("A·B", a, false, b, false), ("A^T stored·B", aT, true, b, false), ("A·B^T stored", a, false, bT, true), ("both stored transposed", aT, true, bT, true) })
        {
            string? mismatch = TensorComparison.Mismatch(name, expected, Multiply(left, leftT, right, rightT, m, k, n), Atol, Rtol);
            Assert.IsNull(mismatch, mismatch);
        }
    }

    [TestMethod]
    // n: a 32-multiple (in place) and a tail (through the padded buffer); m: a whole and a partial row block.
    [DataRow(28, 64, 512, false)]
    [DataRow(13, 300, 99, true)]
    [DataRow(64, 384, 128, true)]
    [DataRow(1, 300, 384, false)]
    public void Accumulating_adds_the_product_to_what_c_holds(int m, int k, int n, bool singleThreaded)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        Tensor a = randn(new long[] { m, k }, generator: g), b = randn(new long[] { k, n }, generator: g), c0 = randn(new long[] { m, n }, generator: g);
        Tensor expected = (c0.to(ScalarType.Float64) + a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64))).to(ScalarType.Float32);
        Tensor c = c0.clone();
        unsafe
        {
            fixed (byte* ap = a.bytes, bp = b.bytes, cp = c.bytes)
                Sgemm512.Multiply(new StridedMatrix((float*)ap, k, 1), new StridedMatrix((float*)bp, n, 1), (float*)cp, m, k, n, singleThreaded, accumulate: true);
        }

        Assert.IsNull(TensorComparison.Mismatch("C + A·B", expected, c, Atol, Rtol));
    }

    [TestMethod]
    // n: a 32-multiple (in place) and a tail (through the padded buffer); k = 0 clears the rows only.
    [DataRow(27, 128, 256, 384, false)]
    [DataRow(9, 30, 40, 64, true)]
    [DataRow(5, 0, 32, 48, false)]
    [DataRow(1, 128, 512, 1536, true)]
    public void A_row_stride_for_c_writes_its_rows_there_and_leaves_the_columns_between_untouched(int m, int k, int n, int cRowStride, bool accumulate)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        Tensor a = randn(new long[] { m, k }, generator: g), b = randn(new long[] { k, n }, generator: g), wide = randn(new long[] { m, cRowStride }, generator: g);
        Tensor product = a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64)).to(ScalarType.Float32);
        Tensor expected = wide.clone();
        expected[.., ..n] = accumulate ? wide[.., ..n] + product : product;
        Tensor c = wide.clone();
        unsafe
        {
            fixed (byte* ap = a.bytes, bp = b.bytes, cp = c.bytes)
                Sgemm512.Multiply(new StridedMatrix((float*)ap, k, 1), new StridedMatrix((float*)bp, n, 1), (float*)cp, m, k, n, accumulate: accumulate, cRowStride: cRowStride);
        }
        string? mismatch = TensorComparison.Mismatch("C with a row stride", expected, c, Atol, Rtol);
        Assert.IsNull(mismatch, mismatch);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void A_rows_product_is_the_same_to_the_bit_in_a_call_of_any_number_of_rows(bool accumulate)
    {
        // 29 rows: 8-row blocks, a 4-row block and single rows in one call; alone, each row takes the few-rows path.
        // k past the 256-deep pass; n: 128 columns at once and a 32-column panel.
        const int m = 29, k = 300, n = 160;
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        float[] a = randn(new long[] { m, k }, generator: g).data<float>().ToArray(), b = randn(new long[] { k, n }, generator: g).data<float>().ToArray();
        float[] c0 = randn(new long[] { m, n }, generator: g).data<float>().ToArray();
        float[] together = c0.ToArray(), alone = c0.ToArray();
        unsafe
        {
            fixed (float* ap = a, bp = b, tp = together, sp = alone)
            {
                Sgemm512.Multiply(new StridedMatrix(ap, k, 1), new StridedMatrix(bp, n, 1), tp, m, k, n, singleThreaded: true, accumulate);
                for (int row = 0; row < m; row++)
                    Sgemm512.Multiply(new StridedMatrix(ap + row * k, k, 1), new StridedMatrix(bp, n, 1), sp + row * n, 1, k, n, singleThreaded: true, accumulate);
            }
        }
        CollectionAssert.AreEqual(together, alone);
    }

    [TestMethod]
    public void A_wrong_element_is_caught_by_the_comparison()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        Tensor a = randn(new long[] { 9, 40 }, generator: g), b = randn(new long[] { 40, 33 }, generator: g);
        Tensor actual = Multiply(a, false, b, false, 9, 40, 33);
        actual[4, 20] = actual[4, 20] + 1e-2f;
        Assert.IsNotNull(TensorComparison.Mismatch("perturbed", a.matmul(b), actual, Atol, Rtol));
    }

    [TestMethod]
    [DataRow(28, 7, 28, 96, true)]
    [DataRow(5, 3, 17, 33, true)]
    [DataRow(28, 16, 128, 384, false)]
    public void Gradients_match_libtorch_autograd(int steps, int batch, int inputs, int columns, bool inputNeedsGradient)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        Tensor x = randn(new long[] { steps * batch, inputs }, generator: g).requires_grad_(inputNeedsGradient);
        Tensor w = randn(new long[] { inputs, columns }, generator: g).requires_grad_(true);
        Tensor weights = randn(new long[] { steps * batch, columns }, generator: g);

        Tensor fused = FusedMatMul.Multiply(x, w);
        (fused * weights).sum().backward();
        Tensor fusedGradW = w.grad!.clone(), fusedGradX = inputNeedsGradient ? x.grad!.clone() : empty(0);
        w.grad!.zero_();
        if (inputNeedsGradient)
            x.grad!.zero_();

        Tensor reference = x.matmul(w);
        (reference * weights).sum().backward();

        Assert.IsNull(TensorComparison.Mismatch("U", reference, fused, Atol, Rtol));
        Assert.IsNull(TensorComparison.Mismatch("dW", w.grad!, fusedGradW, Atol, Rtol));
        if (inputNeedsGradient)
            Assert.IsNull(TensorComparison.Mismatch("dX", x.grad!, fusedGradX, Atol, Rtol));
        else
            Assert.IsNull(x.grad, "no gradient for an input that does not require one");
    }

    private static unsafe Tensor Multiply(Tensor left, bool leftStoredTransposed, Tensor right, bool rightStoredTransposed, int m, int k, int n)
    {
        Tensor c = empty(m, n);
        fixed (byte* lp = left.bytes, rp = right.bytes, cp = c.bytes)
        {
            // Stored transposed, A is [k, m] and B is [n, k] in memory.
            var a = leftStoredTransposed ? new StridedMatrix((float*)lp, m, 1).Transposed : new StridedMatrix((float*)lp, k, 1);
            var b = rightStoredTransposed ? new StridedMatrix((float*)rp, k, 1).Transposed : new StridedMatrix((float*)rp, n, 1);
            Sgemm512.Multiply(a, b, (float*)cp, m, k, n);
        }

        return c;
    }
}
