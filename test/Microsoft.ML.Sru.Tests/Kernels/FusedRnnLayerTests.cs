using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

/// <summary>
/// The fused LSTM/GRU layers (<see cref="RnnLayerFunction{TCell}"/>) against nn.LSTM/nn.GRU on the same network: the
/// logits and the gradient of every parameter and of the input, for stacks of 1–3 layers, batches and hidden sizes that
/// are not multiples of the vector width, and shapes large enough that the batch is split over the cores.
/// </summary>
[TestClass]
public sealed class FusedRnnLayerTests
{
    /// <summary>Outputs: |fused − reference| ≤ 1e-5 + 1e-4·|reference|.</summary>
    private const double OutputTolerance = 1e-5, OutputRelative = 1e-4;

    /// <summary>
    /// Gradients sum T·B products in an order other than libtorch's, so the absolute part grows with √(T·B):
    /// |fused − reference| ≤ 1e-5·√(T·B) + 1e-3·|reference|.
    /// </summary>
    private const double GradientTolerance = 1e-5, GradientRelative = 1e-3;

    /// <summary>One case; the cell by name ("Lstm", "Gru"), as the kind is internal to the library.</summary>
    public sealed record Case(string Cell, int Layers, int Steps, int Batch, int StepSize, int Hidden)
    {
        internal RecurrentCellKind Kind => Enum.Parse<RecurrentCellKind>(Cell);

        public int Seed => ((((int)Kind * 31 + Layers) * 31 + Steps) * 31 + Batch) * 31 + StepSize * 7 + Hidden;
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (string cell in new[] { nameof(RecurrentCellKind.Lstm), nameof(RecurrentCellKind.Gru) })
        {
            // The blog's shape: batch split over the cores, every width a multiple of 16.
            yield return [new Case(cell, 2, 28, 128, 28, 128)];
            // One layer, one step: no recurrent product at all.
            yield return [new Case(cell, 1, 1, 4, 3, 16)];
            // Odd batch and hidden sizes, vector tails.
            yield return [new Case(cell, 1, 5, 3, 7, 20)];
            yield return [new Case(cell, 3, 6, 17, 5, 33)];
            // Past the split threshold with an odd batch and a hidden size that is not a multiple of 16 or 32.
            yield return [new Case(cell, 2, 9, 37, 10, 200)];
        }
    }

    private sealed record Result(Tensor Logits, Tensor InputGradient, Dictionary<string, Tensor> Gradients);

    private static Result Run(SequenceClassifier network, Case c, bool fused)
    {
        var g = new Generator((ulong)c.Seed);
        Tensor features = randn(new long[] { c.Batch, c.Steps * c.StepSize }, generator: g).requires_grad_(true);
        Tensor weights = randn(new long[] { c.Batch, 4 }, generator: g);
        foreach (var p in network.parameters())
            p.grad = null;
        FusedRnnPath.ReferenceOnly.Value = !fused;
        try
        {
            Tensor logits = network.forward(features);
            // A weighted sum makes dL/dlogits a random tensor rather than all ones.
            (logits * weights).sum().backward();
            return new Result(logits.detach(), features.grad!, network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!));
        }
        finally
        {
            FusedRnnPath.ReferenceOnly.Value = false;
        }
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void The_fused_layers_match_nn_LSTM_and_nn_GRU_in_outputs_and_every_gradient(Case c)
    {
        if (!Sgemm512.IsSupported)
            Assert.Inconclusive("No AVX-512 here: LSTM and GRU train on nn.LSTM/nn.GRU only.");
        using var scope = NewDisposeScope();
        manual_seed(c.Seed);
        using SequenceClassifier network = new NetworkSpec(c.Kind, c.Steps, c.StepSize, c.Hidden, c.Layers, 4).Build();
        network.train();
        // Weights large enough that the gates reach their saturated ranges as well as their linear ones.
        using (no_grad())
        {
            foreach (var p in network.parameters())
                p.mul_(3);
        }

        Result expected = Run(network, c, fused: false);
        Result actual = Run(network, c, fused: true);

        // Different summation orders: bit-identical logits would mean the fused path never ran.
        Assert.IsFalse(expected.Logits.eq(actual.Logits).all().item<bool>(), "The fused run gave bit-identical logits: it did not run the fused layers.");
        Assert.IsNull(TensorComparison.Mismatch("logits", expected.Logits, actual.Logits, OutputTolerance, OutputRelative));
        double reduction = GradientTolerance * Math.Sqrt(c.Steps * c.Batch);
        Assert.IsNull(TensorComparison.Mismatch("dL/dinput", expected.InputGradient, actual.InputGradient, reduction, GradientRelative));
        foreach (var (name, gradient) in expected.Gradients)
            Assert.IsNull(TensorComparison.Mismatch($"dL/d{name}", gradient, actual.Gradients[name], reduction, GradientRelative));
        Assert.AreEqual(4 * c.Layers + 2, expected.Gradients.Count, "Every parameter of the encoder and the head is compared.");
    }
}
