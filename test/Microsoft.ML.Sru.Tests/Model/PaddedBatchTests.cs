using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>
/// Sequences of unequal lengths in one batch, padded at the end: each row's logits and its share of the gradients are
/// those it gets alone through today's fixed-length path, for every cell and SRU option, on the fused kernel and on the
/// reference recurrence.
/// </summary>
[TestClass]
public sealed class PaddedBatchTests
{
    private const int StepSize = 6, Hidden = 6, Classes = 3;

    /// <summary>Sequence lengths of the ragged batch, the longest first and last, one of a single step.</summary>
    private static readonly int[] Lengths = [7, 3, 1, 5, 7, 2];

    /// <summary>Every cell, and the SRU options alone and together, by the name the tests are given.</summary>
    private static readonly Dictionary<string, NetworkSpec> Specs = BuildSpecs();

    private static Dictionary<string, NetworkSpec> BuildSpecs()
    {
        var classic = SruCellSpec.Classic;
        return new()
        {
            // StepSize = Hidden: the first layer's highway reads x itself (the kernel's external skip), wider inputs a fourth block of U.
            ["SRU"] = Sru(classic, StepSize),
            ["SRU, input wider than the output"] = Sru(classic, 10),
            ["SRU without highway"] = Sru(classic with { UseHighway = false }, 10),
            ["SRU bidirectional"] = Sru(classic with { Bidirectional = true }, StepSize),
            ["SRU cell-state weights"] = Sru(classic with { UseCellStateWeights = true }, StepSize),
            ["SRU identity activation, rescale"] = Sru(classic with { Activation = SruActivation.Identity, Rescale = true, HighwayBias = -1 }, StepSize),
            ["SRU layer norm before"] = Sru(classic with { LayerNorm = SruLayerNorm.BeforeRecurrence }, 10),
            ["SRU layer norm after"] = Sru(classic with { LayerNorm = SruLayerNorm.AfterRecurrence }, 10),
            ["SRU projection"] = Sru(classic with { ProjectionSize = 3 }, 10),
            ["SRU dropout"] = Sru(classic with { Dropout = 0.3f }, StepSize),
            ["SRU bidirectional, every option"] = Sru(new SruCellSpec(true, true, true, SruActivation.Tanh, -1, true, 0.3f, SruLayerNorm.AfterRecurrence, 4), 10),
            ["LSTM"] = new NetworkSpec(RecurrentCellKind.Lstm, 7, StepSize, Hidden, 2, Classes),
            ["GRU"] = new NetworkSpec(RecurrentCellKind.Gru, 7, StepSize, Hidden, 2, Classes),
        };
    }

    private static IEnumerable<string> SruNames => Specs.Where(s => s.Value.Cell == RecurrentCellKind.Sru).Select(s => s.Key);

    /// <summary>The SRU networks: [name].</summary>
    public static IEnumerable<object[]> SruNetworks() => SruNames.Select(name => new object[] { name });

    /// <summary>The SRU networks on the fused kernel and on the reference recurrence, then LSTM and GRU: [name, reference].</summary>
    public static IEnumerable<object[]> NetworksOnEachRecurrence() =>
        SruNames.SelectMany(name => new[] { false, true }.Select(reference => new object[] { name, reference }))
            .Concat(Specs.Where(s => s.Value.Cell != RecurrentCellKind.Sru).Select(s => new object[] { s.Key, false }));

    private static NetworkSpec Sru(SruCellSpec cell, int stepSize) =>
        new(RecurrentCellKind.Sru, 7, stepSize, Hidden, 2, Classes) { SruCell = cell };

