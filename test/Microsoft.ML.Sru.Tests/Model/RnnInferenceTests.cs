using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Tests.Trainers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>
/// The managed LSTM and GRU scorer, one row and batches of rows, fixed-length and padded, against the TorchSharp network
/// it was copied from (nn.LSTM / nn.GRU); and the trained models' Transform and PredictionEngine going through it.
/// </summary>
/// <remarks>
/// The reference is the network's forward with autograd on (in eval mode: nn.LSTM/nn.GRU themselves, not the fused
/// training layers). libtorch's LSTM under no_grad, which <see cref="TorchBatchScorer"/> runs, gives other numbers for
/// some networks (here H = 8, 16 and 40 did, H = 24, 32, 64 and 128 did not; docs/onnx.md), where the LSTM equations by
/// hand, autograd's forward and this scorer agree.
/// </remarks>
[TestClass]
public sealed class RnnInferenceTests
{
    private const double Tolerance = 1e-5;

    [TestMethod]
    // The blog's shape: 28 steps of 28, 2 layers of 128, 10 classes.
    [DataRow("LSTM", 28, 28, 128, 2, 10)]
    [DataRow("GRU", 28, 28, 128, 2, 10)]
    // 3 layers, a step narrower than h, h not a multiple of the vector width (the scalar lanes).
    [DataRow("LSTM", 7, 5, 17, 3, 3)]
    [DataRow("GRU", 7, 5, 17, 3, 3)]
    // One step, one layer; a step wider than h.
    [DataRow("LSTM", 1, 33, 16, 1, 2)]
    [DataRow("GRU", 1, 33, 16, 1, 2)]
    [DataRow("LSTM", 9, 40, 24, 1, 4)]
    [DataRow("GRU", 9, 40, 24, 1, 4)]
    public void Managed_scores_match_the_TorchSharp_networks_softmax(string cell, int steps, int stepSize, int hidden, int layers, int classes) =>
        AssertManagedMatchesTorchSharp(new NetworkSpec(Cell(cell), steps, stepSize, hidden, layers, classes));

    [TestMethod]
    [DataRow("LSTM", nameof(RecurrentTaskKind.BinaryClassification))]
    [DataRow("GRU", nameof(RecurrentTaskKind.BinaryClassification))]
    [DataRow("LSTM", nameof(RecurrentTaskKind.Regression))]
    [DataRow("GRU", nameof(RecurrentTaskKind.Regression))]
    public void A_single_output_head_is_the_TorchSharp_networks_output_without_a_softmax(string cell, string task) =>
        AssertManagedMatchesTorchSharp(new NetworkSpec(Cell(cell), 6, 5, 20, 2, 2) { Task = Enum.Parse<RecurrentTaskKind>(task) });

    /// <summary>The cell named "LSTM" or "GRU" (the test methods are public, the enum is not).</summary>
    private static RecurrentCellKind Cell(string name) => Enum.Parse<RecurrentCellKind>(name, ignoreCase: true);

    private static void AssertManagedMatchesTorchSharp(NetworkSpec spec)
    {
        torch.manual_seed(spec.SequenceLength * 1000 + spec.HiddenSize + spec.StepSize);
        using var network = spec.Build();
        network.eval();
        // The AVX-512 GEMM (where there is one) and the row updates other machines use.
        foreach (bool useGemm in new[] { true, false })
            AssertManagedMatchesTorchSharp(network, RnnInference.TryCreate(network, useGemm)!, $"{spec.Cell} {(useGemm ? "GEMM" : "row updates")}: ");
    }

    private static void AssertManagedMatchesTorchSharp(SequenceClassifier network, RnnInference scorer, string path)
    {
        NetworkSpec spec = network.Spec;
        int width = spec.HeadWidth, features = spec.FeatureCount;
        var random = new Random(spec.SequenceLength + spec.HiddenSize);

        // 37 rows: sparse ones, like MNIST (the row updates skip zeros), and dense ones.
        const int rows = 37;
        float[] values = Enumerable.Range(0, rows * features)
            .Select(i => i / features % 2 == 0 && random.NextDouble() < 0.7 ? 0f : (float)(2 * random.NextDouble() - 1)).ToArray();
        float[] expected = Expected(network, values, rows, null);
        if (spec.Task != RecurrentTaskKind.MulticlassClassification)
            Assert.IsTrue(expected.Any(score => Math.Abs(score - 1) > 0.01), "outputs a softmax would make 1");

        var single = scorer.CreateWorkspace();
        for (int row = 0; row < rows; row++)
        {
            var actual = new float[width];
            scorer.Score(values.AsSpan(row * features, features), actual, single);
            AssertClose(expected.AsSpan(row * width, width), actual, $"{path}row {row} alone");
        }

        // The whole batch, and batches smaller than their workspace (the parts the batch scorer hands its threads).
        foreach (int[] batches in new[] { new[] { rows }, new[] { 3, 1, 20, 13 } })
        {
            var workspace = scorer.CreateWorkspace(rows: rows);
            int first = 0;
            foreach (int count in batches)
            {
                var actual = new float[count * width];
                scorer.Score(values.AsSpan(first * features, count * features), count, actual, workspace);
                AssertClose(expected.AsSpan(first * width, count * width), actual, $"{path}rows {first}–{first + count - 1} in a batch of {count}");
                first += count;
            }
        }
    }

