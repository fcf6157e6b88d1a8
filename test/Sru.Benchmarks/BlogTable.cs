using Microsoft.ML;
using Microsoft.ML.Sru;

namespace Sru.Benchmarks;

/// <summary>
/// The blog's run reproduced (<see cref="BlogReproduction"/>: its network and training on its 55,000 training rows, three
/// seeds), then what this library's SRU defaults add on top of the blog's SRU, one change at a time.
/// </summary>
internal static class BlogTable
{
    public sealed record Entry(string Row, int Seed, double Accuracy, double TrainSeconds);

    /// <summary>The cumulative changes from the blog's SRU to the library's defaults, each applied on top of those before it.</summary>
    public static IReadOnlyList<(string Name, Action<SruTrainer.Options> Change)> Steps { get; } = new (string, Action<SruTrainer.Options>)[]
    {
        ("+ highway", o => o.UseHighway = true),
        ("+ this library's initialisation (forget-gate bias +2)", o => o.Initialization = WeightInitialization.Default),
        ("+ 3 layers", o => o.NumberOfLayers = new SruTrainer.Options().NumberOfLayers),
        ("+ batch 32", o => o.BatchSize = new SruTrainer.Options().BatchSize),
        ("+ cosine schedule at rate 0.005", o =>
        {
            var defaults = new SruTrainer.Options();
            o.LearningRate = defaults.LearningRate;
            o.LearningRateSchedule = defaults.LearningRateSchedule;
        }),
        ("+ input normalization", o => o.InputNormalization = new SruTrainer.Options().InputNormalization),
        ("+ epochs from the data (= the defaults)", o => o.MaxEpoch = new SruTrainer.Options().MaxEpoch),
    };

    public static List<Entry> Run(int[] seeds, bool blogRuns, bool ablation)
    {
        var data = new MLContext(seed: 1);
        IDataView all = data.Data.LoadMnist(MnistSplit.Train);
        IDataView train = data.Data.SkipRows(all, 60_000 - BlogReproduction.TrainingRows);
        IDataView test = data.Data.LoadMnist(MnistSplit.Test);
        var entries = new List<Entry>();
        void Measure(string row, int seed, Func<MLContext, IEstimator<ITransformer>> trainer)
        {
            var ml = new MLContext(seed: seed);
            var result = MnistBenchmark.Run(row, trainer(ml), ml, train, test);
            (result.Model as IDisposable)?.Dispose();
            entries.Add(new Entry(row, seed, result.Accuracy, result.TrainSeconds));
            Console.WriteLine($"   {row,-56} seed {seed}: {result.Accuracy,8:P2} test accuracy, {result.TrainSeconds,6:F1} s training");
        }

        if (blogRuns)
        {
            foreach (int seed in seeds)
                Measure("blog SRU", seed, ml => ml.MulticlassClassification.Trainers.Sru(BlogReproduction.Configure(new SruTrainer.Options())));
            foreach (int seed in seeds)
                Measure("blog LSTM", seed, ml => ml.MulticlassClassification.Trainers.Lstm(BlogReproduction.Configure(new LstmTrainer.Options())));
            Summarize(entries, "blog SRU", BlogReproduction.SruAccuracy);
            Summarize(entries, "blog LSTM", BlogReproduction.LstmAccuracy);
        }

        if (ablation)
        {
            var changes = new List<Action<SruTrainer.Options>>();
            foreach (var (name, change) in Steps)
            {
                changes.Add(change);
                var applied = changes.ToArray();
                Measure(name, seeds[0], ml =>
                {
                    var options = BlogReproduction.Configure(new SruTrainer.Options());
                    foreach (var c in applied)
                        c(options);
                    return ml.MulticlassClassification.Trainers.Sru(options);
                });
            }
        }
        return entries;
    }

    private static void Summarize(List<Entry> entries, string row, double blog)
    {
        var accuracies = entries.Where(e => e.Row == row).Select(e => e.Accuracy).ToList();
        Console.WriteLine($"   {row}: mean {accuracies.Average():P2}, range {accuracies.Min():P2}–{accuracies.Max():P2} over {accuracies.Count} seeds; the blog: {blog:P2}");
    }
}
