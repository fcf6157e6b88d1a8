using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Commands;

/// <summary>
/// <c>series-scores</c>: a model saved by <c>series</c>, loaded in this process, scores each row of a CSV file laid out
/// as the one it was trained on (the label column may be there or not).
/// </summary>
internal sealed class SeriesScoresCommand
{
    public static readonly string[] Examples =
    [
        "sru series-scores sensors.zip --file new-sensors.csv --label Target --step-size 3",
    ];

    private readonly Argument<string> _modelFile = SampleOptions.ModelFile();

    private readonly Option<string> _file = new("--file") { Description = "A CSV file laid out as the training file.", HelpName = "path", Required = true };

    private readonly Option<string> _label = new("--label") { Description = "The label column, skipped when present.", HelpName = "column", DefaultValueFactory = _ => "Label" };

    private readonly Option<int?> _stepSize = SampleOptions.Positive(new Option<int?>("--step-size") { Description = "Values per step. Default: 1.", HelpName = "n" });

    public Command Create()
    {
        var command = new Command("series-scores", "Score the rows of a CSV file with a model saved by 'series': one line each, the score (and for a binary model the probability and predicted label), tab-separated.")
        {
            _modelFile, _file, _label, _stepSize,
        };
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        var ml = new MLContext();
        string path = parse.GetValue(_modelFile)!, file = parse.GetValue(_file)!;
        ITransformer model = ModelFile.Load(ml, path, out DataViewSchema input, out _);
        if (input.GetColumnOrNull("Features") is not { Type: VectorDataViewType { ItemType: NumberDataViewType } features })
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' was not saved by 'series' from a CSV file: it reads no 'Features' vector.");
        DataViewSchema output = model.GetOutputSchema(input);
        SeriesTask task = output.GetColumnOrNull("Probability") is null ? SeriesTask.Regression : SeriesTask.Binary;

        SeriesCsv csv = SeriesCsv.Read(file, parse.GetValue(_label)!, task, parse.GetValue(_stepSize) ?? 1, labelRequired: false,
            rowValues: features.IsKnownSize ? features.Size : null);
        IDataView scored = model.Transform(csv.Load(ml, task, features));
        float[] scores = scored.GetColumn<float>("Score").ToArray();
        float[]? probabilities = task == SeriesTask.Binary ? scored.GetColumn<float>("Probability").ToArray() : null;
        bool[]? predicted = task == SeriesTask.Binary ? scored.GetColumn<bool>("PredictedLabel").ToArray() : null;
        for (int i = 0; i < scores.Length; i++)
        {
            Console.WriteLine(probabilities is null
                ? scores[i].ToString("R", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{scores[i]:R}\t{probabilities[i]:R}\t{(predicted![i] ? "true" : "false")}"));
        }
        return ExitCode.Ok;
    }
}
