using System.Diagnostics;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Trainers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sru.Benchmarks;

/// <summary>Milliseconds per training step (forward, backward, clipping, Adam) at the blog's configuration.</summary>
internal static class StepBenchmark
{
    public const int Batch = 128, Steps = 28, StepSize = 28, Hidden = 128, Layers = 2, Classes = 10;

    /// <summary>One network, its optimizer and a fixed batch, ready to take timed steps.</summary>
    private sealed class Trainee : IDisposable
    {
        private readonly SequenceClassifier _network;
        private readonly Parameter[] _parameters;
        private readonly ParameterUpdate _update;
        private readonly Tensor _x, _y;
        private readonly bool _ownThreads;
        private readonly IDisposable? _pool;

        private readonly bool _rnnReference;

        /// <summary>
        /// An SRU with <paramref name="recurrence"/>, or (null) an LSTM/GRU: on the fused layers where they apply, on
        /// nn.LSTM/nn.GRU with <paramref name="rnnReference"/>.
        /// </summary>
        public Trainee(RecurrentCellKind cell, ISruRecurrence? recurrence, bool rnnReference = false)
        {
            torch.manual_seed(1);
            _network = new NetworkSpec(cell, Steps, StepSize, Hidden, Layers, Classes).Build();
            if (recurrence is not null)
            {
                foreach (SruLayer layer in _network.SruLayers)
                    layer.Recurrence = recurrence;
            }
            _rnnReference = rnnReference;
            bool fusedRnn = cell != RecurrentCellKind.Sru && !rnnReference && FusedRnnPath.AppliesTo(torch.CPU);
            _ownThreads = (recurrence is FusedSruRecurrence || fusedRnn) && Sgemm512.IsSupported;
            // As the trainer runs it: the fused kernels' tensors pooled for the length of the run.
            _pool = recurrence is FusedSruRecurrence || fusedRnn ? TensorPool.Open() : null;
            _parameters = _network.parameters().ToArray();
            // The trainer's update (clipping at 1.0, then Adam) for every network alike.
            _update = ParameterUpdate.Create(_parameters, 0.005, weightDecay: 0, clipNorm: 1.0);
            _x = torch.rand(Batch, Steps * StepSize);
            _y = torch.randint(0, Classes, new long[] { Batch }, dtype: ScalarType.Int64);
        }

        public double Step()
        {
            FusedRnnPath.ReferenceOnly.Value = _rnnReference;
            var clock = Stopwatch.StartNew();
            // As the trainer runs it (see TrainingLoop): libtorch single-threaded around the AVX-512 kernels.
            using (var threads = _ownThreads ? TorchThreads.SingleThreaded() : null)
            using (var scope = NewDisposeScope())
            {
                Tensor loss = nn.functional.cross_entropy(_network.forward(_x), _y);
                _update.ZeroGradients();
                loss.backward();
                _update.Step();
                _ = loss.item<float>();
            }
            return clock.Elapsed.TotalMilliseconds;
        }

        /// <summary>One step, timed phase by phase: forward and loss, backward, clipping and Adam.</summary>
        public double[] PhaseMilliseconds()
        {
            var phases = new double[3];
            var clock = Stopwatch.StartNew();
            using var threads = _ownThreads ? TorchThreads.SingleThreaded() : null;
            using var scope = NewDisposeScope();
            Tensor loss = nn.functional.cross_entropy(_network.forward(_x), _y);
            _ = loss.item<float>();
            phases[0] = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            _update.ZeroGradients();
            loss.backward();
            phases[1] = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            _update.Step();
            phases[2] = clock.Elapsed.TotalMilliseconds;
            return phases;
        }

        public void Dispose()
        {
            _update.Dispose();
            _pool?.Dispose();
            _network.Dispose();
            _x.Dispose();
            _y.Dispose();
        }
    }

    /// <summary>
    /// Median step times of fused SRU, reference SRU and the LSTM (on its fused layers where they apply), taken in turn
    /// in blocks of ten steps (so that the machine's state drifts over all three alike) after each has warmed up, JIT
    /// tiers included. The first two steps of each block are not counted: libtorch's OpenMP workers keep spinning for a
    /// while after the previous trainee's last op, which a real training run, one network at a time, never sees.
    /// </summary>
    public static (double Fused, double Reference, double Lstm) MedianStepMilliseconds(int warmup, int repeats)
    {
        const int Block = 10, Settling = 2;
        using var fused = new Trainee(RecurrentCellKind.Sru, Fused);
        using var reference = new Trainee(RecurrentCellKind.Sru, Reference);
        using var lstm = new Trainee(RecurrentCellKind.Lstm, null);
        var trainees = new[] { fused, reference, lstm };
        foreach (var trainee in trainees)
        {
            for (int i = 0; i < warmup; i++)
                trainee.Step();
        }
        var times = trainees.Select(_ => new List<double>()).ToArray();
        while (times[0].Count < repeats)
        {
            for (int k = 0; k < trainees.Length; k++)
            {
                for (int i = 0; i < Block; i++)
                {
                    double ms = trainees[k].Step();
                    if (i >= Settling)
                        times[k].Add(ms);
                }
            }
        }
        return (Statistics.Median(times[0]), Statistics.Median(times[1]), Statistics.Median(times[2]));
    }

