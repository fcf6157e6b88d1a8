using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Sru.Datasets;
using Sru.Datasets.Text;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Commands;

/// <summary>
/// <c>text</c>: a text classifier on your own file of "category TAB text" lines (or, without one, the fortunes
/// categories from Debian's package): the words one token a step through ML.NET's text transforms, 80 % trained and
/// 20 % tested, the model saved as a standard ML.NET zip.
/// </summary>
internal sealed class TextCommand
{
    public static readonly string[] Examples =
    [
        "sru text",
        "sru text --file texts.tsv --model gru --epochs 10 --output texts-gru.zip",
    ];

    private readonly Option<string?> _file = new("--file")
    {
        Description = "A text file of one example per line: the category, a tab, and the text. Default: the fortunes corpus (apt-get install fortunes).",
        HelpName = "path",
    };

    private readonly LowerCaseEnum.Choice<RecurrentModelKind> _model = SampleOptions.Model("The recurrent classifier to train.");

    private readonly Option<int?> _epochs = SampleOptions.Epochs("texts");

    private readonly Option<string?> _output = SampleOptions.Output("texts-<model>.zip");

    private readonly Option<int> _seed = SampleOptions.Seed();

    public Command Create()
    {
        var command = new Command("text", "Train a text classifier on a file of 'category<TAB>text' lines (default: the fortunes corpus) and print its test accuracy.")
        {
            _file, _model.Option, _epochs, _output, _seed,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var ml = new MLContext(seed: parse.GetValue(_seed));
        RecurrentModelKind kind = _model.Get(parse);
        string output = parse.GetValue(_output) ?? $"texts-{LowerCaseEnum.Name(kind)}.zip";
        (IDataView train, IDataView test, string source) = Load(ml, parse.GetValue(_file));

        RecurrentTrainerOptions options = RecurrentTrainers.CreateOptions(kind);
        options.LabelColumnName = "Label";
        options.FeatureColumnName = "Tokens";
        options.MaxEpoch = parse.GetValue(_epochs);
        options.CancellationToken = SampleCommandLine.Interrupt;
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(FortuneText.Category))
            .Append(ml.Transforms.Text.NormalizeText("Words", nameof(FortuneText.Text), keepPunctuations: false))
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Words"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Tokens"))
            .Append(RecurrentTrainers.CreateTrainer(ml, options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedCategory", "PredictedLabel"));
        Console.WriteLine($"Training {kind.ToString().ToUpperInvariant()} on the words of {source}...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ITransformer model = pipeline.Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}) on {metrics.ConfusionMatrix.Counts.Sum(row => row.Sum()):N0} texts; trained in {seconds:F1} s."));

        ml.Model.SaveAtomically(model, train.Schema, output);
        Console.WriteLine($"Saved {output}.");
        return ExitCode.Ok;
    }

    /// <summary>The training and test texts and where they came from: the file split 80/20 by the seed, or the fortunes corpus's own split.</summary>
    private static (IDataView Train, IDataView Test, string Source) Load(MLContext ml, string? file)
    {
        if (file is null)
        {
            try
            {
                return (FortuneCorpus.Load(ml, DatasetSplit.Train), FortuneCorpus.Load(ml, DatasetSplit.Test), "the fortunes corpus");
            }
            catch (DatasetException e)
            {
                throw new SampleException(ExitCode.DataUnavailable, e.Message, e);
            }
        }
        if (!File.Exists(file))
            throw SampleException.Usage($"--file '{file}' does not exist.");
        var rows = new List<FortuneText>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(file))
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            int tab = line.IndexOf('\t');
            if (tab <= 0)
                throw SampleException.Usage($"--file '{file}', line {lineNumber}: expected a category, a tab and the text.");
            rows.Add(new FortuneText { Category = line[..tab], Text = line[(tab + 1)..] });
        }
        if (rows.Count < 10 || rows.Select(r => r.Category).Distinct().Count() < 2)
            throw SampleException.Usage($"--file '{file}' has {rows.Count} texts in {rows.Select(r => r.Category).Distinct().Count()} categories; a classifier needs at least 10 texts in 2 categories.");
        DataOperationsCatalog.TrainTestData split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(rows), testFraction: 0.2, seed: 1);
        return (split.TrainSet, split.TestSet, $"'{file}'");
    }
}
