using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>The plan every path reads a layer from: its blocks, its skip and why training would not fuse it.</summary>
[TestClass]
public sealed class SruLayerPlanTests
{
    private static NetworkSpec Spec(SruCellSpec cell, int layers = 3) =>
        new(RecurrentCellKind.Sru, SequenceLength: 28, StepSize: 28, HiddenSize: 16, NumberOfLayers: layers, ClassCount: 10) { SruCell = cell };

    [TestMethod]
    public void The_first_layer_projects_its_skip_and_the_others_read_their_input()
    {
        NetworkSpec spec = Spec(SruCellSpec.Classic);
        SruLayerPlan first = SruLayerPlan.For(spec, 0), second = SruLayerPlan.For(spec, 1);
        Assert.AreEqual((4, SruSkip.UBlock, 28, 16), (first.Blocks, first.Skip, first.InputSize, first.OutputWidth));
        Assert.AreEqual((3, SruSkip.External, 16), (second.Blocks, second.Skip, second.InputSize));
        Assert.IsNull(first.WhyNotFused);
        Assert.IsNull(second.WhyNotFused);
        SruLayerPlan plain = SruLayerPlan.For(Spec(SruCellSpec.Classic with { UseHighway = false }), 1);
        Assert.AreEqual((3, SruSkip.None, false), (plain.Blocks, plain.Skip, plain.UseHighway));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SruLayerPlan.For(spec, 3));
    }

    [TestMethod]
    public void Dropout_reaches_every_layer_but_the_last_and_is_why_training_runs_them_in_two_parts()
    {
        NetworkSpec spec = Spec(SruCellSpec.Classic with { Dropout = 0.2f });
        Assert.AreEqual(0.2f, SruLayerPlan.For(spec, 1).Dropout);
        Assert.AreEqual(0f, SruLayerPlan.For(spec, 2).Dropout);
        if (Sgemm512.IsSupported)
        {
            Assert.AreEqual("dropout", SruLayerPlan.For(spec, 1).WhyNotFusedInTraining);
            Assert.IsNull(SruLayerPlan.For(spec, 2).WhyNotFusedInTraining);
        }
    }

    [TestMethod]
    public void A_layer_the_fused_kernel_cannot_take_says_why()
    {
        Assert.AreEqual("two directions", SruLayerPlan.For(Spec(SruCellSpec.Classic with { Bidirectional = true }), 0).WhyNotFused);
        Assert.AreEqual("a rescaled input skip", SruLayerPlan.For(Spec(SruCellSpec.Classic with { Rescale = true }), 1).WhyNotFused);
        Assert.IsNull(SruLayerPlan.For(Spec(SruCellSpec.Classic with { Rescale = true }), 0).WhyNotFused, "the first layer's skip is U's fourth block, not rescaled");
        Assert.AreEqual("a layer norm before the recurrence with an input skip",
            SruLayerPlan.For(Spec(SruCellSpec.Classic with { LayerNorm = SruLayerNorm.BeforeRecurrence }), 1).WhyNotFused);
    }

    [TestMethod]
    [DataRow(false, 3, new[] { false, false, true })]
    [DataRow(false, 1, new[] { true })]
    [DataRow(true, 3, new[] { false, false, false })]
    [DataRow(true, 1, new[] { false })]
    public void Only_the_last_layer_of_one_direction_has_its_last_step_alone_read(bool bidirectional, int layers, bool[] expected)
    {
        NetworkSpec spec = Spec(SruCellSpec.Classic with { Bidirectional = bidirectional }, layers);
        CollectionAssert.AreEqual(expected, Enumerable.Range(0, layers).Select(l => SruLayerPlan.For(spec, l).OnlyLastStepRead).ToArray());
        Assert.IsFalse(SruLayerPlan.Single(28, 16).OnlyLastStepRead, "a layer on its own hands on every step");
    }
}