    [TestMethod]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Each_row_of_a_padded_batch_gets_what_the_TorchSharp_network_gives_it_at_its_own_length(string cell)
    {
        // Lengths of 1 to the network's 9 steps, padded to the longest of the batch (8); the pads are noise, not zeros,
        // so that a step read past a row's end would show.
        int[] lengths = [8, 3, 1, 5, 8, 2, 7];
        int rows = lengths.Length, steps = lengths.Max();
        var spec = new NetworkSpec(Cell(cell), 9, 6, 20, 2, 3);
        torch.manual_seed(11);
        using var network = spec.Build();
        network.eval();
        var random = new Random(11);
        float[] values = Enumerable.Range(0, rows * steps * spec.StepSize).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
        float[] expected = Expected(network, values, rows, lengths);

        foreach (bool useGemm in new[] { true, false })
        {
            RnnInference scorer = RnnInference.TryCreate(network, useGemm)!;
            var actual = new float[rows * spec.ClassCount];
            scorer.Score(values, rows, lengths, actual, scorer.CreateWorkspace(rows: rows));
            AssertClose(expected, actual, $"{cell} {(useGemm ? "GEMM" : "row updates")}");
        }
    }

    /// <summary>
    /// The TorchSharp network's outputs (softmax for a multiclass head), rows of <paramref name="lengths"/> where not
    /// null; with autograd on (see the remarks above).
    /// </summary>
    private static float[] Expected(SequenceClassifier network, float[] values, int rows, int[]? lengths)
    {
        using var scope = NewDisposeScope();
        Assert.IsFalse(network.training, "nn.LSTM/nn.GRU, not the fused training layers");
        Tensor outputs = network.Forward(tensor(values, new long[] { rows, values.Length / rows }), lengths).detach();
        if (network.Spec.Task == RecurrentTaskKind.MulticlassClassification)
            outputs = nn.functional.softmax(outputs, 1);
        return outputs.contiguous().data<float>().ToArray();
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}, output {i}");
    }

    [TestMethod]
    public void Other_cells_and_other_scorers_workspaces_are_refused()
    {
        using var sru = new NetworkSpec(RecurrentCellKind.Sru, 4, 4, 8, 1, 3).Build();
        using var lstm = new NetworkSpec(RecurrentCellKind.Lstm, 4, 4, 8, 1, 3).Build();
        Assert.IsNull(RnnInference.TryCreate(sru));
        Assert.IsInstanceOfType<SruInference>(ManagedInference.For(sru));
        RnnInference scorer = RnnInference.TryCreate(lstm)!;

        var e = Assert.Throws<ArgumentException>(() => scorer.Score(new float[16], new float[3], SruInference.TryCreate(sru)!.CreateWorkspace()));
        StringAssert.Contains(e.Message, "another scorer");
        var rows = Assert.Throws<ArgumentOutOfRangeException>(() => scorer.Score(new float[3 * 16], 3, new float[3 * 3], scorer.CreateWorkspace(rows: 2)));
        StringAssert.Contains(rows.Message, "1 to 2 rows");
    }

    [TestMethod]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Transform_and_PredictionEngine_of_a_trained_model_score_through_the_managed_scorer_as_the_TorchSharp_network_does(string cell)
    {
        var ml = new MLContext(seed: 21);
        RecurrentTrainerOptions options = TinyModels.For(cell, epochs: 2);
        options.NumberOfLayers = 2;
        RecurrentPredictionTransformer model = CellTrainers.Trainer(ml, options).Fit(OrderedMarkers.Load(ml, 200, seed: 21));
        List<OrderedMarkers.Row> rows = OrderedMarkers.Generate(40, seed: 22);
        int classes = model.Model.ClassCount;

        // The TorchSharp network over all rows at once, and the managed scorer over the same rows (rescaled first).
        float[] features = rows.SelectMany(r => r.Features).ToArray();
        float[] rescaled = features.ToArray(), managed = new float[rows.Count * classes];
        model.Model.InputScaling.Apply(rescaled);
        float[] torchScores = Expected(model.Model.Network, rescaled, rows.Count, null);
        IBatchScorer scorer = model.Model.CreateScorer(rows.Count);
        Assert.IsInstanceOfType<ManagedBatchScorer>(scorer);
        model.Model.Score(features.ToArray(), rows.Count, managed, scorer);
        AssertClose(torchScores, managed, $"{cell}: the managed batch scorer");

        // Transform and PredictionEngine give the managed scorer's very numbers (a row's arithmetic does not depend on
        // its batch), which TorchSharp's do not repeat to the bit.
        float[][] transformed = RecurrentTrainerTests.Scores(model.Transform(ml.Data.LoadFromEnumerable(rows)));
        var engine = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        for (int i = 0; i < rows.Count; i++)
        {
            float[] expected = managed.AsSpan(i * classes, classes).ToArray();
            CollectionAssert.AreEqual(expected, transformed[i], $"{cell}: Transform, row {i}");
            CollectionAssert.AreEqual(expected, engine.Predict(rows[i]).Score, $"{cell}: PredictionEngine, row {i}");
        }
        Assert.IsFalse(torchScores.SequenceEqual(managed), $"{cell}: TorchSharp's scores to the bit; the comparison above tells nothing");
    }
}
