using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

[TestClass]
public sealed class FusedSruRecurrenceTests
{
    /// <summary>How the recurrence-level tests build the skip input.</summary>
    public enum SkipKind
    {
        /// <summary>k = 3, no highway.</summary>
        None,

        /// <summary>k = 4, skip = u[:, :, 3, :] (SruLayer with I ≠ H).</summary>
        FourthBlock,

        /// <summary>k = 4 but no highway: the x' block must get a zero gradient.</summary>
        UnusedFourthBlock,

        /// <summary>k = 3, skip a separate contiguous leaf (SruLayer with I = H).</summary>
        External,

        /// <summary>k = 3, skip a transposed (non-contiguous) view of a leaf.</summary>
        ExternalStrided,
    }

    private sealed record Result(Tensor H, Tensor GradU, Tensor GradBias, Tensor? GradSkip);

    private static Result RunRecurrence(ISruRecurrence recurrence, int steps, int batch, int hidden, SkipKind kind, int seed)
    {
        var g = new Generator((ulong)seed);
        int blocks = kind is SkipKind.FourthBlock or SkipKind.UnusedFourthBlock ? 4 : 3;
        // Scaled so that the gates and tanh see their saturated and their linear ranges.
        Tensor u = (randn(new long[] { steps, batch, blocks, hidden }, generator: g) * 2).requires_grad_(true);
        Tensor bias = (randn(new long[] { 2 * hidden }, generator: g) * 0.5).requires_grad_(true);
        Tensor weights = randn(new long[] { steps, batch, hidden }, generator: g);
        Tensor? skipLeaf = null, skip = null;
        switch (kind)
        {
            case SkipKind.FourthBlock:
                skip = u.select(2, 3);
                break;
            case SkipKind.External:
                skip = skipLeaf = randn(new long[] { steps, batch, hidden }, generator: g).requires_grad_(true);
                break;
            case SkipKind.ExternalStrided:
                skipLeaf = randn(new long[] { batch, steps, hidden }, generator: g).requires_grad_(true);
                skip = skipLeaf.transpose(0, 1);
                break;
        }

        Tensor h = recurrence.Forward(u, bias, skip);
        // A weighted sum makes dL/dh a random tensor rather than all ones.
        (h * weights).sum().backward();
        return new Result(h.detach(), u.grad!, bias.grad!, skipLeaf?.grad);
    }

    private static void AssertSame(Result expected, Result actual)
    {
        TensorComparison.AssertClose("h", expected.H, actual.H);
        TensorComparison.AssertClose("dL/du", expected.GradU, actual.GradU);
        TensorComparison.AssertClose("dL/dbias", expected.GradBias, actual.GradBias);
        if (expected.GradSkip is null)
            Assert.IsNull(actual.GradSkip);
        else
            TensorComparison.AssertClose("dL/dskip", expected.GradSkip, actual.GradSkip!);
    }

    [TestMethod]
    [DataRow(1, 1, 1, SkipKind.None)]
    [DataRow(1, 1, 1, SkipKind.FourthBlock)]
    [DataRow(1, 1, 1, SkipKind.External)]
    [DataRow(1, 3, 7, SkipKind.FourthBlock)]
    [DataRow(5, 1, 7, SkipKind.External)]
    [DataRow(4, 1, 17, SkipKind.FourthBlock)]
    [DataRow(3, 5, 33, SkipKind.None)]
    [DataRow(3, 5, 33, SkipKind.UnusedFourthBlock)]
    [DataRow(6, 7, 130, SkipKind.FourthBlock)]
    [DataRow(2, 3, 130, SkipKind.External)]
    [DataRow(7, 2, 16, SkipKind.ExternalStrided)]
    [DataRow(9, 5, 33, SkipKind.ExternalStrided)]
    [DataRow(28, 9, 128, SkipKind.FourthBlock)]
    [DataRow(28, 9, 128, SkipKind.External)]
    public void The_fused_recurrence_matches_the_reference_in_output_and_gradients(int steps, int batch, int hidden, SkipKind kind)
    {
        using var scope = NewDisposeScope();
        int seed = ((steps * 31 + batch) * 31 + hidden) * 31 + (int)kind;
        Result expected = RunRecurrence(SruRecurrence.Reference, steps, batch, hidden, kind, seed);
        Result actual = RunRecurrence(FusedSruRecurrence.Instance, steps, batch, hidden, kind, seed);
        AssertSame(expected, actual);
    }

