using Microsoft.ML;
using Sru.Datasets;
using Sru.Datasets.Weather;

namespace Sru.Benchmarks;

/// <summary>
/// Binary classification and regression on a real sequence: two cities' last 14 days of weather (4 values a day), to
/// tell whether it rains the next day and the next day's highest temperature (<see cref="WeatherHistory"/>; trained on
/// 2012–2014, tested on 2015). The recurrent trainers with their defaults (only the sequence length set) beside
/// ML.NET's standard trainers; only the linear Sdca gets a NormalizeMinMax in front (as ML.NET's guidance for linear
/// trainers says: without it, it did not converge in 10 minutes on the raw values).
/// </summary>
internal static class WeatherBenchmark
{
    public static readonly string[] ContenderNames = ["Sru", "Lstm", "Gru", "Sdca", "FastTree", "LightGbm"];

    public static List<SideBySide.Result> Run(IReadOnlyCollection<string> contenders)
    {
        var data = new MLContext(seed: 1);
        IDataView train = WeatherHistory.Load(data, DatasetSplit.Train, Console.WriteLine);
        IDataView test = WeatherHistory.Load(data, DatasetSplit.Test);
        const int steps = WeatherHistory.WindowDays;
        Console.WriteLine($"Weather: {train.GetRowCount():N0} training windows (2012–2014), {test.GetRowCount():N0} test windows (2015), {steps} days of {WeatherHistory.ValuesPerDay} values.");

        const string rain = nameof(WeatherWindow.RainNextDay), temperature = nameof(WeatherWindow.NextDayMaxTemperature);
        var binary = new SideBySide.Contender[]
        {
            new("Sru", ml => ml.BinaryClassification.Trainers.Sru(rain, sequenceLength: steps)),
            new("Lstm", ml => ml.BinaryClassification.Trainers.Lstm(rain, sequenceLength: steps)),
            new("Gru", ml => ml.BinaryClassification.Trainers.Gru(rain, sequenceLength: steps)),
            new("Sdca", ml => ml.Transforms.NormalizeMinMax("Features").Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(rain))),
            new("FastTree", ml => ml.BinaryClassification.Trainers.FastTree(rain)),
            new("LightGbm", ml => ml.BinaryClassification.Trainers.LightGbm(rain)),
        };
        var regression = new SideBySide.Contender[]
        {
            new("Sru", ml => ml.Regression.Trainers.Sru(temperature, sequenceLength: steps)),
            new("Lstm", ml => ml.Regression.Trainers.Lstm(temperature, sequenceLength: steps)),
            new("Gru", ml => ml.Regression.Trainers.Gru(temperature, sequenceLength: steps)),
            new("Sdca", ml => ml.Transforms.NormalizeMinMax("Features").Append(ml.Regression.Trainers.Sdca(temperature))),
            new("FastTree", ml => ml.Regression.Trainers.FastTree(temperature)),
            new("LightGbm", ml => ml.Regression.Trainers.LightGbm(temperature)),
        };
        var results = SideBySide.Run("rain tomorrow (AUC)", train, test, binary.Where(c => contenders.Contains(c.Name)),
            (ml, scored) => ("AUC", ml.BinaryClassification.Evaluate(scored, rain).AreaUnderRocCurve));
        results.AddRange(SideBySide.Run("max temperature (RMSE)", train, test, regression.Where(c => contenders.Contains(c.Name)),
            (ml, scored) => ("RMSE °C", ml.Regression.Evaluate(scored, temperature).RootMeanSquaredError)));
        return results;
    }
}