    [TestMethod]
    [DynamicData(nameof(NetworksOnEachRecurrence))]
    public void A_padded_batch_gives_each_row_its_outputs_and_gradients_alone(string name, bool reference)
    {
        NetworkSpec spec = Specs[name];
        using var scope = NewDisposeScope();
        manual_seed(3);
        using SequenceClassifier network = Build(spec, reference);
        // Evaluation mode, so that dropout's random masks do not differ between the batch and the rows alone; gradients still flow.
        network.eval();
        int steps = Lengths.Max(), batch = Lengths.Length;
        Tensor features = PaddedFeatures(spec.StepSize, steps);
        Tensor lossWeights = randn(batch, Classes);

        Tensor logits = network.Forward(features, Lengths);
        (logits * lossWeights).sum().backward();
        Dictionary<string, Tensor> batchGradients = Gradients(network);

        var aloneGradients = new Dictionary<string, Tensor>();
        for (int row = 0; row < batch; row++)
        {
            int length = Lengths[row];
            // Today's fixed-length path: a network of this row's length with the same weights.
            using SequenceClassifier alone = Build(spec with { SequenceLength = length }, reference);
            alone.eval();
            alone.load_state_dict(network.state_dict());
            Tensor rowFeatures = features[row].narrow(0, 0, length * spec.StepSize).unsqueeze(0);
            Tensor rowLogits = alone.forward(rowFeatures);
            TensorComparison.AssertClose($"{name}: row {row}'s logits", rowLogits[0], logits[row]);
            (rowLogits * lossWeights[row]).sum().backward();
            foreach (var (key, gradient) in Gradients(alone))
                aloneGradients[key] = aloneGradients.TryGetValue(key, out Tensor? sum) ? sum + gradient : gradient;
        }

        foreach (var (key, gradient) in batchGradients)
            TensorComparison.AssertClose($"{name}: gradient of {key}", aloneGradients[key], gradient);
    }

    [TestMethod]
    [DynamicData(nameof(NetworksOnEachRecurrence))]
    public void In_training_more_padding_changes_nothing(string name, bool reference)
    {
        NetworkSpec spec = Specs[name];
        // In training, dropout draws one mask per sequence whatever the batch's steps: with the same seed, a batch padded
        // further must give the same logits and gradients.
        using var scope = NewDisposeScope();
        manual_seed(5);
        using SequenceClassifier network = Build(spec, reference);
        network.train();
        int steps = Lengths.Max();
        Tensor features = PaddedFeatures(spec.StepSize, steps);
        Tensor lossWeights = randn(Lengths.Length, Classes);

        network.SeedDropout(11);
        Tensor tight = network.Forward(features, Lengths);
        (tight * lossWeights).sum().backward();
        Dictionary<string, Tensor> tightGradients = Gradients(network);
        network.zero_grad();

        network.SeedDropout(11);
        Tensor wider = nn.functional.pad(features, new long[] { 0, 3 * spec.StepSize });
        Tensor loose = network.Forward(wider, Lengths);
        (loose * lossWeights).sum().backward();

        TensorComparison.AssertClose($"{name}: logits", tight, loose);
        foreach (var (key, gradient) in Gradients(network))
            TensorComparison.AssertClose($"{name}: gradient of {key}", tightGradients[key], gradient);
    }

    [TestMethod]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void In_training_the_fused_layers_match_the_packed_module_on_a_padded_batch(string name)
    {
        NetworkSpec spec = Specs[name];
        using var scope = NewDisposeScope();
        manual_seed(5);
        using SequenceClassifier network = spec.Build();
        network.train();
        Tensor features = PaddedFeatures(spec.StepSize, Lengths.Max());
        Tensor lossWeights = randn(Lengths.Length, Classes);

        Tensor fused = network.Forward(features, Lengths);
        (fused * lossWeights).sum().backward();
        Dictionary<string, Tensor> fusedGradients = Gradients(network);
        network.zero_grad();

        FusedRnnPath.ReferenceOnly.Value = true;
        try
        {
            Tensor packed = network.Forward(features, Lengths);
            (packed * lossWeights).sum().backward();
            TensorComparison.AssertClose($"{name}: logits", packed, fused);
            foreach (var (key, gradient) in Gradients(network))
                TensorComparison.AssertClose($"{name}: gradient of {key}", gradient, fusedGradients[key]);
        }
        finally
        {
            FusedRnnPath.ReferenceOnly.Value = false;
        }
    }

