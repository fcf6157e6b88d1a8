using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>The product's promise on real data: SRU with default options on full row-wise MNIST, 3 epochs.</summary>
[TestClass]
public sealed class MnistAccuracyTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("RealData")]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void Sru_with_default_options_reaches_98_5_percent_on_MNIST_in_three_epochs()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadMnist(MnistSplit.Train);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.Sru());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        TestContext.WriteLine($"SRU, defaults, 3 epochs: test accuracy {metrics.MicroAccuracy:P2} in {clock.Elapsed.TotalSeconds:F1} s");

        // The goal: 98.5 %. The defaults measured 98.85–98.99 % over seeds 1–3 in the sample.
        Assert.IsGreaterThanOrEqualTo(0.985, metrics.MicroAccuracy);
    }
}
