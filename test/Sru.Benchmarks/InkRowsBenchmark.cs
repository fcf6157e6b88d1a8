using Microsoft.ML;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Trainers;
using Sru.Datasets.Digits;

namespace Sru.Benchmarks;

/// <summary>
/// Variable-length numeric sequences from real data: MNIST read row by row, once as the fixed 28 rows and once cut to each
/// digit's ink rows (<see cref="InkRowsMnist"/>), each trained by the SRU's defaults; and how much of a batch is padding
/// when rows of similar length are batched together against plain shuffled batches.
/// </summary>
internal static class InkRowsBenchmark
{
    public static List<SideBySide.Result> Run()
    {
        var data = new MLContext(seed: 1);
        IDataView fixedTrain = data.Data.LoadMnist(MnistSplit.Train), fixedTest = data.Data.LoadMnist(MnistSplit.Test);
        var inkTrainRows = InkRowsMnist.Read(MnistDataset.Load(MnistSplit.Train));
        IDataView inkTrain = data.Data.LoadFromEnumerable(inkTrainRows);
        IDataView inkTest = InkRowsMnist.Load(data, MnistSplit.Test);

        int[] lengths = inkTrainRows.Select(row => row.Features.Length / InkRowsMnist.RowWidth).ToArray();
        Console.WriteLine($"Ink rows: {lengths.Min()} to {lengths.Max()} steps, mean {lengths.Average():F1} of 28.");
        foreach (int batch in new[] { Defaults.SruBatchSize, Defaults.BatchSize })
        {
            var (order, starts) = LengthBuckets.Shuffle(lengths, batch, new Random(1));
            int[] shuffled = Enumerable.Range(0, lengths.Length).ToArray();
            new Random(1).Shuffle(shuffled);
            Console.WriteLine($"   batches of {batch}: padded steps {PaddedShare(order, starts, lengths):P2} bucketed, {PaddedShare(shuffled, starts, lengths):P2} shuffled alone");
        }

        var results = SideBySide.Run("MNIST, 28 rows", fixedTrain, fixedTest,
            [new("Sru", ml => Label(ml).Append(ml.MulticlassClassification.Trainers.Sru()))], Accuracy);
        results.AddRange(SideBySide.Run("MNIST, ink rows", inkTrain, inkTest,
            [new("Sru (StepSize = 28)", ml => Label(ml).Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { StepSize = InkRowsMnist.RowWidth })))], Accuracy));
        return results;
    }

    private static (string, double) Accuracy(MLContext ml, IDataView scored) => ("accuracy", ml.MulticlassClassification.Evaluate(scored).MicroAccuracy);

    private static IEstimator<ITransformer> Label(MLContext ml) => ml.Transforms.Conversion.MapValueToKey("Label");

    /// <summary>Padding steps over all steps of the batches, each padded to its longest row.</summary>
    private static double PaddedShare(int[] order, int[] starts, int[] lengths)
    {
        long padded = 0, real = 0;
        for (int b = 0; b < starts.Length; b++)
        {
            int end = b + 1 < starts.Length ? starts[b + 1] : order.Length;
            int longest = 0;
            for (int i = starts[b]; i < end; i++)
            {
                longest = Math.Max(longest, lengths[order[i]]);
                real += lengths[order[i]];
            }
            padded += (long)longest * (end - starts[b]);
        }
        return 1 - (double)real / padded;
    }
}