    [TestMethod]
    [DynamicData(nameof(SruNetworks))]
    public void The_fused_kernel_matches_the_reference_on_a_padded_batch(string name)
    {
        NetworkSpec spec = Specs[name];
        using var scope = NewDisposeScope();
        manual_seed(7);
        using SequenceClassifier fused = Build(spec, reference: false);
        using SequenceClassifier plain = Build(spec, reference: true);
        plain.load_state_dict(fused.state_dict());
        fused.eval();
        plain.eval();
        Tensor features = PaddedFeatures(spec.StepSize, Lengths.Max());
        Tensor lossWeights = randn(Lengths.Length, Classes);
        foreach (SequenceClassifier network in new[] { fused, plain })
            (network.Forward(features, Lengths) * lossWeights).sum().backward();

        TensorComparison.AssertClose($"{name}: logits", plain.Forward(features, Lengths), fused.Forward(features, Lengths));
        Dictionary<string, Tensor> expected = Gradients(plain);
        foreach (var (key, gradient) in Gradients(fused))
            TensorComparison.AssertClose($"{name}: gradient of {key}", expected[key], gradient);
    }

    [TestMethod]
    [DynamicData(nameof(SruNetworks))]
    public void The_managed_scorer_gives_each_row_of_a_padded_batch_its_probabilities_alone(string name)
    {
        NetworkSpec spec = Specs[name];
        using var scope = NewDisposeScope();
        manual_seed(9);
        using SequenceClassifier network = Build(spec, reference: false);
        network.eval();
        int steps = Lengths.Max(), batch = Lengths.Length;
        Tensor features = PaddedFeatures(spec.StepSize, steps);
        float[] values = features.data<float>().ToArray();
        // The GEMM (where there is one) and the row updates; the workspace as long as the spec's sequences.
        foreach (bool useGemm in new[] { true, false })
        {
            SruInference scorer = SruInference.TryCreate(network, useGemm)!;
            var scores = new float[batch * Classes];
            scorer.Score(values, batch, Lengths, scores, scorer.CreateWorkspace(rows: batch));
            for (int row = 0; row < batch; row++)
            {
                using SequenceClassifier alone = Build(spec with { SequenceLength = Lengths[row] }, reference: false);
                alone.eval();
                alone.load_state_dict(network.state_dict());
                using var noGrad = no_grad();
                Tensor expected = nn.functional.softmax(alone.forward(features[row].narrow(0, 0, Lengths[row] * spec.StepSize).unsqueeze(0)), 1)[0];
                TensorComparison.AssertClose($"{name}, {(useGemm ? "GEMM" : "row updates")}: row {row}", expected, tensor(scores.AsSpan(row * Classes, Classes).ToArray()));
            }
        }
    }

    [TestMethod]
    [DataRow(new[] { 3, 0 }, "Sequence 1's length")]
    [DataRow(new[] { 3, 8 }, "Sequence 1's length")]
    [DataRow(new[] { 3 }, "1 sequence lengths for a batch of 2")]
    public void Lengths_that_do_not_fit_the_batch_are_refused(int[] lengths, string message)
    {
        using var scope = NewDisposeScope();
        using SequenceClassifier network = Sru(SruCellSpec.Classic, StepSize).Build();
        var e = Assert.Throws<ArgumentException>(() => network.Forward(zeros(2, 7 * StepSize), lengths));
        StringAssert.Contains(e.Message, message);
    }

    private static SequenceClassifier Build(NetworkSpec spec, bool reference)
    {
        SequenceClassifier network = spec.Build();
        if (reference)
        {
            foreach (SruLayer layer in network.SruLayers)
                layer.Recurrence = SruRecurrence.Reference;
        }
        return network;
    }

    /// <summary>Random rows of <see cref="Lengths"/> steps, zero past each row's own length: [B, T·S].</summary>
    private static Tensor PaddedFeatures(int stepSize, int steps)
    {
        Tensor features = randn(Lengths.Length, steps, stepSize);
        Tensor valid = arange(steps).unsqueeze(0).lt(tensor(Lengths).unsqueeze(1)).unsqueeze(2);
        return (features * valid).reshape(Lengths.Length, steps * stepSize);
    }

    private static Dictionary<string, Tensor> Gradients(SequenceClassifier network) =>
        network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
}
