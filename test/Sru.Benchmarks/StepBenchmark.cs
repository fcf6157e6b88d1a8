using System.Diagnostics;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Sru.Benchmarks;

/// <summary>Milliseconds per training step (forward, backward, clipping, Adam) at the blog's configuration.</summary>
internal static class StepBenchmark
{
    public const int Batch = 128, Steps = 28, StepSize = 28, Hidden = 128, Layers = 2, Classes = 10;

    public static double MedianStepMilliseconds(RecurrentCellKind cell, ISruRecurrence? recurrence, int warmup, int repeats)
    {
        torch.manual_seed(1);
        using var network = new NetworkSpec(cell, Steps, StepSize, Hidden, Layers, Classes, UseHighway: true).Build();
        if (recurrence is not null)
        {
            foreach (SruLayer layer in network.SruLayers)
                layer.Recurrence = recurrence;
        }
        var parameters = network.parameters().ToArray();
        using var optimizer = optim.Adam(parameters, 0.005);
        using var x = torch.rand(Batch, Steps * StepSize);
        using var y = torch.randint(0, Classes, new long[] { Batch }, dtype: ScalarType.Int64);
        var times = new List<double>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                Tensor loss = nn.functional.cross_entropy(network.forward(x), y);
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
                _ = loss.item<float>();
            }
            if (i >= warmup)
                times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Statistics.Median(times);
    }

    /// <summary>GEMM floating-point operations of one SRU training step: forward U = X·W per layer, and twice that backward.</summary>
    public static double SruGemmFlops()
    {
        double flops = 0;
        for (int layer = 0; layer < Layers; layer++)
        {
            int input = layer == 0 ? StepSize : Hidden;
            int blocks = input != Hidden ? 4 : 3;
            flops += 2.0 * Steps * Batch * input * blocks * Hidden;
        }
        return 3 * flops;
    }

    /// <summary>A large square SGEMM through libtorch, as the machine's practical peak.</summary>
    public static double SgemmGflops(int n = 2048, int repeats = 10)
    {
        using var a = torch.rand(n, n);
        using var b = torch.rand(n, n);
        var times = new List<double>();
        for (int i = 0; i < repeats + 2; i++)
        {
            var clock = Stopwatch.StartNew();
            using var c = torch.mm(a, b);
            _ = c[0, 0].item<float>();
            if (i >= 2)
                times.Add(clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / Statistics.Median(times) / 1e9;
    }

    public static ISruRecurrence Fused => FusedSruRecurrence.Instance;

    public static ISruRecurrence Reference => SruRecurrence.Reference;
}
