using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Commands;

/// <summary>
/// <c>scores</c>: the raw Score vectors of the first test rows, one "SCORES v0 v1 …" line each with round-trippable
/// floats, so another process (such as the tests) can check that a saved model scores bit for bit alike.
/// </summary>
internal sealed class ScoresCommand
{
    public static readonly string[] Examples =
    [
        "sru scores mnist-sru.zip --count 5",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();
    private readonly Option<int?> _count = SampleOptions.Positive(new Option<int?>("--count") { Description = "How many test rows. Default 10.", HelpName = "rows" });
    private readonly LowerCaseEnum.Choice<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();

    public Command Create()
    {
        var command = new Command("scores", "Print the exact Score vectors of the first test rows (for comparing a model across processes).")
        {
            _modelFile, _count, _dataset.Option, _data,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        // A fresh context, nothing registered by hand: the zip names the assembly that reads the model.
        var ml = new MLContext();
        ITransformer model = ModelFile.Load(ml, parse.GetValue(_modelFile)!, out _, out _);
        IDataView test = new SampleData(ml, _dataset.Get(parse), parse.GetValue(_data), log: null).LoadTest(parse.GetValue(_count) ?? 10);
        foreach (MnistPrediction row in ml.Data.CreateEnumerable<MnistPrediction>(model.Transform(test), reuseRowObject: false))
            Console.WriteLine("SCORES " + string.Join(" ", row.Score.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        return ExitCode.Ok;
    }
}
