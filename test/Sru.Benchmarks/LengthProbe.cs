using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;
using Microsoft.ML.Transforms;
using Sru.Datasets;
using Sru.Datasets.Weather;

namespace Sru.Benchmarks;

/// <summary>
/// How the SRU's training length and regularisation defaults were weighed, on robustness-suite variants (by index) and
/// the weather tasks ("w"): the defaults; then a probe that trains on nine tenths of the rows with the rows-seen
/// budget, scoring the held-out tenth each epoch, and retrains on every row for the epoch counts the held-out loss and
/// accuracy picked. With <c>--try "A=1,B=2;C=3"</c> it trains the defaults with each ';'-separated set of option
/// values instead.
/// </summary>
internal static class LengthProbe
{
    private sealed class Recorder(List<TrainingProgress> into) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Kind == TrainingProgressKind.Epoch)
                into.Add(value);
        }
    }

    public sealed record Case(string Name, IDataView Train, IDataView Test, Func<MLContext, Action<RecurrentTrainerOptions>, IEstimator<ITransformer>> Trainer,
        Func<MLContext, IDataView, double> Metric);

    public static void Run(string which, string? settings = null)
    {
        var cases = new List<Case>();
        var data = new MLContext(seed: 1);
        foreach (var variant in RobustnessSuite.Variants.Where((v, i) => which.Split(',').Contains(i.ToString())))
        {
            var (train, test) = RobustnessSuite.Views(data, variant);
            var keys = data.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(train);
            int steps = variant.SequenceLength;
            cases.Add(new(variant.Name, keys.Transform(train), keys.Transform(test),
                (ml, change) => ml.MulticlassClassification.Trainers.Sru(With(new SruTrainer.Options { SequenceLength = steps }, change)),
                (ml, scored) => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy));
        }
        if (which.Contains('w'))
        {
            IDataView train = WeatherHistory.Load(data, DatasetSplit.Train), test = WeatherHistory.Load(data, DatasetSplit.Test);
            cases.Add(new("weather rain AUC", train, test,
                (ml, change) => ml.BinaryClassification.Trainers.Sru(With(new SruTrainer.Options { SequenceLength = WeatherHistory.WindowDays, LabelColumnName = "RainNextDay" }, change)),
                (ml, scored) => ml.BinaryClassification.Evaluate(scored, "RainNextDay").AreaUnderRocCurve));
            cases.Add(new("weather tmax RMSE", train, test,
                (ml, change) => ml.Regression.Trainers.Sru(With(new SruTrainer.Options { SequenceLength = WeatherHistory.WindowDays, LabelColumnName = "NextDayMaxTemperature" }, change)),
                (ml, scored) => ml.Regression.Evaluate(scored, "NextDayMaxTemperature").RootMeanSquaredError));
        }
        foreach (var c in cases)
        {
            double Score(ITransformer model) => c.Metric(new MLContext(), model.Transform(c.Test));
            long rows = SideBySide.Count(c.Train);
            int ruleEpochs = TrainingPlan.For(new SruTrainer.Options(), (int)Math.Min(rows, int.MaxValue), SequenceInputKind.FixedLength).Epochs;
            if (settings is not null)
            {
                foreach (string set in settings.Split(';'))
                {
                    double value = Score(c.Trainer(new MLContext(seed: 1), o => Apply(o, set)).Fit(c.Train));
                    Console.WriteLine($"{c.Name}: {set}: {value:F4}");
                }
                continue;
            }
            double baseline = Score(c.Trainer(new MLContext(seed: 1), _ => { }).Fit(c.Train));
            Console.WriteLine($"{c.Name}: rows {rows}, rule {ruleEpochs} epochs, baseline {baseline:F4}");

            var split = new MLContext(seed: 1).Data.TrainTestSplit(c.Train, 0.1, seed: 1);
            long probeRows = SideBySide.Count(split.TrainSet);
            var epochs = new List<TrainingProgress>();
            var ml = new MLContext(seed: 1);
            var trainer = (RecurrentTrainerBase)c.Trainer(ml, o => { o.MaxEpoch = ruleEpochs; o.Progress = new Recorder(epochs); });
            double kept = Score(trainer.Fit(split.TrainSet, split.TestSet));
            int byLoss = epochs.MinBy(e => e.ValidationLoss!.Value)!.Epoch;
            // Regression has no accuracy: its loss decides alone.
            float bestAccuracy = epochs.Max(x => x.ValidationAccuracy ?? 0);
            int byAcc = epochs.LastOrDefault(e => e.ValidationAccuracy == bestAccuracy)?.Epoch ?? byLoss;
            int byAccFirst = epochs.FirstOrDefault(e => e.ValidationAccuracy == bestAccuracy)?.Epoch ?? byLoss;
            Console.WriteLine($"   probe on {probeRows}: best loss epoch {byLoss}, best accuracy epoch {byAccFirst}..{byAcc}; kept-best-loss {kept:F4}");
            Console.WriteLine("   curve: " + string.Join(" ", epochs.Select(e => $"{e.Epoch}:{e.ValidationLoss:F3}/{e.ValidationAccuracy:P1}")));
            foreach (var (label, e) in new[] { ("loss", byLoss), ("acc-last", byAcc), ("acc-first", byAccFirst) }.DistinctBy(p => p.Item2))
            {
                double retrained = Score(c.Trainer(new MLContext(seed: 1), o => o.MaxEpoch = Math.Max(3, e)).Fit(c.Train));
                Console.WriteLine($"   retrain all rows, {Math.Max(3, e)} epochs ({label}): {retrained:F4}");
            }
        }
    }

    private static void Apply(RecurrentTrainerOptions o, string settings)
    {
        foreach (string setting in settings.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] pair = setting.Split('=', 2);
            var property = o.GetType().GetProperty(pair[0])!;
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(o, type.IsEnum ? Enum.Parse(type, pair[1]) : Convert.ChangeType(pair[1], type, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static T With<T>(T options, Action<RecurrentTrainerOptions> change) where T : RecurrentTrainerOptions
    {
        change(options);
        return options;
    }
}
