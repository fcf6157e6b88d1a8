using System.Diagnostics;
using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Sru.Benchmarks;

/// <summary>
/// Whether a bf16-input, fp32-accumulate GEMM could speed up the SRU's training step: each product of one step at the
/// blog's shape (B=128, T=28, I=28, H=128, 2 layers), as the fused step runs it, timed on <see cref="Sgemm512"/> (fp32)
/// and on libtorch's matmul in fp32 and in bf16 (oneDNN's AVX-512 BF16 kernels), with and without the fp32↔bf16
/// conversions such a path needs; against the whole step's time, for the share an infinitely fast GEMM could save.
/// .NET 10 has no AVX-512 BF16 intrinsics (no vdpbf16ps in System.Runtime.Intrinsics.X86), so libtorch is the route
/// that exists.
/// </summary>
internal static class Bf16GemmBenchmark
{
    /// <summary>One product class of the step: C[m, n] = A[m, k]·B[k, n], <see cref="Calls"/> times per part, on <see cref="Parts"/> threads at once.</summary>
    public sealed record Product(string Name, int M, int K, int N, int Calls, int Parts);

    /// <summary>
    /// Milliseconds per step: <see cref="Sgemm512Ms"/> as the step runs it (a forward product on both cores); the others
    /// with one thread per part (a forward product on one thread, libtorch held to one thread as the trainer holds it),
    /// so that their ratios compare the kernels core for core.
    /// </summary>
    /// <remarks><see cref="Sgemm512FastestMs"/>: the fastest repeat as run, for the share on an uncontended machine.</remarks>
    public sealed record ProductFigures(string Name, int M, int K, int N, int CallsPerStep, double Sgemm512Ms, double Sgemm512FastestMs, double Sgemm512OneThreadMs,
        double TorchFp32Ms, double TorchBf16Ms, double TorchBf16WithConversionsMs, double Bf16MaxRelativeError);

    /// <summary>
    /// The products of one step. The forward U = X·W runs once per layer over all T·B rows on both cores; the backward's
    /// products run inside the recurrence backward, per part of the batch (one part per core), step by step:
    /// dX = dU·W^T per step (not in the first layer) and dW = X^T·dU over chunks of 128 rows.
    /// The last layer's steps before the last need only z and f (2·H columns).
    /// </summary>
    public static Product[] StepProducts()
    {
        int b = StepBenchmark.Batch, t = StepBenchmark.Steps, i = StepBenchmark.StepSize, h = StepBenchmark.Hidden, parts = Math.Min(Environment.ProcessorCount, b);
        int partRows = b / parts, chunkRows = (ProjectionGradientSink.MinimumChunkRows + partRows - 1) / partRows * partRows;
        int layer0Chunks = (t * partRows + chunkRows - 1) / chunkRows, layer1Chunks = ((t - 1) * partRows + chunkRows - 1) / chunkRows;
        return
        [
            new("forward layer 1 U = X·W", t * b, i, 4 * h, 1, 1),
            new("forward layer 2 U = X·W (z, f)", (t - 1) * b, h, 2 * h, 1, 1),
            new("forward layer 2 U = X·W (last step)", b, h, 3 * h, 1, 1),
            new("backward layer 1 dW chunk", i, chunkRows, 4 * h, layer0Chunks, parts),
            new("backward layer 2 dX step (z, f)", partRows, 2 * h, h, t - 1, parts),
            new("backward layer 2 dX last step", partRows, 3 * h, h, 1, parts),
            new("backward layer 2 dW chunk (z, f)", h, chunkRows, 2 * h, layer1Chunks, parts),
            new("backward layer 2 dW last step", h, partRows, 3 * h, 1, parts),
        ];
    }

