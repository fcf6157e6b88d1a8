using System.CommandLine;
using Microsoft.ML;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;
using Sru.MnistSample.Output;
using Sru.MnistSample.Plots;

namespace Sru.MnistSample.Commands;

/// <summary><c>evaluate</c>: a saved model on the test split: accuracy, log-loss, per-class metrics, ML.NET's confusion table.</summary>
internal sealed class EvaluateCommand
{
    public static readonly string[] Examples =
    [
        "sru evaluate mnist-sru.zip",
        "sru evaluate fashion-sru.zip --dataset fashion --plots plots",
        "sru evaluate mnist-lstm.zip --limit 1000",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();
    private readonly LowerCaseEnum.Choice<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<int?> _limit = SampleOptions.Limit("Evaluate on the first N test rows only. Default: all 10,000.");
    private readonly Option<string?> _plots = SampleOptions.Plots("Write confusion-matrix.png and misclassified.png (the first 100 errors) into this directory.");

    public Command Create()
    {
        var command = new Command("evaluate", "Score a saved model on the test split: micro/macro accuracy, log-loss, per-class metrics and ML.NET's confusion table.")
        {
            _modelFile, _dataset.Option, _data, _limit, _plots,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var ml = new MLContext(seed: 1);
        string path = parse.GetValue(_modelFile)!;
        DatasetName dataset = _dataset.Get(parse);
        string? plots = parse.GetValue(_plots) is { } p ? OutputDirectory.PreparePlots(p) : null;
        ITransformer model = ModelFile.Load(ml, path, out _, out DatasetName? trainedOn);
        ModelFile.WarnIfTrainedOnAnother(path, trainedOn, dataset);
        IDataView test = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse)).LoadTest(parse.GetValue(_limit));

        Terminal.Heading($"{Path.GetFileName(path)} on the {dataset.Title()} test split");
        TestSetEvaluation evaluation = TestSetEvaluation.Run(ml, model, test, dataset);
        MetricsReport.WriteFull(evaluation);
        if (plots is not null)
        {
            foreach (string file in EvaluationPlots.Save(ml, model, test, evaluation, dataset, Path.GetFileNameWithoutExtension(path), plots))
                Terminal.Line($"Wrote {file}");
        }
        return ExitCode.Ok;
    }
}