    /// <summary>Median step time and minor page faults per step of one trainee.</summary>
    public sealed record StepFigures(string Name, double Milliseconds, double MinorFaults);

    /// <summary>
    /// LSTM and GRU steps, the fused layers against nn.LSTM/nn.GRU, taken in turn in blocks of ten as in
    /// <see cref="MedianStepMilliseconds"/>, with the minor page faults each step took (first touches of fresh memory).
    /// </summary>
    public static StepFigures[] RecurrentCellSteps(int warmup, int repeats)
    {
        const int Block = 10, Settling = 2;
        var named = new (string Name, Trainee Trainee)[]
        {
            ("LSTM fused", new Trainee(RecurrentCellKind.Lstm, null)),
            ("nn.LSTM", new Trainee(RecurrentCellKind.Lstm, null, rnnReference: true)),
            ("GRU fused", new Trainee(RecurrentCellKind.Gru, null)),
            ("nn.GRU", new Trainee(RecurrentCellKind.Gru, null, rnnReference: true)),
        };
        try
        {
            foreach (var (_, trainee) in named)
            {
                for (int i = 0; i < warmup; i++)
                    trainee.Step();
            }
            var times = named.Select(_ => new List<double>()).ToArray();
            var faults = named.Select(_ => new List<double>()).ToArray();
            while (times[0].Count < repeats)
            {
                for (int k = 0; k < named.Length; k++)
                {
                    for (int i = 0; i < Block; i++)
                    {
                        long before = PageFaults.Minor();
                        double ms = named[k].Trainee.Step();
                        long after = PageFaults.Minor();
                        if (i < Settling)
                            continue;
                        times[k].Add(ms);
                        faults[k].Add(after - before);
                    }
                }
            }
            return named.Select((n, k) => new StepFigures(n.Name, Statistics.Median(times[k]), Statistics.Median(faults[k]))).ToArray();
        }
        finally
        {
            FusedRnnPath.ReferenceOnly.Value = false;
            foreach (var (_, trainee) in named)
                trainee.Dispose();
        }
    }

    /// <summary>Median milliseconds of the fused SRU step's phases: forward + loss, backward, clipping + Adam.</summary>
    public static double[] FusedPhaseMilliseconds(int warmup, int repeats)
    {
        using var fused = new Trainee(RecurrentCellKind.Sru, Fused);
        var samples = Enumerable.Range(0, 3).Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < warmup + repeats; i++)
        {
            double[] phases = fused.PhaseMilliseconds();
            if (i >= warmup)
                for (int k = 0; k < 3; k++)
                    samples[k].Add(phases[k]);
        }
        return samples.Select(Statistics.Median).ToArray();
    }

    /// <summary>Every timed fused SRU step's milliseconds, after <paramref name="warmup"/> untimed ones.</summary>
    public static double[] FusedStepMilliseconds(int warmup, int repeats)
    {
        using var fused = new Trainee(RecurrentCellKind.Sru, Fused);
        for (int i = 0; i < warmup; i++)
            fused.Step();
        return Enumerable.Range(0, repeats).Select(_ => fused.Step()).ToArray();
    }

    /// <summary>
    /// GEMM floating-point operations of one SRU training step, counting only the products that run: forward
    /// U = X·W per layer, backward dW = X^T·dU per layer and dX = dU·W^T for every layer but the first (the
    /// network's input needs no gradient). In the last layer, whose h the head reads at the last step only, the steps
    /// before it compute and differentiate only the z and f blocks (2·H columns), so its products count those.
    /// </summary>
    public static double SruGemmFlops()
    {
        double flops = 0;
        for (int layer = 0; layer < Layers; layer++)
        {
            int input = layer == 0 ? StepSize : Hidden;
            int blocks = input != Hidden ? 4 : 3;
            double columnsPerRow = layer == Layers - 1
                ? ((Steps - 1) * 2.0 + blocks) * Hidden / Steps
                : blocks * Hidden;
            double product = 2.0 * Steps * Batch * input * columnsPerRow;
            flops += layer == 0 ? 2 * product : 3 * product;
        }
        return flops;
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
