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
        "sru predict mnist-sru.zip digit.png seven.pgm",
        "sru predict mnist-sru.zip --index 0 1 2 --draw",
        "sru predict mnist-sru.zip scan.png --no-invert    # keep a dark-background image as it is",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();
    private readonly Argument<string[]> _images = new("images")
    {
        Description = "28×28 grey images: PNG, or PGM (P2/P5). Light ink on a dark background, like MNIST; a light background is inverted (see --no-invert).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int[]> _index = new("--index")
    {
        Description = "Rows of the test split to predict (0 to 9,999); several may follow one --index.",
        AllowMultipleArgumentsPerToken = true,
        HelpName = "row",
    };

    private readonly LowerCaseEnum.Choice<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<bool> _invert = new("--invert") { Description = "Invert every image file (dark ink on light paper), whatever its background." };
    private readonly Option<bool> _noInvert = new("--no-invert") { Description = "Never invert image files. Default: an image with a light background is inverted, with a note." };
    private readonly Option<bool> _draw = new("--draw") { Description = "Draw each image in the terminal." };

    public Command Create()
    {
        var command = new Command("predict", "Classify 28×28 images with a saved model, printing the class and the top-3 probabilities.")
        {
            _modelFile, _images, _index, _dataset.Option, _data, _invert, _noInvert, _draw,
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
        DatasetName dataset = _dataset.Get(parse);

        bool? invert = (parse.GetValue(_invert), parse.GetValue(_noInvert)) switch
        {
            (true, true) => throw SampleException.Usage("--invert and --no-invert contradict each other; give one of them."),
            (true, false) => true,
            (false, true) => false,
            _ => null,
        };

        // Read every input before loading the model: a bad file is reported at once.
        var inputs = files.Select(f => (Name: f, Pixels: ReadImage(f, invert), Label: (uint?)null)).ToList();
        var ml = new MLContext(seed: 1);
        string path = parse.GetValue(_modelFile)!;
        ITransformer model = ModelFile.Load(ml, path, out DataViewSchema inputSchema, out DatasetName? trainedOn);
        ModelFile.WarnIfTrainedOnAnother(path, trainedOn, dataset);
        if (indices.Length > 0)
        {
            IDataView test = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse)).Load(MnistSplit.Test);
            var rows = ml.Data.CreateEnumerable<MnistImage>(test, reuseRowObject: false).Take(indices.Max() + 1).ToList();
            inputs.AddRange(indices.Select(i => (Name: $"test row {i}", rows[i].Features, Label: (uint?)rows[i].Label)));
        }

        ScoreClasses classes = ScoreClasses.Of(model, inputSchema, dataset);
        using var engine = ml.Model.CreatePredictionEngine<MnistImage, MnistPrediction>(model, inputSchema: inputSchema);
        var table = new PredictionTable("Predictions", classes, dataset);
        foreach (var input in inputs)
        {
            table.Add(input.Name, engine.Predict(new MnistImage { Features = input.Pixels }), input.Label);
            if (parse.GetValue(_draw))
                Terminal.Verbatim($"{input.Name}:{Environment.NewLine}{AsciiDigit.Render(input.Pixels)}");
        }
        table.Write();
        return ExitCode.Ok;
    }

    /// <summary>Reads an image; when it was inverted by detection, says so (to stderr, so the table stays clean).</summary>
    private static float[] ReadImage(string path, bool? invert)
    {
        DigitImage image = DigitImageFile.Read(path, invert);
        if (image.InvertedByDetection)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"note: '{path}' has a light background (border brightness {image.BorderBrightness:F2}); it was inverted to MNIST's light ink on dark. --no-invert keeps it as it is."));
        }
        return image.Pixels;
    }
}