    private sealed record LayerResult(Tensor Output, Tensor GradWeight, Tensor GradBias, Tensor GradInput);

    private static LayerResult RunLayer(ISruRecurrence recurrence, int steps, int batch, int inputSize, int hidden, bool highway, bool batchMajorInput, int seed)
    {
        var g = new Generator((ulong)seed);
        using var layer = new SruLayer("layer", inputSize, hidden, highway) { Recurrence = recurrence };
        using (no_grad())
        {
            // Random biases too, so that their gradient is not taken at the special point zero.
            foreach (var parameter in layer.parameters())
                parameter.copy_(randn(parameter.shape, generator: g) * 0.7);
        }

        // The classifier hands the layer a transposed (non-contiguous) view of batch-major rows.
        Tensor leaf = batchMajorInput
            ? randn(new long[] { batch, steps, inputSize }, generator: g).requires_grad_(true)
            : randn(new long[] { steps, batch, inputSize }, generator: g).requires_grad_(true);
        Tensor input = batchMajorInput ? leaf.transpose(0, 1) : leaf;
        Tensor weights = randn(new long[] { steps, batch, hidden }, generator: g);
        Tensor output = layer.forward(input);
        (output * weights).sum().backward();
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // Clones: the parameters die with the layer.
        return new LayerResult(output.detach(), parameters["weight"].grad!.clone(), parameters["bias"].grad!.clone(), leaf.grad!);
    }

    [TestMethod]
    [DataRow(1, 1, 1, 1, true, false)]
    [DataRow(1, 1, 3, 1, true, false)]
    [DataRow(5, 3, 7, 7, true, true)]
    [DataRow(4, 1, 5, 17, true, false)]
    [DataRow(3, 5, 33, 33, false, false)]
    [DataRow(2, 4, 3, 33, false, true)]
    [DataRow(6, 7, 12, 130, true, true)]
    [DataRow(2, 3, 130, 130, true, false)]
    [DataRow(1, 9, 17, 17, true, true)]
    [DataRow(28, 9, 28, 128, true, true)]
    [DataRow(28, 9, 128, 128, true, false)]
    public void A_layer_on_the_fused_recurrence_matches_the_reference_in_output_and_gradients_for_weight_bias_and_input(
        int steps, int batch, int inputSize, int hidden, bool highway, bool batchMajorInput)
    {
        using var scope = NewDisposeScope();
        // A fixed seed per case (HashCode is randomised per process), so a failure reproduces.
        int seed = ((steps * 31 + batch) * 31 + inputSize) * 31 + hidden + (highway ? 1_000_000 : 0) + (batchMajorInput ? 2_000_000 : 0);
        LayerResult expected = RunLayer(SruRecurrence.Reference, steps, batch, inputSize, hidden, highway, batchMajorInput, seed);
        LayerResult actual = RunLayer(FusedSruRecurrence.Instance, steps, batch, inputSize, hidden, highway, batchMajorInput, seed);
        TensorComparison.AssertClose("output", expected.Output, actual.Output);
        // dL/dW sums steps × batch float32 products, added in different orders by the two paths: its rounding
        // error grows with the square root of that count.
        double reduction = TensorComparison.Tolerance * Math.Sqrt(steps * batch);
        if (TensorComparison.Mismatch("dL/dW", expected.GradWeight, actual.GradWeight, atol: reduction) is { } mismatch)
            Assert.Fail(mismatch);
        TensorComparison.AssertClose("dL/dbias", expected.GradBias, actual.GradBias);
        TensorComparison.AssertClose("dL/dinput", expected.GradInput, actual.GradInput);
    }

