using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Sru.Datasets;
using Sru.Datasets.Weather;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Commands;

/// <summary>
/// <c>series</c>: a binary classifier or a regression model on numeric sequences, from your own CSV file or, without
/// one, the weather example (14 days of Seattle and New York weather: will it rain tomorrow, how warm will it be).
/// </summary>
internal sealed class SeriesCommand
{
    public static readonly string[] Examples =
    [
        "sru series --task binary                  # will it rain tomorrow, from the last 14 days",
        "sru series --task regression --model gru  # tomorrow's highest temperature",
        "sru series --task regression --file sensors.csv --label Target --step-size 3 --output sensors.zip",
    ];

    private readonly LowerCaseEnum.Choice<SeriesTask> _task =
        LowerCaseEnum.Option("--task", "a task", "binary: a true/false label; regression: a number.", SeriesTask.Binary);

    private readonly Option<string?> _file = new("--file")
    {
        Description = "A CSV file with a header: the label column and the sequence's values in column order. A row may end early (empty trailing fields): each row is then its own length. Default: the weather example (npm's vega-datasets).",
        HelpName = "path",
    };

    private readonly Option<string> _label = new("--label") { Description = "The label column of --file.", HelpName = "column", DefaultValueFactory = _ => "Label" };

    private readonly Option<int?> _stepSize = SampleOptions.Positive(new Option<int?>("--step-size") { Description = "Values per step in --file. Default: 1.", HelpName = "n" });

    private readonly LowerCaseEnum.Choice<RecurrentModelKind> _model = SampleOptions.Model("The recurrent model to train.");

    private readonly Option<int?> _epochs = SampleOptions.Epochs("rows");

    private readonly Option<string?> _output = SampleOptions.Output("series-<task>-<model>.zip");

    private readonly Option<int> _seed = SampleOptions.Seed();

    public Command Create()
    {
        var command = new Command("series", "Train a binary classifier or a regression model on numeric sequences (your CSV file, or the weather example) and print its test metrics.")
        {
            _task.Option, _file, _label, _stepSize, _model.Option, _epochs, _output, _seed,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var ml = new MLContext(seed: parse.GetValue(_seed));
        SeriesTask task = _task.Get(parse);
        RecurrentModelKind kind = _model.Get(parse);
        string output = parse.GetValue(_output) ?? $"series-{LowerCaseEnum.Name(task)}-{LowerCaseEnum.Name(kind)}.zip";
        if (parse.GetValue(_file) is null && parse.GetValue(_stepSize) is not null)
            throw SampleException.Usage("--step-size applies to --file; the weather example has 4 values a day.");

        RecurrentTrainerOptions options = RecurrentTrainers.CreateOptions(kind);
        options.MaxEpoch = parse.GetValue(_epochs);
        options.CancellationToken = SampleCommandLine.Interrupt;
        (IDataView train, IDataView test, string source) = parse.GetValue(_file) is string file
            ? FromFile(ml, file, parse.GetValue(_label)!, task, parse.GetValue(_stepSize) ?? 1, options)
            : Weather(ml, task, options);

        Console.WriteLine($"Training {kind.ToString().ToUpperInvariant()} ({LowerCaseEnum.Name(task)}) on {source}...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ITransformer model = RecurrentTrainers.CreateTrainer(ml, options, task).Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        IDataView scored = model.Transform(test);
        string metrics = task == SeriesTask.Binary
            ? Binary(ml.BinaryClassification.Evaluate(scored, options.LabelColumnName))
            : Regression(ml.Regression.Evaluate(scored, options.LabelColumnName));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{metrics} on {test.GetRowCount() ?? scored.GetColumn<float>("Score").Count():N0} test rows; trained in {seconds:F1} s."));

        ml.Model.SaveAtomically(model, train.Schema, output);
        Console.WriteLine($"Saved {output}.");
        return ExitCode.Ok;
    }

    private static string Binary(CalibratedBinaryClassificationMetrics m) =>
        string.Create(CultureInfo.InvariantCulture, $"Test AUC {m.AreaUnderRocCurve:F4}, accuracy {m.Accuracy:P2}, F1 {m.F1Score:F4}, log-loss {m.LogLoss:F4}");

    private static string Regression(RegressionMetrics m) =>
        string.Create(CultureInfo.InvariantCulture, $"Test RMSE {m.RootMeanSquaredError:F4}, MAE {m.MeanAbsoluteError:F4}, R² {m.RSquared:F4}");

    /// <summary>The file's rows split 80/20 by the seed, with the options set to read them.</summary>
    private static (IDataView, IDataView, string) FromFile(MLContext ml, string file, string label, SeriesTask task, int stepSize, RecurrentTrainerOptions options)
    {
        SeriesCsv csv = SeriesCsv.Read(file, label, task, stepSize, labelRequired: true);
        if (csv.Values.Count < 10)
            throw SampleException.Usage($"--file '{file}' has {csv.Values.Count} rows; training needs at least 10.");
        options.LabelColumnName = "Label";
        options.FeatureColumnName = "Features";
        if (csv.VariableLength)
            options.StepSize = stepSize;
        else
            options.SequenceLength = csv.Width / stepSize;
        var split = ml.Data.TrainTestSplit(csv.Load(ml, task, csv.FeatureType), testFraction: 0.2, seed: 1);
        return (split.TrainSet, split.TestSet, $"'{file}'{(csv.VariableLength ? $", rows of their own length, {stepSize} values a step" : $", {csv.Width / stepSize} steps of {stepSize} values")}");
    }

    /// <summary>The weather windows, trained on 2012–2014 and tested on 2015.</summary>
    private static (IDataView, IDataView, string) Weather(MLContext ml, SeriesTask task, RecurrentTrainerOptions options)
    {
        options.LabelColumnName = task == SeriesTask.Binary ? nameof(WeatherWindow.RainNextDay) : nameof(WeatherWindow.NextDayMaxTemperature);
        options.FeatureColumnName = nameof(WeatherWindow.Features);
        options.SequenceLength = WeatherHistory.WindowDays;
        try
        {
            return (WeatherHistory.Load(ml, DatasetSplit.Train), WeatherHistory.Load(ml, DatasetSplit.Test),
                "the weather example (Seattle and New York, 14 days a row; 2012–2014 trains, 2015 tests)");
        }
        catch (DatasetException e)
        {
            throw new SampleException(ExitCode.DataUnavailable, e.Message, e);
        }
    }
}
