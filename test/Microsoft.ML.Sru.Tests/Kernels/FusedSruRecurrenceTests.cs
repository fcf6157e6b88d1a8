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

    /// <summary>One recurrence-level case: sizes, the skip, and the options that change the kernel.</summary>
    public sealed record Case(int Steps, int Batch, int Hidden, SkipKind Kind, int Directions = 1, bool CellWeights = false, SruActivation Activation = SruActivation.Tanh)
    {
        /// <summary>A fixed seed per case (HashCode is randomised per process), so a failure reproduces.</summary>
        public int Seed => ((((Steps * 31 + Batch) * 31 + Hidden) * 31 + (int)Kind) * 31 + Directions) * 4 + (CellWeights ? 2 : 0) + (int)Activation;
    }

    private sealed record Result(Tensor H, Tensor GradU, Tensor GradBias, Tensor? GradCellWeights, Tensor? GradSkip);

    private static Result RunRecurrence(ISruRecurrence recurrence, Case c)
    {
        var g = new Generator((ulong)c.Seed);
        int blocks = c.Kind is SkipKind.FourthBlock or SkipKind.UnusedFourthBlock ? 4 : 3;
        long[] plane = { c.Steps, c.Batch, c.Directions, c.Hidden };
        // Scaled so that the gates and tanh see their saturated and their linear ranges.
        Tensor u = (randn(new long[] { c.Steps, c.Batch, c.Directions, blocks, c.Hidden }, generator: g) * 2).requires_grad_(true);
        Tensor bias = (randn(new long[] { 2 * c.Directions * c.Hidden }, generator: g) * 0.5).requires_grad_(true);
        Tensor? cellWeights = c.CellWeights ? (randn(new long[] { 2 * c.Directions * c.Hidden }, generator: g) * 0.7).requires_grad_(true) : null;
        Tensor weights = randn(plane, generator: g);
        Tensor? skipLeaf = null, skip = null;
        switch (c.Kind)
        {
            case SkipKind.FourthBlock:
                skip = u.select(3, 3);
                break;
            case SkipKind.External:
                skip = skipLeaf = randn(plane, generator: g).requires_grad_(true);
                break;
            case SkipKind.ExternalStrided:
                skipLeaf = randn(new long[] { c.Batch, c.Steps, c.Directions, c.Hidden }, generator: g).requires_grad_(true);
                skip = skipLeaf.transpose(0, 1);
                break;
        }

        Tensor h = recurrence.Forward(u, bias, cellWeights, skip, c.Activation);
        // A weighted sum makes dL/dh a random tensor rather than all ones.
        (h * weights).sum().backward();
        return new Result(h.detach(), u.grad!, bias.grad!, cellWeights?.grad, skipLeaf?.grad);
    }

    private static void AssertSame(Result expected, Result actual)
    {
        TensorComparison.AssertClose("h", expected.H, actual.H);
        TensorComparison.AssertClose("dL/du", expected.GradU, actual.GradU);
        TensorComparison.AssertClose("dL/dbias", expected.GradBias, actual.GradBias);
        AssertBothOrNeither("dL/dv", expected.GradCellWeights, actual.GradCellWeights);
        AssertBothOrNeither("dL/dskip", expected.GradSkip, actual.GradSkip);
    }

    private static void AssertIdentical(string name, Tensor first, Tensor second) =>
        CollectionAssert.AreEqual(first.data<float>().ToArray(), second.data<float>().ToArray(), $"{name} differs between two runs");

    private static void AssertBothOrNeither(string name, Tensor? expected, Tensor? actual)
    {
        if (expected is null)
            Assert.IsNull(actual, name);
        else
            TensorComparison.AssertClose(name, expected, actual ?? throw new AssertFailedException($"{name} is missing"));
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
        var c = new Case(steps, batch, hidden, kind);
        AssertSame(RunRecurrence(SruRecurrence.Reference, c), RunRecurrence(FusedSruRecurrence.Instance, c));
    }

    /// <summary>
    /// Every combination of the options that change the kernel (directions × cell-state weights × activation × skip)
    /// on sizes below, at and past a vector with tails (H = 7, 17, 33), and T = 1.
    /// </summary>
    public static IEnumerable<object[]> OptionCases()
    {
        (int Steps, int Batch, int Hidden)[] sizes = [(1, 2, 7), (5, 3, 33), (4, 2, 17)];
        foreach (var (steps, batch, hidden) in sizes)
            foreach (int directions in new[] { 1, 2 })
                foreach (bool cellWeights in new[] { false, true })
                    foreach (SruActivation activation in new[] { SruActivation.Tanh, SruActivation.Identity })
                        foreach (SkipKind kind in new[] { SkipKind.None, SkipKind.FourthBlock, SkipKind.UnusedFourthBlock, SkipKind.External })
                            yield return [new Case(steps, batch, hidden, kind, directions, cellWeights, activation)];
    }

    [TestMethod]
    [DynamicData(nameof(OptionCases))]
    public void The_fused_recurrence_matches_the_reference_for_every_kernel_option(Case c)
    {
        using var scope = NewDisposeScope();
        AssertSame(RunRecurrence(SruRecurrence.Reference, c), RunRecurrence(FusedSruRecurrence.Instance, c));
    }

    /// <summary>Shapes past the kernel's parallel threshold, with odd batch sizes: the batch is split over the cores.</summary>
    public static IEnumerable<object[]> SplitBatchCases()
    {
        yield return [new Case(28, 67, 40, SkipKind.FourthBlock)];
        yield return [new Case(16, 67, 64, SkipKind.External)];
        yield return [new Case(20, 33, 50, SkipKind.External, Directions: 2, CellWeights: true)];
        // Few steps: without tanh, c is unbounded, and float32 differences from the reference grow with every step.
        yield return [new Case(8, 35, 128, SkipKind.None, Directions: 2, CellWeights: true, Activation: SruActivation.Identity)];
    }

    [TestMethod]
    [DynamicData(nameof(SplitBatchCases))]
    public void A_recurrence_split_over_threads_by_batch_matches_the_reference_and_repeats_bit_for_bit(Case c)
    {
        if (SruKernel.PartsFor(c.Steps, c.Batch, c.Directions, c.Hidden) < 2)
            Assert.Inconclusive("One core: the kernel does not split the batch here.");
        using var scope = NewDisposeScope();
        Result expected = RunRecurrence(SruRecurrence.Reference, c);
        Result first = RunRecurrence(FusedSruRecurrence.Instance, c);
        TensorComparison.AssertClose("h", expected.H, first.H);
        TensorComparison.AssertClose("dL/du", expected.GradU, first.GradU);
        TensorComparison.AssertClose("dL/dskip", expected.GradSkip ?? zeros(1), first.GradSkip ?? zeros(1));
        // Gate gradients sum steps × batch products, in a different order than the reference's.
        double reduction = TensorComparison.Tolerance * Math.Sqrt(c.Steps * c.Batch);
        Assert.IsNull(TensorComparison.Mismatch("dL/dbias", expected.GradBias, first.GradBias, atol: reduction));
        if (c.CellWeights)
            Assert.IsNull(TensorComparison.Mismatch("dL/dv", expected.GradCellWeights!, first.GradCellWeights!, atol: reduction));

        // The split depends on the shape alone and the parts' sums are added in a fixed order: the same bits every run.
        Result second = RunRecurrence(FusedSruRecurrence.Instance, c);
        AssertIdentical("h", first.H, second.H);
        AssertIdentical("dL/du", first.GradU, second.GradU);
        AssertIdentical("dL/dbias", first.GradBias, second.GradBias);
        if (c.CellWeights)
            AssertIdentical("dL/dv", first.GradCellWeights!, second.GradCellWeights!);
    }

    [TestMethod]
    // One direction, past the kernel's parallel threshold: the layer runs as one fused function whose backward takes
    // the projection's gradients step by step, part by part.
    [DataRow(28, 67, 28, 40, true)]
    [DataRow(16, 67, 64, 64, true)]
    [DataRow(12, 45, 64, 128, false)]
    public void A_fused_layer_split_over_threads_matches_the_reference_and_repeats_bit_for_bit(int steps, int batch, int inputSize, int hidden, bool highway)
    {
        if (SruKernel.PartsFor(steps, batch, 1, hidden) < 2)
            Assert.Inconclusive("One core: the kernel does not split the batch here.");
        using var scope = NewDisposeScope();
        var c = new LayerCase(steps, batch, inputSize, hidden, highway);
        AssertSameLayer(c);
        LayerResult first = RunLayer(FusedSruRecurrence.Instance, c), second = RunLayer(FusedSruRecurrence.Instance, c);
        AssertIdentical("output", first.Output, second.Output);
        AssertIdentical("dL/dinput", first.GradInput, second.GradInput);
        foreach (var (name, grad) in first.ParameterGrads)
            AssertIdentical($"dL/d{name}", grad, second.ParameterGrads[name]);
    }

    /// <summary>A whole classifier (its last layer computes the last step only when fused) on one recurrence, and its gradients.</summary>
    private static (Tensor Logits, Dictionary<string, Tensor> Grads) RunNetwork(ISruRecurrence recurrence, NetworkSpec spec, int batch, int seed)
    {
        using var network = spec.Build();
        foreach (SruLayer layer in network.SruLayers)
            layer.Recurrence = recurrence;
        // Weights from a private generator: the global one is shared with tests running in parallel.
        var g = new Generator((ulong)seed);
        using (no_grad())
        {
            foreach (var parameter in network.parameters())
                parameter.copy_(randn(parameter.shape, generator: g) * 0.3);
        }
        Tensor features = randn(new long[] { batch, spec.SequenceLength * spec.StepSize }, generator: g);
        Tensor labels = randint(0, spec.ClassCount, new long[] { batch }, generator: g);
        Tensor logits = network.forward(features);
        nn.functional.cross_entropy(logits, labels).backward();
        return (logits.detach().clone(), network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }

    [TestMethod]
    // Layers of I ≠ H and I = H, highway on and off, tails (H = 17), a batch past the parallel threshold, one layer.
    [DataRow(7, 5, 17, 2, true, 9)]
    [DataRow(28, 28, 128, 2, true, 67)]
    [DataRow(6, 4, 33, 3, false, 5)]
    [DataRow(5, 3, 8, 1, true, 4)]
    public void A_whole_classifier_on_the_fused_kernels_matches_the_reference_in_logits_and_gradients(int steps, int stepSize, int hidden, int layers, bool highway, int batch)
        => AssertClassifierMatchesReference(new NetworkSpec(RecurrentCellKind.Sru, steps, stepSize, hidden, layers, 4) { SruCell = SruCellSpec.Classic with { UseHighway = highway } }, batch);

    /// <summary>The cell options, whose last layer (one direction) also outputs only its last step on the fused path.</summary>
    public static IEnumerable<object[]> ClassifierCellOptions() =>
    [
        [new CellOptions(CellWeights: true)],
        [new CellOptions(Activation: SruActivation.Identity)],
        [new CellOptions(CellWeights: true, Activation: SruActivation.Identity, HighwayBias: -1, Rescale: true)],
        [new CellOptions(LayerNorm: SruLayerNorm.AfterRecurrence)],
        [new CellOptions(LayerNorm: SruLayerNorm.BeforeRecurrence, CellWeights: true)],
        [new CellOptions(Projection: 8)],
        [new CellOptions(Bidirectional: true, CellWeights: true)],
    ];

    [TestMethod]
    [DynamicData(nameof(ClassifierCellOptions))]
    public void A_whole_classifier_with_the_SRU_options_matches_the_reference_in_logits_and_gradients(CellOptions cell)
    {
        // I ≠ H in the first layer and I = H after (the last layer's skip is x itself), tails (H = 17), a batch past the
        // parallel threshold; one layer of I ≠ H (the skip is U's fourth block) and no highway, both split over parts.
        AssertClassifierMatchesReference(new NetworkSpec(RecurrentCellKind.Sru, 7, 12, 17, 2, 4) { SruCell = cell.ToSpec(highway: true) }, batch: 9);
        AssertClassifierMatchesReference(new NetworkSpec(RecurrentCellKind.Sru, 28, 28, 128, 2, 4) { SruCell = cell.ToSpec(highway: true) }, batch: 40);
        AssertClassifierMatchesReference(new NetworkSpec(RecurrentCellKind.Sru, 28, 28, 128, 1, 4) { SruCell = cell.ToSpec(highway: true) }, batch: 40);
        AssertClassifierMatchesReference(new NetworkSpec(RecurrentCellKind.Sru, 21, 28, 33, 2, 4) { SruCell = cell.ToSpec(highway: false) }, batch: 100);
    }

    private static void AssertClassifierMatchesReference(NetworkSpec spec, int batch)
    {
        using var scope = NewDisposeScope();
        int steps = spec.SequenceLength;
        var (expectedLogits, expectedGrads) = RunNetwork(SruRecurrence.Reference, spec, batch, seed: 17);
        var (logits, grads) = RunNetwork(FusedSruRecurrence.Instance, spec, batch, seed: 17);
        TensorComparison.AssertClose("logits", expectedLogits, logits);
        double reduction = TensorComparison.Tolerance * Math.Sqrt(steps * batch);
        foreach (var (name, grad) in expectedGrads)
        {
            if (TensorComparison.Mismatch($"dL/d{name}", grad, grads[name], atol: reduction) is { } mismatch)
                Assert.Fail(mismatch);
        }
    }

    private sealed record LayerResult(Tensor Output, Dictionary<string, Tensor> ParameterGrads, Tensor GradInput);

    /// <summary>One layer-level case: sizes and every layer option.</summary>
    public sealed record LayerCase(int Steps, int Batch, int InputSize, int Hidden, bool Highway, bool BatchMajorInput = false, CellOptions? Cell = null, float Dropout = 0, int? FixedSeed = null)
    {
        internal SruCellSpec CellSpec => (Cell ?? new CellOptions()).ToSpec(Highway);

        public int Seed => FixedSeed ?? ((((Steps * 31 + Batch) * 31 + InputSize) * 31 + Hidden) * 8 + (Highway ? 1 : 0) + (BatchMajorInput ? 2 : 0)
            + 4 * (Cell ?? new CellOptions()).StableHash);
    }

    /// <summary>The layer options of <see cref="SruCellSpec"/> (which is internal), for test data.</summary>
    public sealed record CellOptions(
        bool Bidirectional = false, bool CellWeights = false, SruActivation Activation = SruActivation.Tanh, SruLayerNorm LayerNorm = SruLayerNorm.None,
        float HighwayBias = 0, bool Rescale = false, int Projection = 0)
    {
        internal SruCellSpec ToSpec(bool highway) => new(highway, Bidirectional, CellWeights, Activation, HighwayBias, Rescale, 0, LayerNorm, Projection);

        internal int StableHash => (Bidirectional ? 1 : 0) + (CellWeights ? 2 : 0) + 4 * (int)Activation + 8 * (int)LayerNorm + 32 * Projection
            + (Rescale ? 4096 : 0) + (int)(HighwayBias * 100) * 8192;
    }

    private static LayerResult RunLayer(ISruRecurrence recurrence, LayerCase c)
    {
        var g = new Generator((ulong)c.Seed);
        using var layer = new SruLayer("layer", c.InputSize, c.Hidden, c.CellSpec, c.Dropout) { Recurrence = recurrence };
        using (no_grad())
        {
            // Random biases too, so that their gradient is not taken at the special point zero.
            foreach (var parameter in layer.parameters())
                parameter.copy_(randn(parameter.shape, generator: g) * 0.7);
        }

        // The classifier hands the layer a transposed (non-contiguous) view of batch-major rows.
        Tensor leaf = c.BatchMajorInput
            ? randn(new long[] { c.Batch, c.Steps, c.InputSize }, generator: g).requires_grad_(true)
            : randn(new long[] { c.Steps, c.Batch, c.InputSize }, generator: g).requires_grad_(true);
        Tensor input = c.BatchMajorInput ? leaf.transpose(0, 1) : leaf;
        Tensor weights = randn(new long[] { c.Steps, c.Batch, c.CellSpec.Directions * c.Hidden }, generator: g);
        // The same seed gives both paths the same dropout mask.
        layer.SeedDropout(c.Seed);
        Tensor output = layer.forward(input);
        (output * weights).sum().backward();
        // Clones: the parameters die with the layer.
        var grads = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return new LayerResult(output.detach(), grads, leaf.grad!);
    }

    private static void AssertSameLayer(LayerCase c)
    {
        LayerResult expected = RunLayer(SruRecurrence.Reference, c);
        LayerResult actual = RunLayer(FusedSruRecurrence.Instance, c);
        TensorComparison.AssertClose("output", expected.Output, actual.Output);
        CollectionAssert.AreEquivalent(expected.ParameterGrads.Keys, actual.ParameterGrads.Keys);
        // Parameter gradients sum steps × batch float32 products, added in different orders by the two paths: their
        // rounding error grows with the square root of that count.
        double reduction = TensorComparison.Tolerance * Math.Sqrt(c.Steps * c.Batch);
        foreach (var (name, grad) in expected.ParameterGrads)
        {
            if (TensorComparison.Mismatch($"dL/d{name}", grad, actual.ParameterGrads[name], atol: reduction) is { } mismatch)
                Assert.Fail(mismatch);
        }
        TensorComparison.AssertClose("dL/dinput", expected.GradInput, actual.GradInput);
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
        // The seeds these cases have always had.
        int seed = ((steps * 31 + batch) * 31 + inputSize) * 31 + hidden + (highway ? 1_000_000 : 0) + (batchMajorInput ? 2_000_000 : 0);
        AssertSameLayer(new LayerCase(steps, batch, inputSize, hidden, highway, batchMajorInput, FixedSeed: seed));
    }

    /// <summary>
    /// Bidirectional × cell-state weights × highway × layer norm × activation, with the input as wide as the output
    /// (the skip is the input itself) and narrower (the skip is a fourth block of U), on odd sizes with vector tails.
    /// </summary>
    public static IEnumerable<object[]> LayerOptionCases()
    {
        const int hidden = 17;
        foreach (bool bidirectional in new[] { false, true })
            foreach (bool cellWeights in new[] { false, true })
                foreach (bool highway in new[] { false, true })
                    foreach (SruLayerNorm layerNorm in Enum.GetValues<SruLayerNorm>())
                        foreach (SruActivation activation in new[] { SruActivation.Tanh, SruActivation.Identity })
                            foreach (bool inputIsOutputWide in new[] { true, false })
                            {
                                var cell = new CellOptions(bidirectional, cellWeights, activation, layerNorm);
                                int input = inputIsOutputWide ? (bidirectional ? 2 : 1) * hidden : 5;
                                yield return [new LayerCase(4, 3, input, hidden, highway, BatchMajorInput: bidirectional, Cell: cell)];
                            }
    }

    [TestMethod]
    [DynamicData(nameof(LayerOptionCases))]
    public void A_layer_matches_the_reference_for_every_combination_of_options(LayerCase c)
    {
        using var scope = NewDisposeScope();
        AssertSameLayer(c);
    }

    public static IEnumerable<object[]> MoreLayerCases()
    {
        var official = new CellOptions(CellWeights: true, Activation: SruActivation.Identity, HighwayBias: -2, Rescale: true);
        // Rescaled skip, input as wide as the output and narrower.
        yield return [new LayerCase(5, 3, 17, 17, true, Cell: official)];
        yield return [new LayerCase(5, 3, 34, 17, true, Cell: official with { Bidirectional = true })];
        yield return [new LayerCase(5, 3, 6, 17, true, Cell: official)];
        // Low-rank projection (used: 9 < 40 and 9 < 17·D), with and without layer norm.
        yield return [new LayerCase(3, 2, 40, 17, true, Cell: official with { Projection = 9 })];
        yield return [new LayerCase(3, 2, 40, 17, true, Cell: official with { Projection = 9, Bidirectional = true, LayerNorm = SruLayerNorm.BeforeRecurrence })];
        yield return [new LayerCase(1, 2, 40, 17, false, Cell: new CellOptions(Projection: 9, LayerNorm: SruLayerNorm.AfterRecurrence))];
        // Dropout in training, with and without a skip term.
        yield return [new LayerCase(6, 4, 17, 17, true, Cell: official, Dropout: 0.3f)];
        yield return [new LayerCase(6, 4, 5, 17, false, Cell: new CellOptions(Bidirectional: true), Dropout: 0.5f)];
        yield return [new LayerCase(6, 4, 5, 17, true, Cell: new CellOptions(Bidirectional: true, CellWeights: true), Dropout: 0.5f)];
    }

    [TestMethod]
    [DynamicData(nameof(MoreLayerCases))]
    public void A_layer_with_rescaling_projection_or_dropout_matches_the_reference(LayerCase c)
    {
        using var scope = NewDisposeScope();
        AssertSameLayer(c);
    }

    [TestMethod]
    public void The_comparison_reports_a_gradient_perturbed_by_one_thousandth()
    {
        using var scope = NewDisposeScope();
        var c = new Case(5, 3, 33, SkipKind.FourthBlock, Directions: 2, CellWeights: true);
        Result expected = RunRecurrence(SruRecurrence.Reference, c);
        Result actual = RunRecurrence(FusedSruRecurrence.Instance, c);
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

        Assert.IsNull(TensorComparison.Mismatch("dL/dv", expected.GradCellWeights!, actual.GradCellWeights!));
        Tensor perturbedV = actual.GradCellWeights!.clone();
        perturbedV[100].add_(1e-3);
        Assert.IsNotNull(TensorComparison.Mismatch("dL/dv", expected.GradCellWeights!, perturbedV));
    }

    [TestMethod]
    public void Inference_gives_the_training_output_without_an_autograd_node()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        Tensor u = randn(new long[] { 6, 5, 2, 4, 33 }, generator: g).requires_grad_(true);
        Tensor bias = randn(new long[] { 132 }, generator: g).requires_grad_(true);
        Tensor v = randn(new long[] { 132 }, generator: g).requires_grad_(true);
        const SruActivation tanh = SruActivation.Tanh;
        Tensor training = FusedSruRecurrence.Instance.Forward(u, bias, v, u.select(3, 3), tanh);
        Assert.IsTrue(training.requires_grad);

        Tensor inference;
        using (no_grad())
            inference = FusedSruRecurrence.Instance.Forward(u, bias, v, u.select(3, 3), tanh);
        Assert.IsFalse(inference.requires_grad);
        TensorComparison.AssertClose("h", training, inference);

        // Inputs that need no gradient take the same path, with gradients enabled.
        Tensor constant = FusedSruRecurrence.Instance.Forward(u.detach(), bias.detach(), v.detach(), u.detach().select(3, 3), tanh);
        Assert.IsFalse(constant.requires_grad);
        TensorComparison.AssertClose("h", training, constant);
        TensorComparison.AssertClose("h", SruRecurrence.Reference.Forward(u, bias, v, u.select(3, 3), tanh), inference);
    }

    [TestMethod]
    public void The_fourth_block_of_u_is_recognised_and_other_skips_are_not()
    {
        using var scope = NewDisposeScope();
        Tensor u = randn(new long[] { 3, 2, 2, 4, 5 }).requires_grad_(true);
        Assert.IsTrue(FusedSruRecurrence.IsFourthBlockOf(u.select(3, 3), u));
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.select(3, 2), u));
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.select(3, 3).clone(), u));
        // Same memory, but cut off from u's graph: its gradient must not go into u.
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(u.detach().select(3, 3), u));
        Tensor other = randn(new long[] { 3, 2, 2, 4, 5 }).requires_grad_(true);
        Assert.IsFalse(FusedSruRecurrence.IsFourthBlockOf(other.select(3, 3), u));
    }

    [TestMethod]
    public void Tensors_the_kernel_does_not_handle_go_to_the_reference()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        Tensor u = randn(new long[] { 4, 3, 1, 4, 7 }, ScalarType.Float64, generator: g).requires_grad_(true);
        Tensor bias = randn(new long[] { 14 }, ScalarType.Float64, generator: g).requires_grad_(true);
        Assert.IsFalse(FusedSruRecurrence.CanFuse(u, bias, null, u.select(3, 3)));
        Tensor h = FusedSruRecurrence.Instance.Forward(u, bias, null, u.select(3, 3), SruActivation.Tanh);
        Assert.AreEqual(ScalarType.Float64, h.dtype);
        TensorComparison.AssertClose("h", SruRecurrence.Reference.Forward(u, bias, null, u.select(3, 3), SruActivation.Tanh), h);

        Tensor u32 = u.to_type(ScalarType.Float32), bias32 = bias.to_type(ScalarType.Float32);
        Assert.IsTrue(FusedSruRecurrence.CanFuse(u32, bias32, null, null));
        Assert.IsTrue(FusedSruRecurrence.CanFuse(u32, bias32, bias32, null));
        // Cell-state weights of the wrong width or type are not the kernel's.
        Assert.IsFalse(FusedSruRecurrence.CanFuse(u32, bias32, bias32.narrow(0, 0, 7), null));
        Assert.IsFalse(FusedSruRecurrence.CanFuse(u32, bias32, bias, null));
    }

    [TestMethod]
    public void Sru_layers_use_the_fused_recurrence_by_default()
    {
        using var layer = new SruLayer("layer", 3, 4);
        Assert.AreSame(FusedSruRecurrence.Instance, layer.Recurrence);
    }
}
