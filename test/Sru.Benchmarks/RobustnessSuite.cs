using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Microsoft.ML.Transforms;

namespace Sru.Benchmarks;

/// <summary>
/// The trainers' defaults on data they were not tuned for: MNIST and Fashion-MNIST at several training-set sizes, with
/// pixels as raw 0–255 integers or in [0, 1], read as sequences of several shapes. Every trainer sees the same pipeline,
/// MapValueToKey then the trainer, with no normalizer anywhere, and only SequenceLength set for the recurrent ones.
/// </summary>
internal static class RobustnessSuite
{
    /// <param name="Name">How the table names the variant.</param>
    /// <param name="Dataset">Which images.</param>
    /// <param name="TrainingRows">The first this many training rows are trained on; all 10,000 test rows are scored.</param>
    /// <param name="RawPixels">Pixels as the integers 0–255 rather than in [0, 1].</param>
    /// <param name="SequenceLength">Steps each 784-value image is read as (28: a row a step; 14: two rows; 56: half a row).</param>
    public sealed record Variant(string Name, MnistVariant Dataset, int TrainingRows, bool RawPixels, int SequenceLength);

    public sealed record Entry(string Variant, string Trainer, double Accuracy, double FitSeconds, int Seed = 1);

    public static IReadOnlyList<Variant> Variants { get; } = new Variant[]
    {
        new("MNIST 2k, 0–255, 28×28", MnistVariant.Digits, 2_000, true, 28),
        new("MNIST 2k, [0,1], 28×28", MnistVariant.Digits, 2_000, false, 28),
        new("MNIST 10k, 0–255, 14×56", MnistVariant.Digits, 10_000, true, 14),
        new("MNIST 60k, [0,1], 28×28", MnistVariant.Digits, 60_000, false, 28),
        new("Fashion 2k, 0–255, 28×28", MnistVariant.Fashion, 2_000, true, 28),
        new("Fashion 10k, [0,1], 56×14", MnistVariant.Fashion, 10_000, false, 56),
        new("Fashion 60k, 0–255, 28×28", MnistVariant.Fashion, 60_000, true, 28),
    };

    /// <summary>A variant written as dataset:rows:raw|unit:steps, e.g. <c>Fashion:5000:raw:28</c>.</summary>
    public static Variant ParseVariant(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 4 || !Enum.TryParse(parts[0], out MnistVariant dataset) || !int.TryParse(parts[1], out int rows)
            || parts[2] is not ("raw" or "unit") || !int.TryParse(parts[3], out int steps) || rows < 1 || steps < 1 || 784 % steps != 0)
            throw new ArgumentException($"--custom-variants: '{text}' is not dataset:rows:raw|unit:steps (Digits or Fashion, rows ≥ 1, raw or unit, steps dividing 784).");
        bool raw = parts[2] == "raw";
        string name = $"{(dataset == MnistVariant.Digits ? "MNIST" : dataset.ToString())} {rows / 1000.0:0.#}k, {(raw ? "0–255" : "[0,1]")}, {steps}×{784 / steps}";
        return new Variant(name, dataset, rows, raw, steps);
    }

    public static readonly string[] TrainerNames = ["Sru", "Lstm", "Gru", "SdcaMaximumEntropy", "LightGbm"];

    private static IEstimator<ITransformer> Trainer(MLContext ml, string name, int sequenceLength, Action<RecurrentTrainerOptions>? change) => name switch
    {
        "Sru" => ml.MulticlassClassification.Trainers.Sru(With(new SruTrainer.Options { SequenceLength = sequenceLength }, change)),
        "Lstm" => ml.MulticlassClassification.Trainers.Lstm(With(new LstmTrainer.Options { SequenceLength = sequenceLength }, change)),
        "Gru" => ml.MulticlassClassification.Trainers.Gru(With(new GruTrainer.Options { SequenceLength = sequenceLength }, change)),
        "SdcaMaximumEntropy" => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
        "LightGbm" => ml.MulticlassClassification.Trainers.LightGbm(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown trainer."),
    };

    private static T With<T>(T options, Action<RecurrentTrainerOptions>? change) where T : RecurrentTrainerOptions
    {
        change?.Invoke(options);
        return options;
    }

    private sealed class Image
    {
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private static List<Image> Read(MLContext ml, MnistSplit split, MnistVariant dataset)
    {
        IDataView view = ml.Data.LoadMnist(split, variant: dataset);
        return ml.Data.CreateEnumerable<Image>(view, reuseRowObject: false).ToList();
    }

    private static IDataView View(MLContext ml, IEnumerable<Image> images, bool raw) => ml.Data.LoadFromEnumerable(raw
        ? images.Select(i => new Image { Label = i.Label, Features = i.Features.Select(v => MathF.Round(v * 255)).ToArray() })
        : images);

    private static readonly Dictionary<MnistVariant, (List<Image> Train, List<Image> Test)> Loaded = new();

    /// <summary>The variant's training and test rows, with the pixels it asks for.</summary>
    public static (IDataView Train, IDataView Test) Views(MLContext data, Variant variant)
    {
        if (!Loaded.TryGetValue(variant.Dataset, out var images))
            Loaded[variant.Dataset] = images = (Read(data, MnistSplit.Train, variant.Dataset), Read(data, MnistSplit.Test, variant.Dataset));
        return (View(data, images.Train.Take(variant.TrainingRows).ToList(), variant.RawPixels), View(data, images.Test, variant.RawPixels));
    }

    /// <summary>Runs <paramref name="trainers"/> on <paramref name="variants"/>, printing each result as it comes.</summary>
    /// <param name="seeds">The MLContext seeds each trainer runs with, one Fit each.</param>
    public static List<Entry> Run(IEnumerable<Variant> variants, IReadOnlyCollection<string> trainers, Action<RecurrentTrainerOptions>? change = null,
        IReadOnlyList<int>? seeds = null)
    {
        var entries = new List<Entry>();
        foreach (Variant variant in variants)
        {
            var (train, test) = Views(new MLContext(seed: 1), variant);
            foreach (string name in TrainerNames.Where(trainers.Contains))
            foreach (int seed in seeds ?? [1])
            {
                var ml = new MLContext(seed: seed);
                var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                    .Append(Trainer(ml, name, variant.SequenceLength, change));
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var clock = Stopwatch.StartNew();
                ITransformer model = pipeline.Fit(train);
                double fit = clock.Elapsed.TotalSeconds;
                double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
                (model as IDisposable)?.Dispose();
                var entry = new Entry(variant.Name, name, accuracy, fit, seed);
                Console.WriteLine($"   {entry.Variant,-26} {entry.Trainer,-20} {entry.Accuracy,8:P2} {entry.FitSeconds,8:F1} s fit{(seeds is null ? "" : $", seed {seed}")}");
                entries.Add(entry);
            }
        }
        return entries;
    }
}
