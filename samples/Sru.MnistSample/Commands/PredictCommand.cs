using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Images;
using Sru.MnistSample.Models;
using Sru.MnistSample.Output;

namespace Sru.MnistSample.Commands;

/// <summary><c>predict</c>: a saved model on 28×28 images (PNG or PGM files, or test-split rows): the class and the top three probabilities.</summary>
internal sealed class PredictCommand
{
    public static readonly string[] Examples =
    [
        "Sru.MnistSample predict mnist-sru.zip digit.png seven.pgm",
        "Sru.MnistSample predict mnist-sru.zip --index 0 1 2 --draw",
        "Sru.MnistSample predict mnist-sru.zip scan.png --invert     # dark ink on white paper",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();
    private readonly Argument<string[]> _images = new("images")
    {
        Description = "28×28 grey images: PNG, or PGM (P2/P5). Light ink on a dark background, like MNIST (see --invert).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int[]> _index = new("--index")
    {
        Description = "Rows of the test split to predict (0 to 9,999); several may follow one --index.",
        AllowMultipleArgumentsPerToken = true,
        HelpName = "row",
    };

    private readonly Option<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<bool> _invert = new("--invert") { Description = "Invert image files first: for dark ink on light paper." };
    private readonly Option<bool> _draw = new("--draw") { Description = "Draw each image in the terminal." };

    public Command Create()
    {
        var command = new Command("predict", "Classify 28×28 images with a saved model, printing the class and the top-3 probabilities.")
        {
            _modelFile, _images, _index, _dataset, _data, _invert, _draw,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        string[] files = parse.GetValue(_images) ?? [];
        int[] indices = parse.GetValue(_index) ?? [];
        if (files.Length == 0 && indices.Length == 0)
            throw SampleException.Usage("predict needs at least one image file or --index row.");
        if (indices.Cast<int?>().FirstOrDefault(i => i is < 0 or >= 10_000) is int bad)
            throw SampleException.Usage($"Option '--index': row {bad} is outside the test split (0 to 9,999).");
        DatasetName dataset = parse.GetValue(_dataset);

        // Read every input before loading the model: a bad file is reported at once.
        var inputs = files.Select(f => (Name: f, Pixels: DigitImageFile.Read(f, parse.GetValue(_invert)), Label: (uint?)null)).ToList();
        var ml = new MLContext(seed: 1);
        ITransformer model = ModelFile.Load(ml, parse.GetValue(_modelFile)!, out DataViewSchema inputSchema);
        if (indices.Length > 0)
        {
            IDataView test = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse)).Load(MnistSplit.Test);
            var rows = ml.Data.CreateEnumerable<MnistImage>(test, reuseRowObject: false).Take(indices.Max() + 1).ToList();
            inputs.AddRange(indices.Select(i => (Name: $"test row {i}", rows[i].Features, Label: (uint?)rows[i].Label)));
        }

        ScoreClasses classes = ScoreClasses.Of(model, inputSchema, dataset);
        using var engine = ml.Model.CreatePredictionEngine<MnistImage, MnistPrediction>(model, inputSchema: inputSchema);
        var table = new ResultTable("Predictions", "input", "predicted", "top 3", "true class");
        foreach (var input in inputs)
        {
            MnistPrediction prediction = engine.Predict(new MnistImage { Features = input.Pixels });
            string top3 = string.Join(", ", prediction.Score
                .Select((probability, slot) => (probability, slot))
                .OrderByDescending(s => s.probability)
                .Take(3)
                .Select(s => string.Create(CultureInfo.InvariantCulture, $"{classes.Names[s.slot]} {s.probability:P1}")));
            table.AddRow(input.Name, dataset.ClassName(prediction.PredictedLabel), top3, input.Label is uint label ? dataset.ClassName(label) : "—");
            if (parse.GetValue(_draw))
                Terminal.Verbatim($"{input.Name}:{Environment.NewLine}{AsciiDigit.Render(input.Pixels)}");
        }
        table.Write();
        return ExitCode.Ok;
    }
}
