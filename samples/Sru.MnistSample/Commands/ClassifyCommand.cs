using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Sru.Datasets.Text;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Commands;

/// <summary><c>classify</c>: a model saved by <c>text</c>, loaded in this process, predicts the category of each text given.</summary>
internal sealed class ClassifyCommand
{
    public static readonly string[] Examples =
    [
        "sru classify texts-sru.zip \"The program crashed again\" \"Vote early and often\"",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();

    private readonly Argument<string[]> _texts = new("texts") { Description = "The texts to classify.", Arity = ArgumentArity.OneOrMore };

    public Command Create()
    {
        var command = new Command("classify", "Predict the category of texts with a model saved by 'text': one 'category<TAB>probability<TAB>text' line each.")
        {
            _modelFile, _texts,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var ml = new MLContext();
        string path = parse.GetValue(_modelFile)!;
        ITransformer model = ModelFile.Load(ml, path, out DataViewSchema input, out _);
        if (input.GetColumnOrNull(nameof(FortuneText.Text)) is null || model.GetOutputSchema(input).GetColumnOrNull(nameof(TextPrediction.PredictedCategory)) is null)
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' is not a text classifier saved by 'text'.");
        var engine = ml.Model.CreatePredictionEngine<FortuneText, TextPrediction>(model, inputSchema: input);
        foreach (string text in parse.GetValue(_texts)!)
        {
            TextPrediction prediction = engine.Predict(new FortuneText { Text = text });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prediction.PredictedCategory}\t{prediction.Score.Max():F4}\t{text}"));
        }
        return ExitCode.Ok;
    }

    private sealed class TextPrediction
    {
        public string PredictedCategory { get; set; } = "";

        public float[] Score { get; set; } = [];
    }
}