    public static unsafe ProductFigures Measure(Product p, int repeats)
    {
        torch.manual_seed(7);
        using var a = torch.randn(p.M, p.K);
        using var b = torch.randn(p.K, p.N);
        using var c = torch.empty(p.M, p.N);
        using var aBf16 = a.to(ScalarType.BFloat16);
        using var bBf16 = b.to(ScalarType.BFloat16);
        float* ap = TensorMemory.Pointer(a), bp = TensorMemory.Pointer(b), cp = TensorMemory.Pointer(c);

        // Each part's calls on its own thread, as in the step, libtorch held to one thread meanwhile.
        var (sgemm, sgemmFastest) = Times(p, repeats, () => Sgemm512.Multiply(new StridedMatrix(ap, p.K, 1), new StridedMatrix(bp, p.N, 1), cp, p.M, p.K, p.N, singleThreaded: p.Parts > 1));
        double sgemmOne = Time(p, repeats, () => Sgemm512.Multiply(new StridedMatrix(ap, p.K, 1), new StridedMatrix(bp, p.N, 1), cp, p.M, p.K, p.N, singleThreaded: true));
        double fp32 = Time(p, repeats, () => { using var r = a.matmul(b); });
        double bf16 = Time(p, repeats, () => { using var r = aBf16.matmul(bBf16); });
        double converted = Time(p, repeats, () =>
        {
            using var x = a.to(ScalarType.BFloat16);
            using var w = b.to(ScalarType.BFloat16);
            using var r = x.matmul(w);
            using var f = r.to(ScalarType.Float32);
        });

        using var exact = a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64));
        using var approx = aBf16.matmul(bBf16).to(ScalarType.Float64);
        double error = ((approx - exact).abs().max() / exact.abs().max()).item<double>();
        return new ProductFigures(p.Name, p.M, p.K, p.N, p.Calls * p.Parts, sgemm, sgemmFastest, sgemmOne, fp32, bf16, converted, error);
    }

    private static double Time(Product p, int repeats, Action call) => Times(p, repeats, call).Median;

    /// <summary>Median and fastest milliseconds of one step's worth of this product: all its calls, the parts' threads in parallel.</summary>
    private static (double Median, double Fastest) Times(Product p, int repeats, Action call)
    {
        var times = new List<double>();
        for (int r = 0; r < repeats + 3; r++)
        {
            using var single = TorchThreads.SingleThreaded();
            var clock = Stopwatch.StartNew();
            if (p.Parts == 1)
            {
                for (int i = 0; i < p.Calls; i++)
                    call();
            }
            else
            {
                KernelThreads.For(p.Parts, _ =>
                {
                    for (int i = 0; i < p.Calls; i++)
                        call();
                });
            }
            if (r >= 3)
                times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return (Statistics.Median(times), times.Min());
    }

    /// <summary>A large square product in fp32 and in bf16 through libtorch: whether oneDNN's BF16 kernels run at all here.</summary>
    public static (double Fp32Gflops, double Bf16Gflops) Square(int n = 2048, int repeats = 10)
    {
        using var a = torch.rand(n, n);
        using var b = torch.rand(n, n);
        using var a16 = a.to(ScalarType.BFloat16);
        using var b16 = b.to(ScalarType.BFloat16);
        double Gflops(Tensor x, Tensor y)
        {
            var times = new List<double>();
            for (int i = 0; i < repeats + 2; i++)
            {
                var clock = Stopwatch.StartNew();
                using var c = torch.mm(x, y);
                _ = c[0, 0].to(ScalarType.Float32).item<float>();
                if (i >= 2)
                    times.Add(clock.Elapsed.TotalSeconds);
            }
            return 2.0 * n * n * n / Statistics.Median(times) / 1e9;
        }
        return (Gflops(a, b), Gflops(a16, b16));
    }

    /// <summary>
    /// Milliseconds of the managed scorer's products for <paramref name="rows"/> sequences on one thread (T = 28, I = 28,
    /// H = 128, <paramref name="layers"/> layers, as <see cref="Microsoft.ML.Sru.Model.SruInference"/> runs them: one
    /// product per layer, the last layer's steps before the last with z and f only), on Sgemm512 and on libtorch bf16.
    /// </summary>
    public static unsafe (double Sgemm512Ms, double TorchBf16Ms) ScorerProducts(int rows, int layers, int repeats = 200)
    {
        int t = StepBenchmark.Steps, i = StepBenchmark.StepSize, h = StepBenchmark.Hidden;
        var shapes = new List<(int M, int K, int N)>();
        for (int layer = 0; layer < layers; layer++)
        {
            int inner = layer == 0 ? i : h, width = (layer == 0 ? 4 : 3) * h;
            if (layer == layers - 1)
            {
                shapes.Add(((t - 1) * rows, inner, 2 * h));
                shapes.Add((rows, inner, width));
            }
            else
            {
                shapes.Add((t * rows, inner, width));
            }
        }
        double sgemm = 0, bf16 = 0;
        using var single = TorchThreads.SingleThreaded();
        foreach (var (m, k, n) in shapes)
        {
            using var a = torch.randn(m, k);
            using var b = torch.randn(k, n);
            using var c = torch.empty(m, n);
            using var a16 = a.to(ScalarType.BFloat16);
            using var b16 = b.to(ScalarType.BFloat16);
            float* ap = TensorMemory.Pointer(a), bp = TensorMemory.Pointer(b), cp = TensorMemory.Pointer(c);
            sgemm += Median(repeats, () => Sgemm512.Multiply(new StridedMatrix(ap, k, 1), new StridedMatrix(bp, n, 1), cp, m, k, n, singleThreaded: true));
            bf16 += Median(repeats, () => { using var r = a16.matmul(b16); });
        }
        return (sgemm, bf16);
    }

    private static double Median(int repeats, Action call)
    {
        var times = new List<double>();
        for (int r = 0; r < repeats + 10; r++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            if (r >= 10)
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Statistics.Median(times);
    }
}