    [TestMethod]
    public void The_comparison_reports_a_gradient_perturbed_by_one_thousandth()
    {
        using var scope = NewDisposeScope();
        Result expected = RunRecurrence(SruRecurrence.Reference, 5, 3, 33, SkipKind.FourthBlock, seed: 11);
        Result actual = RunRecurrence(FusedSruRecurrence.Instance, 5, 3, 33, SkipKind.FourthBlock, seed: 11);
        Assert.IsNull(TensorComparison.Mismatch("dL/du", expected.GradU, actual.GradU));
        Assert.IsNull(TensorComparison.Mismatch("dL/dbias", expected.GradBias, actual.GradBias));

        const long index = 1234;
        Tensor perturbedU = actual.GradU.clone();
        perturbedU.view(-1)[index].add_(1e-3);
        string? message = TensorComparison.Mismatch("dL/du", expected.GradU, perturbedU);
        Assert.IsNotNull(message);
        StringAssert.Contains(message, "1 of ");
        StringAssert.Contains(message, $"flat index {index}");

        Tensor perturbedBias = actual.GradBias.clone();
        perturbedBias[40].sub_(1e-3);
        Assert.IsNotNull(TensorComparison.Mismatch("dL/dbias", expected.GradBias, perturbedBias));
    }

    [TestMethod]
    public void Inference_gives_the_training_output_without_an_autograd_node()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        Tensor u = randn(new long[] { 6, 5, 4, 33 }, generator: g).requires_grad_(true);
        Tensor bias = randn(new long[] { 66 }, generator: g).requires_grad_(true);
        Tensor training = FusedSruRecurrence.Instance.Forward(u, bias, u.select(2, 3));
        Assert.IsTrue(training.requires_grad);

        Tensor inference;
        using (no_grad())
            inference = FusedSruRecurrence.Instance.Forward(u, bias, u.select(2, 3));
        Assert.IsFalse(inference.requires_grad);
        TensorComparison.AssertClose("h", training, inference);

        // Inputs that need no gradient take the same path, with gradients enabled.
        Tensor constant = FusedSruRecurrence.Instance.Forward(u.detach(), bias.detach(), u.detach().select(2, 3));
        Assert.IsFalse(constant.requires_grad);
        TensorComparison.AssertClose("h", training, constant);
        TensorComparison.AssertClose("h", SruRecurrence.Reference.Forward(u, bias, u.select(2, 3)), inference);
    }

    [TestMethod]
    public void The_fourth_block_of_u_is_recognised_and_other_skips_are_not()
    {
        using var scope = NewDisposeScope();
        Tensor u = randn(3, 2, 4, 5).requires_grad_(true);
        Assert.IsTrue(FusedSruRecurrence.IsFourthBlockOf(u.select(2, 3), u));
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.select(2, 2), u));
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.select(2, 3).clone(), u));
        // Same memory, but cut off from u's graph: its gradient must not go into u.
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.detach().select(2, 3), u));
        Tensor other = randn(3, 2, 4, 5).requires_grad_(true);
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(other.select(2, 3), u));
    }

    [TestMethod]
    public void Tensors_the_kernel_does_not_handle_go_to_the_reference()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        Tensor u = randn(new long[] { 4, 3, 4, 7 }, ScalarType.Float64, generator: g).requires_grad_(true);
        Tensor bias = randn(new long[] { 14 }, ScalarType.Float64, generator: g).requires_grad_(true);
        Assert.IsFalse(FusedSruRecurrence.CanFuse(u, bias, u.select(2, 3)));
        Tensor h = FusedSruRecurrence.Instance.Forward(u, bias, u.select(2, 3));
        Assert.AreEqual(ScalarType.Float64, h.dtype);
        TensorComparison.AssertClose("h", SruRecurrence.Reference.Forward(u, bias, u.select(2, 3)), h);

        Assert.IsTrue(FusedSruRecurrence.CanFuse(u.to_type(ScalarType.Float32), bias.to_type(ScalarType.Float32), null));
    }

    [TestMethod]
    public void Sru_layers_use_the_fused_recurrence_by_default()
    {
        using var layer = new SruLayer("layer", 3, 4, true);
        Assert.AreSame(FusedSruRecurrence.Instance, layer.Recurrence);
    }
}
