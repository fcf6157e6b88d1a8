using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Tests.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>What the SRU options do to a layer beyond its equations: dropout in training only, and the initialisations.</summary>
[TestClass]
public sealed class SruLayerOptionsTests
{
    [TestMethod]
    public void The_layers_dropout_masks_repeat_with_their_seed_while_other_code_draws_from_libtorchs_generator()
    {
        using var scope = NewDisposeScope();
        using var layer = new SruLayer("dropped", 16, 16, dropout: 0.5f);
        layer.train();
        Tensor x = randn(5, 8, 16);
        using var noGrad = no_grad();
        layer.SeedDropout(3);
        Tensor alone = layer.forward(x);

        using var stop = new CancellationTokenSource();
        using var drawn = new ManualResetEventSlim();
        // Under TorchSeed's lock, as a training builds its network: the draws must not shift a parallel test's Fit.
        var drawing = Task.Run(() =>
        {
            for (int seed = 0; !stop.IsCancellationRequested; seed++)
            {
                using (TorchSeed.Seeded(seed))
                    rand(64).Dispose();
                drawn.Set();
            }
        });
        try
        {
            drawn.Wait();
            for (int repeat = 0; repeat < 50; repeat++)
            {
                layer.SeedDropout(3);
                Assert.IsTrue(alone.eq(layer.forward(x)).all().item<bool>(), $"repeat {repeat}");
            }
            layer.SeedDropout(4);
            Assert.IsFalse(alone.eq(layer.forward(x)).all().item<bool>(), "another seed, other masks");
        }
        finally
        {
            stop.Cancel();
            drawing.Wait();
        }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Dropout_masks_the_recurrent_term_per_sequence_and_unit_in_training_only(bool highway)
    {
        using var scope = NewDisposeScope();
        const int steps = 6, batch = 4, hidden = 33;
        const float p = 0.5f;
        var cell = SruCellSpec.Classic with { UseHighway = highway, UseCellStateWeights = true };
        manual_seed(1);
        using var plain = new SruLayer("plain", hidden, hidden, cell);
        manual_seed(1);
        using var dropped = new SruLayer("dropped", hidden, hidden, cell, dropout: p);
        using (no_grad())
        {
            foreach (var ((_, a), (_, b)) in plain.named_parameters().Zip(dropped.named_parameters()))
                b.copy_(a);
        }
        Tensor x = randn(steps, batch, hidden);
        using var noGrad = no_grad();

        plain.eval();
        dropped.eval();
        Tensor reference = plain.forward(x);
        TensorComparison.AssertClose("inference", reference, dropped.forward(x));

        dropped.train();
        Tensor trained = dropped.forward(x);
        // h = x + m⊙(h₀ − x) (h = m⊙h₀ without highway): the ratio to h₀'s recurrent term is the mask, 0 or 1/(1 − p),
        // the same at every step.
        Tensor skip = highway ? x : zeros_like(x);
        Tensor ratio = (trained - skip) / (reference - skip);
        Tensor first = ratio[0];
        Assert.IsTrue(first.eq(0).logical_or(first.sub(1 / (1 - p)).abs().lt(1e-4)).all().item<bool>(), "mask values");
        Assert.IsTrue((ratio - first).abs().max().item<float>() < 1e-3, "one mask for every step");
        double dropped0 = first.eq(0).to_type(ScalarType.Float32).mean().item<float>();
        Assert.IsTrue(dropped0 is > 0.3 and < 0.7, $"{dropped0:P0} of the units dropped at p = {p}");
    }

    [TestMethod]
    public void The_2017_form_starts_with_forget_bias_two_and_the_reset_bias_at_the_highway_bias()
    {
        using var layer = new SruLayer("layer", 6, 8, SruCellSpec.Classic with { HighwayBias = -1.5f });
        var p = Parameters(layer);
        Assert.IsFalse(p.ContainsKey("weight_c"));
        Assert.IsTrue(p["bias"][..8].All(v => v == 2f));
        Assert.IsTrue(p["bias"][8..].All(v => v == -1.5f));
        AssertUniform(p["weight"], Math.Sqrt(3.0 / 6));
    }

    [TestMethod]
    public void Cell_state_weights_start_with_the_official_initialisation()
    {
        const int input = 6, hidden = 40;
        var cell = SruCellSpec.Classic with { UseCellStateWeights = true, HighwayBias = -2, Rescale = true, Bidirectional = true };
        using var layer = new SruLayer("layer", input, hidden, cell, dropout: 0.36f);
        var p = Parameters(layer);
        int output = 2 * hidden;
        Assert.IsTrue(p["bias"][..output].All(v => v == 0f), "forget-gate bias 0");
        Assert.IsTrue(p["bias"][output..].All(v => v == -2f), "reset-gate bias = highway bias");
        AssertUniform(p["weight_c"], Math.Sqrt(3.0) * Math.Sqrt(0.5));

        // Columns [direction, block, unit]: z ·√(1 − dropout), f and r ·√½, x' ·α.
        double range = Math.Sqrt(3.0 / input), alpha = Math.Sqrt(1 + 2 * Math.Exp(-2.0));
        double[] scales = [Math.Sqrt(1 - 0.36), Math.Sqrt(0.5), Math.Sqrt(0.5), alpha];
        for (int block = 0; block < 4; block++)
        {
            var values = new List<float>();
            for (int row = 0; row < input; row++)
                for (int d = 0; d < 2; d++)
                    values.AddRange(p["weight"].Skip(row * 2 * 4 * hidden + (d * 4 + block) * hidden).Take(hidden));
            AssertUniform(values.ToArray(), range * scales[block], $"block {block}");
        }
    }

    [TestMethod]
    public void Layer_norm_scales_the_official_initial_weights_by_one_tenth()
    {
        var cell = SruCellSpec.Classic with { UseHighway = false, UseCellStateWeights = true, LayerNorm = SruLayerNorm.BeforeRecurrence };
        using var layer = new SruLayer("layer", 50, 50, cell);
        // Blocks z (·1), f and r (·√½), all ·0.1: the largest magnitude is the z block's.
        AssertUniform(Parameters(layer)["weight"], 0.1 * Math.Sqrt(3.0 / 50));
    }

    private static Dictionary<string, float[]> Parameters(SruLayer layer) =>
        layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous().data<float>().ToArray());

    /// <summary>Values within ±range that reach near it: what U(±range) gives for a few hundred draws.</summary>
    private static void AssertUniform(float[] values, double range, string what = "")
    {
        double max = values.Max(v => Math.Abs((double)v));
        Assert.IsTrue(max <= range * (1 + 1e-6) && max > 0.9 * range, $"{what}: largest |w| {max}, expected just under {range}");
    }
}
