using Microsoft.ML;
using Sru.Datasets;
using Sru.Datasets.Text;

namespace Sru.Benchmarks;

/// <summary>
/// Text classification on real short texts (the fortunes corpus, <see cref="FortuneCorpus"/>): an entry's category from
/// its words. ML.NET's standard text pipeline (FeaturizeText: word and character n-grams) with SdcaMaximumEntropy and
/// with LightGbm, beside the recurrent trainers reading the words one token a step.
/// </summary>
internal static class TextBenchmark
{
    public static readonly string[] ContenderNames = ["FeaturizeText+SdcaMaximumEntropy", "FeaturizeText+LightGbm", "Words+Sru", "Words+Lstm", "Words+Gru"];

    public static List<SideBySide.Result> Run(IReadOnlyCollection<string> contenders, IEnumerable<string>? categories = null)
    {
        var data = new MLContext(seed: 1);
        IDataView train = FortuneCorpus.Load(data, DatasetSplit.Train, categories);
        IDataView test = FortuneCorpus.Load(data, DatasetSplit.Test, categories);
        Console.WriteLine($"Fortunes: {train.GetRowCount():N0} training and {test.GetRowCount():N0} test entries in {string.Join(", ", categories ?? FortuneCorpus.DefaultCategories)}.");
        var all = new SideBySide.Contender[]
        {
            new("FeaturizeText+SdcaMaximumEntropy", ml => Label(ml).Append(ml.Transforms.Text.FeaturizeText("Features", "Text"))
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())),
            new("FeaturizeText+LightGbm", ml => Label(ml).Append(ml.Transforms.Text.FeaturizeText("Features", "Text"))
                .Append(ml.MulticlassClassification.Trainers.LightGbm())),
            new("Words+Sru", ml => Words(ml).Append(ml.MulticlassClassification.Trainers.Sru(new Microsoft.ML.Sru.SruTrainer.Options { FeatureColumnName = "Tokens" }))),
            new("Words+Lstm", ml => Words(ml).Append(ml.MulticlassClassification.Trainers.Lstm(new Microsoft.ML.Sru.LstmTrainer.Options { FeatureColumnName = "Tokens" }))),
            new("Words+Gru", ml => Words(ml).Append(ml.MulticlassClassification.Trainers.Gru(new Microsoft.ML.Sru.GruTrainer.Options { FeatureColumnName = "Tokens" }))),
        };
        return SideBySide.Run("fortunes", train, test, all.Where(c => contenders.Contains(c.Name)),
            (ml, scored) => ("accuracy", ml.MulticlassClassification.Evaluate(scored).MicroAccuracy));
    }

    private static IEstimator<ITransformer> Label(MLContext ml) => ml.Transforms.Conversion.MapValueToKey("Label", "Category");

    /// <summary>The label, and the text as a sequence of word keys: lower case without punctuation, one token a step.</summary>
    private static IEstimator<ITransformer> Words(MLContext ml) => Label(ml)
        .Append(ml.Transforms.Text.NormalizeText("Words", "Text", keepPunctuations: false))
        .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Words"))
        .Append(ml.Transforms.Conversion.MapValueToKey("Tokens"));
}
