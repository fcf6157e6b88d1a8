using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Sru;
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
    /// <summary>
    /// The whole comparison, printed, for <c>--bf16-gemm</c>: whether bf16 products (fp32 accumulation) could make the SRU
    /// step ≥ 1.5× faster, each product timed as the step runs it; then the same question for the managed scorer.
    /// </summary>
    public static object Run()
    {
        Console.WriteLine($"SRU step's products at B={StepBenchmark.Batch}, T={StepBenchmark.Steps}, I={StepBenchmark.StepSize}, H={StepBenchmark.Hidden}, {StepBenchmark.Layers} layers " +
            $"(ms per step, median of 3 rounds of 15); load average {PageFaults.LoadAverage()}, glibc default allocator:");
        if (double.TryParse(PageFaults.LoadAverage().Split(' ')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load)
            && load > 2 * Environment.ProcessorCount)
        {
            Console.WriteLine("  (load above twice the cores: medians will hold scheduler stalls; read the fastest samples)");
        }
        // The instruction's own rate: the most a bf16 kernel could gain over an fp32 one on this CPU.
        double? instructionGain = null;
        if (Bf16InstructionRate.IsSupported)
        {
            var (fmaNs, bf16Ns) = Bf16InstructionRate.Measure();
            // vdpbf16ps does 32 multiply-adds (16 lanes × 2 pairs), vfmadd231ps 16.
            instructionGain = 2 * fmaNs / bf16Ns;
            Console.WriteLine($"  one core, register to register: vfmadd231ps zmm {fmaNs:F3} ns, vdpbf16ps zmm {bf16Ns:F3} ns per instruction: " +
                $"bf16 multiply-adds at {instructionGain:F2}× fp32's rate");
        }
        else
        {
            Console.WriteLine("  this CPU reports no AVX-512 BF16 (or this is not Linux x64): instruction rate not measured");
        }
        var (squareFp32, squareBf16, squareSgemm) = Square();
        Console.WriteLine($"  2048² product: libtorch fp32 {squareFp32:F1} GFLOP/s, libtorch bf16 {squareBf16:F1} GFLOP/s ({squareBf16 / squareFp32:F2}×), " +
            $"Sgemm512 fp32 {squareSgemm:F1} GFLOP/s (libtorch bf16 {squareBf16 / squareSgemm:F2}× of it)");
        // Step and products measured in turn, three rounds, so that the machine's load drifts over both alike.
        var roundSteps = new List<double[]>();
        var stepSamples = new List<double>();
        var rounds = new List<ProductFigures[]>();
        for (int round = 0; round < 3; round++)
        {
            roundSteps.Add(StepBenchmark.FusedPhaseMilliseconds(warmup: round == 0 ? 40 : 10, repeats: 60));
            stepSamples.AddRange(StepBenchmark.FusedStepMilliseconds(warmup: 5, repeats: 60));
            rounds.Add(StepProducts().Select(p => Measure(p, 15)).ToArray());
        }
        double[] phases = Enumerable.Range(0, 3).Select(k => Statistics.Median(roundSteps.Select(r => r[k]).ToList())).ToArray();
        double step = phases.Sum();
        Console.WriteLine($"  fused step per round: {string.Join(", ", roundSteps.Select(r => $"{r.Sum():F2}"))} ms");
        var products = Enumerable.Range(0, rounds[0].Length).Select(k =>
        {
            double Med(Func<ProductFigures, double> pick) => Statistics.Median(rounds.Select(r => pick(r[k])).ToList());
            return rounds[0][k] with
            {
                Sgemm512Ms = Med(f => f.Sgemm512Ms), Sgemm512FastestMs = rounds.Min(r => r[k].Sgemm512FastestMs), Sgemm512OneThreadMs = Med(f => f.Sgemm512OneThreadMs), TorchFp32Ms = Med(f => f.TorchFp32Ms),
                TorchBf16Ms = Med(f => f.TorchBf16Ms), TorchBf16WithConversionsMs = Med(f => f.TorchBf16WithConversionsMs),
            };
        }).ToArray();
        Console.WriteLine($"  {"product",-38} {"m×k×n",-14} {"calls",5} {"Sgemm512",9} {"1 thread:",9} {"Sgemm512",9} {"torch fp32",10} {"torch bf16",10} {"bf16+conv",9} {"bf16 err",9}");
        foreach (var f in products)
            Console.WriteLine($"  {f.Name,-38} {$"{f.M}×{f.K}×{f.N}",-14} {f.CallsPerStep,5} {f.Sgemm512Ms,9:F3} {"",9} {f.Sgemm512OneThreadMs,9:F3} {f.TorchFp32Ms,10:F3} {f.TorchBf16Ms,10:F3} {f.TorchBf16WithConversionsMs,9:F3} {f.Bf16MaxRelativeError,9:E1}");
        // The step's products as run, scaled by libtorch bf16's time over Sgemm512's, core for core.
        double sgemm = products.Sum(f => f.Sgemm512Ms);
        double bf16 = products.Sum(f => f.Sgemm512Ms * f.TorchBf16Ms / f.Sgemm512OneThreadMs);
        double converted = products.Sum(f => f.Sgemm512Ms * f.TorchBf16WithConversionsMs / f.Sgemm512OneThreadMs);
        double bound = step / (step - sgemm / 2);
        Console.WriteLine($"  sum: Sgemm512 {sgemm:F2} ms as run; scaled to torch bf16 {bf16:F2} ms, with conversions {converted:F2} ms; fused step {step:F2} ms " +
            $"(products {sgemm / step:P0} of it)");
        Console.WriteLine($"  step with every product at twice Sgemm512's speed: {step - sgemm / 2:F2} ms ({bound:F2}×); " +
            $"with torch bf16 in place of Sgemm512: {step - sgemm + bf16:F2} ms ({step / (step - sgemm + bf16):F2}×), with conversions {step / (step - sgemm + converted):F2}×; " +
            $"no products at all: {step / (step - sgemm):F2}×; load average now {PageFaults.LoadAverage()}");
        // Under load a step suffers more than its products timed alone (28 thread hand-offs a layer), so the share is also
        // taken from the fastest step and the fastest repeat of each product: the machine at its least contended.
        double fastestStep = stepSamples.Min(), fastestProducts = products.Sum(f => f.Sgemm512FastestMs);
        Console.WriteLine($"  fastest: step {fastestStep:F2} ms (median of whole steps {Statistics.Median(stepSamples):F2} ms), products {fastestProducts:F2} ms " +
            $"({fastestProducts / fastestStep:P0}); every product twice as fast then: {fastestStep / (fastestStep - fastestProducts / 2):F2}×");
        if (instructionGain is double gain)
        {
            Console.WriteLine($"  every product at the instruction's {gain:F2}× (no conversions, no overheads): {step / (step - sgemm * (1 - 1 / gain)):F2}× on the medians, " +
                $"{fastestStep / (fastestStep - fastestProducts * (1 - 1 / gain)):F2}× on the fastest samples");
        }
        // 1.5× needs step − sgemm·(1 − 1/r) ≤ step/1.5: the products r times faster, r = 1 / (1 − step / (3·sgemm)), impossible when sgemm ≤ step/3.
        double needed = sgemm > step / 3 ? 1 / (1 - step / (3 * sgemm)) : double.PositiveInfinity;
        Console.WriteLine($"  a 1.5× faster step needs the products {(double.IsInfinity(needed) ? "to take less than no time (they are under a third of the step)" : $"{needed:F2}× faster than Sgemm512")}");

        // Scoring: the managed scorer's products against its measured speed (a batch of 128 is split over the cores).
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 6000);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
        int layers = Defaults.SruNumberOfLayers;
        ITransformer scoringModel = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { MaxEpoch = 1 })).Fit(train);
        var scoringRounds = new List<object>();
        for (int round = 0; round < 2; round++)
        {
            double rowsPerSecond = MnistBenchmark.ScoringRowsPerSecond(scoringModel, test);
            var (p50, _) = MnistBenchmark.PredictionLatency(ml, scoringModel, test);
            int partRows = RecurrentPredictionTransformer.BatchSize / Math.Min(Environment.ProcessorCount, RecurrentPredictionTransformer.BatchSize);
            var (batchSgemm, batchBf16) = ScorerProducts(partRows, layers, repeats: 50);
            var (rowSgemm, rowBf16) = ScorerProducts(1, layers);
            double perRowUs = 1e6 / rowsPerSecond, productsPerRowUs = batchSgemm * 1e3 / partRows / Math.Min(Environment.ProcessorCount, RecurrentPredictionTransformer.BatchSize);
            Console.WriteLine($"  scoring ({layers} × {StepBenchmark.Hidden} SRU, managed scorer), round {round + 1}: {rowsPerSecond:N0} rows/s = {perRowUs:F1} µs/row, " +
                $"its products {productsPerRowUs:F1} µs/row ({productsPerRowUs / perRowUs:P0}; torch bf16 / Sgemm512 at the {partRows}-row part: {batchBf16 / batchSgemm:F2}×); " +
                $"single row p50 {p50:F1} µs, its products {rowSgemm * 1e3:F1} µs ({rowSgemm * 1e3 / p50:P0}; torch bf16 / Sgemm512: {rowBf16 / rowSgemm:F2}×); load average {PageFaults.LoadAverage()}");
            scoringRounds.Add(new
            {
                rows_per_second = rowsPerSecond, products_us_per_row = productsPerRowUs, batch_part_torch_bf16_over_sgemm512 = batchBf16 / batchSgemm,
                predict_p50_us = p50, single_row_products_us = rowSgemm * 1e3, single_row_torch_bf16_over_sgemm512 = rowBf16 / rowSgemm,
            });
        }
        (scoringModel as IDisposable)?.Dispose();
        return new
        {
            bf16_over_fp32_multiply_add_rate = instructionGain,
            scoring = scoringRounds,
            square_2048_gflops = new { torch_fp32 = squareFp32, torch_bf16 = squareBf16, sgemm512_fp32 = squareSgemm },
            fused_step_ms = step,
            fused_step_phases_ms = phases,
            fused_step_ms_per_round = roundSteps.Select(r => r.Sum()).ToArray(),
            fastest_step_ms = fastestStep,
            fastest_products_ms = fastestProducts,
            fastest_speedup_if_products_twice_as_fast = fastestStep / (fastestStep - fastestProducts / 2),
            products,
            sgemm512_ms = sgemm,
            torch_bf16_ms = bf16,
            torch_bf16_with_conversions_ms = converted,
            speedup_if_products_twice_as_fast = bound,
            speedup_with_torch_bf16 = step / (step - sgemm + bf16),
            speedup_with_torch_bf16_and_conversions = step / (step - sgemm + converted),
            speedup_without_products = step / (step - sgemm),
            product_speedup_needed_for_1_5x_step = double.IsInfinity(needed) ? (double?)null : needed,
        };
    }

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

    /// <summary>
    /// A large square product: libtorch fp32 and bf16 (whether oneDNN's BF16 kernels run here at all) and Sgemm512 fp32,
    /// in GFLOP/s.
    /// </summary>
    public static unsafe (double TorchFp32, double TorchBf16, double Sgemm512) Square(int n = 2048, int repeats = 10)
    {
        using var a = torch.rand(n, n);
        using var b = torch.rand(n, n);
        using var c = torch.empty(n, n);
        using var a16 = a.to(ScalarType.BFloat16);
        using var b16 = b.to(ScalarType.BFloat16);
        float* ap = TensorMemory.Pointer(a), bp = TensorMemory.Pointer(b), cp = TensorMemory.Pointer(c);
        double Gflops(Action call)
        {
            var times = new List<double>();
            for (int i = 0; i < repeats + 2; i++)
            {
                var clock = Stopwatch.StartNew();
                call();
                if (i >= 2)
                    times.Add(clock.Elapsed.TotalSeconds);
            }
            return 2.0 * n * n * n / Statistics.Median(times) / 1e9;
        }
        return (Gflops(() => { using var r = torch.mm(a, b); }), Gflops(() => { using var r = torch.mm(a16, b16); }),
            Gflops(() => Sgemm512.Multiply(new StridedMatrix(ap, n, 1), new StridedMatrix(bp, n, 1), cp, n, n, n)));
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
