using System.Globalization;
using Microsoft.ML.Sru.Tests.Sample;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>A saved model loads in another process, with nothing registered by hand, and scores bit for bit alike.</summary>
[TestClass]
public sealed class FreshProcessTests
{
    [TestMethod]
    [TestCategory("RealData")]
    public void A_model_saved_here_scores_identically_in_a_fresh_process()
    {
        var ml = new MLContext(seed: 11);
        IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 1000);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.Sru(hiddenSize: 16, maxEpoch: 1))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        ITransformer model = pipeline.Fit(train);
        float[][] expected = RecurrentTrainerTests.Scores(ml.Data.TakeRows(model.Transform(test), 5));

        string path = Path.Combine(Path.GetTempPath(), $"sru-fresh-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            string[] lines = SampleProcess.RunOk("scores", path, "--count", "5").Split('\n');
            float[][] actual = lines.Where(l => l.StartsWith("SCORES ", StringComparison.Ordinal))
                .Select(l => l["SCORES ".Length..].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
                .ToArray();
            Assert.HasCount(expected.Length, actual, string.Join("\n", lines));
            for (int i = 0; i < expected.Length; i++)
                CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
