using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Kernels;
using Microsoft.ML.Sru.Trainers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>The fused CPU Adam step held to TorchSharp's clip_grad_norm_ and Adam / AdamW.</summary>
[TestClass]
public sealed class ParameterUpdateTests
{
    /// <summary>Trains two copies of one small network for a few steps, one with each update, and returns both copies' weights.</summary>
    private static (Tensor[] Fused, Tensor[] LibTorch) TrainBoth(double learningRate, double weightDecay, double clipNorm, int steps)
    {
        var spec = new NetworkSpec(RecurrentCellKind.Sru, 6, 5, 17, 2, 3);
        // Both copies get the first one's weights, whatever the global generator gave it.
        using var fusedNetwork = spec.Build();
        using var torchNetwork = spec.Build();
        using (no_grad())
        {
            foreach (var (a, b) in fusedNetwork.parameters().Zip(torchNetwork.parameters()))
                b.copy_(a);
        }

        var g = new Generator(9);
        using var features = randn(new long[] { 11, 30 }, generator: g);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1 });
        using (var fused = new CpuAdamUpdate(fusedNetwork.parameters().ToArray(), learningRate, weightDecay, clipNorm))
        using (var reference = new LibTorchAdamUpdate(torchNetwork.parameters().ToArray(), learningRate, weightDecay, clipNorm))
        {
            for (int step = 0; step < steps; step++)
            {
                // A changing rate, as a schedule sets it.
                fused.LearningRate = reference.LearningRate = learningRate * (1 + 0.1 * step);
                foreach (var (network, update) in new (SequenceClassifier, ParameterUpdate)[] { (fusedNetwork, fused), (torchNetwork, reference) })
                {
                    using var scope = NewDisposeScope();
                    update.ZeroGradients();
                    nn.functional.cross_entropy(network.forward(features), labels).backward();
                    update.Step();
                }
            }
        }

        return (fusedNetwork.parameters().Select(p => p.detach().clone()).ToArray(), torchNetwork.parameters().Select(p => p.detach().clone()).ToArray());
    }

    [TestMethod]
    [DataRow(0.01, 0.0, 0.0, DisplayName = "Adam, no clipping")]
    [DataRow(0.01, 0.0, 0.05, DisplayName = "Adam, clipping that bites")]
    [DataRow(0.005, 0.1, 1.0, DisplayName = "AdamW")]
    public void The_fused_cpu_update_matches_torchsharp_clipping_and_adam(double learningRate, double weightDecay, double clipNorm)
    {
        var (fused, reference) = TrainBoth(learningRate, weightDecay, clipNorm, steps: 6);
        for (int i = 0; i < fused.Length; i++)
        {
            string? mismatch = TensorComparison.Mismatch($"parameter {i}", reference[i], fused[i], atol: 2e-6, rtol: 2e-5);
            Assert.IsNull(mismatch, mismatch);
        }
    }

    [TestMethod]
    public void A_different_clipping_limit_is_caught_by_the_comparison()
    {
        var (clipped, _) = TrainBoth(0.01, 0, 0.05, steps: 3);
        var (_, unclipped) = TrainBoth(0.01, 0, 0, steps: 3);
        Assert.IsTrue(clipped.Zip(unclipped).Any(pair => TensorComparison.Mismatch("parameter", pair.Second, pair.First, atol: 2e-6, rtol: 2e-5) is not null),
            "clipping at 0.05 must change the weights");
    }

    [TestMethod]
    public void Create_picks_the_fused_update_for_cpu_float32_parameters_and_torchsharp_otherwise()
    {
        using var network = new NetworkSpec(RecurrentCellKind.Lstm, 4, 3, 5, 1, 2).Build();
        using (var update = ParameterUpdate.Create(network.parameters().ToArray(), 0.01, 0, 1))
            Assert.IsInstanceOfType<CpuAdamUpdate>(update);
        network.to(ScalarType.Float64);
        using (var update = ParameterUpdate.Create(network.parameters().ToArray(), 0.01, 0, 1))
            Assert.IsInstanceOfType<LibTorchAdamUpdate>(update);
    }

    [TestMethod]
    [DataRow(false, 0.0, DisplayName = "CpuAdamUpdate, Adam")]
    [DataRow(false, 0.1, DisplayName = "CpuAdamUpdate, AdamW")]
    [DataRow(true, 0.0, DisplayName = "LibTorchAdamUpdate, Adam")]
    [DataRow(true, 0.1, DisplayName = "LibTorchAdamUpdate, AdamW")]
    public void An_update_restored_from_its_written_state_continues_exactly_as_the_original(bool libTorch, double weightDecay)
    {
        // A checkpoint's optimizer part: two steps, state written; the original and a fresh update over a copy of the
        // weights that read the state then take the same three steps, and must end bit for bit alike.
        var spec = new NetworkSpec(RecurrentCellKind.Sru, 6, 5, 17, 2, 3);
        using var original = spec.Build();
        using var restored = spec.Build();
        var g = new Generator(4);
        using var features = randn(new long[] { 11, 30 }, generator: g);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1 });
        ParameterUpdate Create(SequenceClassifier network) => libTorch
            ? new LibTorchAdamUpdate(network.parameters().ToArray(), 0.01, weightDecay, 0.05)
            : new CpuAdamUpdate(network.parameters().ToArray(), 0.01, weightDecay, 0.05);
        void Step(SequenceClassifier network, ParameterUpdate update)
        {
            using var scope = NewDisposeScope();
            update.ZeroGradients();
            nn.functional.cross_entropy(network.forward(features), labels).backward();
            update.Step();
        }

        using ParameterUpdate first = Create(original);
        Step(original, first);
        Step(original, first);
        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
            first.WriteState(writer);
        using (no_grad())
        {
            foreach (var (a, b) in original.parameters().Zip(restored.parameters()))
                b.copy_(a);
        }
        using ParameterUpdate second = Create(restored);
        state.Position = 0;
        using (var reader = new BinaryReader(state))
            second.ReadState(reader);
        for (int i = 0; i < 3; i++)
        {
            Step(original, first);
            Step(restored, second);
        }

        foreach (var (a, b) in original.parameters().Zip(restored.parameters()))
            CollectionAssert.AreEqual(a.detach().data<float>().ToArray(), b.detach().data<float>().ToArray());
    }
}
