using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;
using Sru.MnistSample.Output;
using Sru.MnistSample.Training;

namespace Sru.MnistSample.Commands;

/// <summary><c>compare</c>: the recurrent trainers against ML.NET's LightGbm and SdcaMaximumEntropy on the same rows, as one table.</summary>
internal sealed class CompareCommand
{
    public static readonly string[] Examples =
    [
        "sru compare --limit 5000",
        "sru compare --models sru gru lightgbm --dataset fashion",
        "sru compare --models sru sdca --save models",
    ];

    private readonly Option<ComparedModel[]> _models = LowerCaseEnum.ManyOption<ComparedModel>("--models", "a trainer compare knows", "Which trainers to compare.");

    private readonly LowerCaseEnum.Choice<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<int?> _limit = SampleOptions.Limit("Train on the first N training rows only. Default: all 60,000.");
    private readonly Option<int?> _epochs = SampleOptions.Positive(new Option<int?>("--epochs") { Description = "Epochs for the recurrent trainers. Default: each trainer's default (3).", HelpName = "n" });
    private readonly Option<int> _seed = SampleOptions.Seed();
    private readonly Option<string?> _save = new("--save")
    {
        Description = "Also save each trained model into this directory (created if missing) as <dataset>-<model>.zip, e.g. mnist-sdca.zip.",
        HelpName = "dir",
    };

    public Command Create()
    {
        var command = new Command("compare", "Train SRU, LSTM, GRU, LightGbm and SdcaMaximumEntropy on the same rows and compare test accuracy, training time, time per step and scoring speed.")
        {
            _models, _dataset.Option, _data, _limit, _epochs, _seed, _save,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        DatasetName dataset = _dataset.Get(parse);
        var ml = new MLContext(seed: parse.GetValue(_seed));
        var data = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse));
        (IDataView train, _) = data.LoadTraining(parse.GetValue(_limit), validationRows: 0);
        IDataView test = data.LoadTest(limit: null);

        var table = new ResultTable($"{dataset.Title()}: {parse.GetValue(_limit)?.ToString("N0", CultureInfo.InvariantCulture) ?? "60,000"} training rows, 10,000 test rows",
            "model", "accuracy", "macro accuracy", "training s", "ms per step", "scoring rows/s");
        foreach (ComparedModel model in LowerCaseEnum.All(parse, _models).Distinct())
        {
            (ITransformer trained, TimeSpan time, double? msPerStep) = Fit(ml, parse.GetValue(_seed), model, train, parse.GetValue(_epochs), dataset);
            TestSetEvaluation evaluation = TestSetEvaluation.Run(ml, trained, test, dataset);
            Terminal.Line(string.Create(CultureInfo.InvariantCulture, $"{model}: {evaluation.Metrics.MicroAccuracy:P2} in {time.TotalSeconds:F1} s"));
            table.AddRow(
                model.ToString(),
                evaluation.Metrics.MicroAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                evaluation.Metrics.MacroAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                time.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
                msPerStep?.ToString("F2", CultureInfo.InvariantCulture) ?? "—",
                evaluation.RowsPerSecond.ToString("N0", CultureInfo.InvariantCulture));
            if (parse.GetValue(_save) is { } directory)
            {
                Directory.CreateDirectory(directory);
                string path = Path.Combine(directory, $"{dataset.ToString().ToLowerInvariant()}-{model.ToString().ToLowerInvariant()}.zip");
                ModelFile.Save(ml, trained, train.Schema, dataset, path, overwrite: true);
                Terminal.Line($"Saved {Path.GetFullPath(path)}.");
            }
            (trained as IDisposable)?.Dispose();
        }
        table.Write();
        return ExitCode.Ok;
    }

    private static (ITransformer Model, TimeSpan Time, double? MsPerStep) Fit(MLContext ml, int seed, ComparedModel model, IDataView train, int? epochs, DatasetName dataset)
    {
        if (Enum.TryParse(model.ToString(), out RecurrentModelKind kind))
        {
            RecurrentTrainerOptions options = RecurrentTrainers.CreateOptions(kind);
            options.MaxEpoch = epochs ?? options.MaxEpoch;
            string title = RecurrentTraining.Describe(model.ToString().ToUpperInvariant(), dataset.Title(), options, 784);
            // Each recurrent trainer on a fresh context with the seed, as train creates it: the same model as
            // 'train --model <kind>' with these settings, whichever trainers ran before it here.
            var own = new MLContext(seed);
            RecurrentTraining.Result result = new RecurrentTraining(own, options, title, name => name == nameof(options.MaxEpoch) ? "--epochs" : name ?? "").Fit(train);
            return (result.Model, result.Time, result.History.MedianStepMilliseconds());
        }
        IEstimator<ITransformer> trainer = model == ComparedModel.LightGbm
            ? ml.MulticlassClassification.Trainers.LightGbm()
            : ml.MulticlassClassification.Trainers.SdcaMaximumEntropy();
        Terminal.Line($"Training {model} on {dataset.Title()}…");
        var clock = Stopwatch.StartNew();
        ITransformer trained = MulticlassPipeline.Around(ml, trainer).Fit(train);
        return (trained, clock.Elapsed, null);
    }
}
