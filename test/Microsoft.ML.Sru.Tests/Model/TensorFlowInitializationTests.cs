using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

[TestClass]
public sealed class TensorFlowInitializationTests
{
    private static Dictionary<string, float[]> Weights(NetworkSpec spec)
    {
        torch.manual_seed(7);
        using SequenceClassifier network = spec.Build();
        TensorFlowInitialization.Apply(network);
        return network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous().data<float>().ToArray());
    }

    private static double Limit(long fanIn, long fanOut) => Math.Sqrt(6.0 / (fanIn + fanOut));

    private static void AssertUniformWithin(float[] values, double limit, string what)
    {
        Assert.IsTrue(values.All(v => Math.Abs(v) <= limit), $"{what}: a value beyond ±{limit}");
        Assert.IsGreaterThan(0.9 * limit, values.Max(v => Math.Abs(v)), $"{what}: does not fill ±{limit}");
    }

    [TestMethod]
    public void The_SRU_starts_as_the_blogs_TensorFlow_cell()
    {
        var spec = new NetworkSpec(RecurrentCellKind.Sru, 28, 28, 128, 2, 10) { SruCell = SruCellSpec.Classic with { UseHighway = false } };
        var weights = Weights(spec);

        AssertUniformWithin(weights["encoder.layers.0.weight"], Limit(28, 3 * 128), "W_u of layer 0 [28, 3·128]");
        AssertUniformWithin(weights["encoder.layers.1.weight"], Limit(128, 3 * 128), "W_u of layer 1 [128, 3·128]");
        // b_f and b_r: a 1-D variable's fans are both its length, so U(±√(3/H)): not the 2017 form's constant +2.
        AssertUniformWithin(weights["encoder.layers.0.bias"], Limit(128, 128), "b_f, b_r");
        float[] head = weights["head.weight"];
        double std = Math.Sqrt(head.Select(v => (double)v * v).Average());
        Assert.AreEqual(1.0, std, 0.08, "tf.random_normal output weights");
    }

    [TestMethod]
    [DataRow("LSTM", 4)]
    [DataRow("GRU", 3)]
    public void LSTM_and_GRU_start_as_TensorFlows_cells(string cellName, int gates)
    {
        var cell = cellName == "LSTM" ? RecurrentCellKind.Lstm : RecurrentCellKind.Gru;
        const int input = 28, hidden = 64;
        var weights = Weights(new NetworkSpec(cell, 28, input, hidden, 2, 10) { SruCell = SruCellSpec.Classic with { UseHighway = false } });
        string prefix = cell == RecurrentCellKind.Lstm ? "encoder.lstm." : "encoder.gru.";

        float[] inputBias = weights[prefix + "bias_ih_l1"];
        Assert.IsTrue(weights[prefix + "bias_hh_l0"].All(v => v == 0));
        if (cell == RecurrentCellKind.Lstm)
        {
            AssertUniformWithin(weights[prefix + "weight_ih_l0"], Limit(input + hidden, 4 * hidden), "LSTM kernel, layer 0");
            AssertUniformWithin(weights[prefix + "weight_hh_l1"], Limit(2 * hidden, 4 * hidden), "LSTM kernel, layer 1");
            // Gates i, f, g, o: forget_bias=1.0 on f only.
            CollectionAssert.AreEqual(Enumerable.Range(0, gates * hidden).Select(i => i / hidden == 1 ? 1f : 0f).ToArray(), inputBias);
        }
        else
        {
            float[] kernel = weights[prefix + "weight_ih_l0"];
            AssertUniformWithin(kernel[..(2 * hidden * input)], Limit(input + hidden, 2 * hidden), "GRU gate kernel");
            AssertUniformWithin(kernel[(2 * hidden * input)..], Limit(input + hidden, hidden), "GRU candidate kernel");
            // Gates r, z start at bias 1, the candidate n at 0.
            CollectionAssert.AreEqual(Enumerable.Range(0, gates * hidden).Select(i => i / hidden < 2 ? 1f : 0f).ToArray(), inputBias);
        }
    }

    [TestMethod]
    public void TensorFlow1_with_an_SRU_option_it_does_not_describe_is_refused_naming_the_option()
    {
        var options = new SruTrainer.Options { Initialization = WeightInitialization.TensorFlow1, UseCellStateWeights = true };

        var e = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().MulticlassClassification.Trainers.Sru(options));

        Assert.AreEqual("Initialization", e.ParamName);
    }

    [TestMethod]
    public void The_blogs_settings_are_its_train_py()
    {
        var sru = BlogReproduction.Configure(new SruTrainer.Options());
        Assert.IsFalse(sru.UseHighway);
        Assert.AreEqual((2, 128, 128, 0.01f, LearningRateSchedule.Constant, 1f, 3), (sru.NumberOfLayers, sru.HiddenSize, sru.BatchSize, sru.LearningRate, sru.LearningRateSchedule, sru.GradientClipNorm, sru.MaxEpoch));
        Assert.AreEqual(WeightInitialization.TensorFlow1, sru.Initialization);
        Assert.AreEqual(InputNormalization.None, sru.InputNormalization);
    }
}
