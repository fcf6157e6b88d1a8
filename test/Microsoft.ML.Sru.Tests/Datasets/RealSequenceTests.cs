using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Sru.Datasets;
using Sru.Datasets.Digits;
using Sru.Datasets.Text;

namespace Microsoft.ML.Sru.Tests.Datasets;

/// <summary>
/// The input kinds on real data, briefly trained: MNIST digits cut to their ink rows (a variable number of 28-pixel
/// steps) and the fortunes texts as word tokens. The benchmarks (<c>--ink-rows</c>, <c>--text</c>) train them fully.
/// </summary>
[TestClass]
public sealed class RealSequenceTests
{
    [TestMethod]
    [TestCategory("RealData")]
    public void The_SRU_learns_digits_cut_to_their_ink_rows_each_its_own_number_of_steps()
    {
        var ml = new MLContext(seed: 1);
        var rows = InkRowsMnist.Read(MnistDataset.Load(MnistSplit.Train)).Take(20_000);
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        IDataView test = InkRowsMnist.Load(ml, MnistSplit.Test);

        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { StepSize = InkRowsMnist.RowWidth, MaxEpoch = 2 }))
            .Fit(train);

        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        Assert.IsGreaterThan(0.96, accuracy, $"accuracy on the 10,000 test digits after 2 epochs of 20,000: {accuracy:P2}");
    }

    [TestMethod]
    [TestCategory("RealData")]
    public void The_SRU_classifies_fortunes_by_their_words_well_above_the_largest_category()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = FortuneCorpus.Load(ml, DatasetSplit.Train);
        var testEntries = FortuneCorpus.Read(DatasetSplit.Test);
        IDataView test = ml.Data.LoadFromEnumerable(testEntries);

        var model = ml.Transforms.Conversion.MapValueToKey("Label", "Category")
            .Append(ml.Transforms.Text.NormalizeText("Words", "Text", keepPunctuations: false))
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Words"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Tokens"))
            .Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { FeatureColumnName = "Tokens", MaxEpoch = 5 }))
            .Fit(train);

        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        double largest = testEntries.GroupBy(e => e.Category).Max(g => g.Count()) / (double)testEntries.Count;
        Assert.IsGreaterThan(largest + 0.1, accuracy, $"accuracy {accuracy:P2}; always the largest category: {largest:P2}");

        // The managed scorer (the embedding looked up in a copy) against TorchSharp's network, on real texts of every length.
        float[][] managed = model.Transform(test).GetColumn<float[]>("Score").ToArray();
        RecurrentModelParameters.TorchScoringOnly.Value = true;
        float[][] torch;
        try
        {
            torch = model.Transform(test).GetColumn<float[]>("Score").ToArray();
        }
        finally
        {
            RecurrentModelParameters.TorchScoringOnly.Value = false;
        }
        for (int i = 0; i < managed.Length; i++)
        {
            for (int j = 0; j < managed[i].Length; j++)
                Assert.AreEqual(torch[i][j], managed[i][j], 1e-4, $"text {i}, class {j}");
        }
    }
}
