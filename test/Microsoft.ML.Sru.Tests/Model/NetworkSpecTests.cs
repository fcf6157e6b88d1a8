using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>The network description's checks for every cell kind, and the state-dict names saved models depend on.</summary>
[TestClass]
public sealed class NetworkSpecTests
{
    [TestMethod]
    [DataRow(1, 3)]
    [DataRow(2, 3)]
    [DataRow(3, 3)]
    [DataRow(1, 1)]
    [DataRow(2, 1)]
    [DataRow(3, 1)]
    public void MinimumParameterCount_is_a_close_lower_bound_of_the_built_network(int cellKind, int layers)
    {
        var cell = (RecurrentCellKind)cellKind;
        var spec = new NetworkSpec(cell, 7, 5, 16, layers, 4);
        using SequenceClassifier network = spec.Build();
        long actual = network.parameters().Sum(p => p.numel());

        Assert.IsLessThanOrEqualTo(actual, spec.MinimumParameterCount);
        // What the bound leaves out is biases and per-unit vectors: at most 8 H-wide vectors a layer, and the head's bias.
        Assert.IsLessThanOrEqualTo(8L * 16 * layers + 4, actual - spec.MinimumParameterCount, $"{cell}: {actual} parameters, bound {spec.MinimumParameterCount}");
    }

    [TestMethod]
    public void The_GRU_and_LSTM_state_dict_keys_name_their_torch_modules()
    {
        using SequenceClassifier gru = new NetworkSpec(RecurrentCellKind.Gru, 4, 4, 8, 2, 3).Build();
        using SequenceClassifier lstm = new NetworkSpec(RecurrentCellKind.Lstm, 4, 4, 8, 2, 3).Build();

        // Saved LSTM models store these names: they must not change.
        CollectionAssert.IsSubsetOf(new[] { "encoder.lstm.weight_ih_l0", "encoder.lstm.weight_hh_l1", "head.weight" }, lstm.state_dict().Keys.ToArray());
        CollectionAssert.IsSubsetOf(new[] { "encoder.gru.weight_ih_l0", "encoder.gru.weight_hh_l1", "head.weight" }, gru.state_dict().Keys.ToArray());
        Assert.AreEqual(3 * 8, gru.state_dict()["encoder.gru.weight_ih_l0"].shape[0], "three gates");
    }

    [TestMethod]
    public void An_unknown_cell_kind_is_refused_listing_the_known_ones()
    {
        string? problem = new NetworkSpec((RecurrentCellKind)4, 4, 4, 8, 1, 3).FindProblem()?.ToString();

        Assert.AreEqual("cell kind 4 (must be 1 for SRU, 2 for LSTM or 3 for GRU)", problem);
    }
}
