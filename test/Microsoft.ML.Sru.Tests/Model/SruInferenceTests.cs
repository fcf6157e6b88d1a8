using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>The managed scorer, one row and batches of rows, against the TorchSharp network it was copied from.</summary>
[TestClass]
public sealed class SruInferenceTests
{
    [TestMethod]
    [DataRow(28, 28, 128, 2, 10, true)]
    [DataRow(28, 28, 128, 2, 10, false)]
    [DataRow(7, 5, 17, 3, 3, true)]
    [DataRow(1, 33, 33, 1, 2, true)]
    [DataRow(9, 16, 16, 2, 4, true)]
    [DataRow(4, 3, 130, 1, 5, false)]
    public void Managed_scores_match_the_TorchSharp_network(int steps, int stepSize, int hidden, int layers, int classes, bool highway) =>
        AssertManagedMatchesTorchSharp(new NetworkSpec(RecurrentCellKind.Sru, steps, stepSize, hidden, layers, classes) { SruCell = SruCellSpec.Classic with { UseHighway = highway } });

    /// <summary>The SRU options the managed scorer covers, alone and together, with the input as wide as the output and not.</summary>
    public static IEnumerable<object[]> CoveredOptions()
    {
        foreach (int stepSize in new[] { 6, 34 })
        {
            yield return [stepSize, false, false, SruActivation.Tanh, 0f, false, 0f];
            yield return [stepSize, true, false, SruActivation.Tanh, 0f, false, 0f];
            yield return [stepSize, false, true, SruActivation.Tanh, 0f, false, 0f];
            yield return [stepSize, false, false, SruActivation.Identity, 0f, false, 0f];
            yield return [stepSize, false, false, SruActivation.Tanh, -2f, true, 0f];
            yield return [stepSize, true, true, SruActivation.Identity, -1f, true, 0.4f];
        }
    }

    [TestMethod]
    [DynamicData(nameof(CoveredOptions))]
    public void Managed_scores_match_the_TorchSharp_network_for_the_SRU_options(
        int stepSize, bool bidirectional, bool cellWeights, SruActivation activation, float highwayBias, bool rescale, float dropout)
    {
        var cell = new SruCellSpec(true, bidirectional, cellWeights, activation, highwayBias, rescale, dropout, SruLayerNorm.None, 0);
        AssertManagedMatchesTorchSharp(new NetworkSpec(RecurrentCellKind.Sru, 7, stepSize, 17, 2, 3) { SruCell = cell });
    }

    [TestMethod]
    [DataRow(SruLayerNorm.BeforeRecurrence, 0, false)]
    [DataRow(SruLayerNorm.AfterRecurrence, 0, false)]
    [DataRow(SruLayerNorm.None, 8, false)]
    [DataRow(SruLayerNorm.BeforeRecurrence, 8, true)]
    [DataRow(SruLayerNorm.AfterRecurrence, 8, true)]
    public void Managed_scores_match_the_TorchSharp_network_with_layer_norm_and_projection(SruLayerNorm layerNorm, int projection, bool bidirectional)
    {
        // Inputs of 40 and outputs of 17 (34): a projection of 8 is used by every layer.
        var cell = SruCellSpec.Classic with { LayerNorm = layerNorm, ProjectionSize = projection, Bidirectional = bidirectional, UseCellStateWeights = true };
        var spec = new NetworkSpec(RecurrentCellKind.Sru, 5, 40, 17, 2, 3) { SruCell = cell };
        AssertManagedMatchesTorchSharp(spec, randomizeNorms: true);
    }

    private static void AssertManagedMatchesTorchSharp(NetworkSpec spec, bool randomizeNorms = false)
    {
        int steps = spec.SequenceLength, stepSize = spec.StepSize, hidden = spec.HiddenSize, classes = spec.ClassCount;
        torch.manual_seed(steps * 1000 + hidden + stepSize);
        using var network = spec.Build();
        network.eval();
        if (randomizeNorms)
        {
            // γ = 1 and β = 0 as built would hide a mix-up of the two.
            using var noGrad = no_grad();
            foreach (var (name, parameter) in network.named_parameters().Where(p => p.name.Contains("layer_norm")))
                parameter.copy_(randn(parameter.shape) * 0.5 + (name.EndsWith("weight") ? 1 : 0));
        }
        // The AVX-512 GEMM (where there is one) and the row updates other machines use.
        foreach (bool useGemm in new[] { true, false })
            AssertManagedMatchesTorchSharp(network, SruInference.TryCreate(network, useGemm)!, $"{(useGemm ? "GEMM" : "row updates")}: ");
    }

    private static void AssertManagedMatchesTorchSharp(SequenceClassifier network, SruInference scorer, string path)
    {
        NetworkSpec spec = network.Spec;
        int steps = spec.SequenceLength, stepSize = spec.StepSize, hidden = spec.HiddenSize, classes = spec.ClassCount;
        var random = new Random(steps + hidden);

        // Sparse rows, like MNIST, so the zero-skipping path is exercised too, and dense ones for the GEMM path.
        const int rows = 7;
        float[][] features = Enumerable.Range(0, rows)
            .Select(row => Enumerable.Range(0, steps * stepSize).Select(_ => row < 4 && random.NextDouble() < 0.7 ? 0f : (float)random.NextDouble()).ToArray())
            .ToArray();
        float[] expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            expected = nn.functional.softmax(network.forward(tensor(features.SelectMany(f => f).ToArray(), new long[] { rows, steps * stepSize })), 1).data<float>().ToArray();
        }

        var single = scorer.CreateWorkspace();
        for (int row = 0; row < rows; row++)
        {
            var actual = new float[classes];
            scorer.Score(features[row], actual, single);
            AssertClose(expected.AsSpan(row * classes, classes), actual, $"{path}row {row} alone");
        }

        // A batch of every row, and batches smaller than their workspace: the same probabilities, row by row.
        foreach (int[] batches in new[] { new[] { rows }, new[] { 3, 1, 3 } })
        {
            var workspace = scorer.CreateWorkspace(rows: 8);
            int first = 0;
            foreach (int count in batches)
            {
                var actual = new float[count * classes];
                scorer.Score(features.Skip(first).Take(count).SelectMany(f => f).ToArray(), count, actual, workspace);
                for (int b = 0; b < count; b++)
                    AssertClose(expected.AsSpan((first + b) * classes, classes), actual.AsSpan(b * classes, classes), $"{path}row {first + b} in a batch of {count}");
                first += count;
            }
        }
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        for (int c = 0; c < expected.Length; c++)
            Assert.AreEqual(expected[c], actual[c], 2e-5, $"{what}, class {c}");
    }

    [TestMethod]
    public void A_batch_larger_than_the_workspace_is_refused()
    {
        using var network = new NetworkSpec(RecurrentCellKind.Sru, 4, 4, 8, 1, 3).Build();
        SruInference scorer = SruInference.TryCreate(network)!;
        var workspace = scorer.CreateWorkspace(rows: 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score(new float[3 * 16], 3, new float[3 * 3], workspace));
        StringAssert.Contains(e.Message, "1 to 2 rows");
    }

    [TestMethod]
    public void Lstm_networks_get_the_LSTM_and_GRU_scorer_not_the_SRUs()
    {
        using var network = new NetworkSpec(RecurrentCellKind.Lstm, 4, 4, 8, 1, 3).Build();
        Assert.IsNull(SruInference.TryCreate(network));
        Assert.IsInstanceOfType<RnnInference>(ManagedInference.For(network));
    }
}
