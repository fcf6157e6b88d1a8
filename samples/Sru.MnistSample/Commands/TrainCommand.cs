using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;
using Sru.MnistSample.Output;
using Sru.MnistSample.Plots;
using Sru.MnistSample.Training;

namespace Sru.MnistSample.Commands;

/// <summary><c>train</c>: fits SRU, LSTM or GRU on MNIST / Fashion-MNIST with every trainer option, evaluates it on the test split, saves the zip.</summary>
internal sealed class TrainCommand
{
    public static readonly string[] Examples =
    [
        "sru train                                # SRU, our defaults, full MNIST, 3 epochs",
        "sru train --model lstm --blog            # the blog post's LSTM (see --blog)",
        "sru train --model gru --validation 5000 --epochs 10 --early-stopping-patience 2",
        "sru train --limit 2000 --epochs 1 --plots plots",
        "sru train --dataset fashion --hidden-size 256 --output fashion-sru.zip",
        "sru train --pixel-by-pixel --hidden-size 64 --limit 2000   # sequential MNIST: 784 steps",
    ];

    private const int PixelCount = 784;

    private readonly LowerCaseEnum.Choice<RecurrentModelKind> _model =
        LowerCaseEnum.Option("--model", "a model", "The recurrent classifier to train.", RecurrentModelKind.Sru);

    private readonly LowerCaseEnum.Choice<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<int?> _limit = SampleOptions.Limit("Train on the first N training rows only (quick runs and tests). Default: all 60,000.");
    private readonly Option<int?> _validation = SampleOptions.Positive(new Option<int?>("--validation")
    {
        Description = "Hold out the last N training rows as a validation set, scored after every epoch (curves, --early-stopping-patience, --keep-best-model). They never overlap the --limit rows.",
        HelpName = "rows",
    });

    private readonly Option<bool> _blog = new("--blog")
    {
        Description = "The network and training of the blog post 'TensorFlow: LSTM vs SRU on MNIST' (https://hongbomin.com/2017/10/13/tensorflow-lstm-sru-mnist/): 2 layers of 128, SRU without highway, TensorFlow 1.x initialisation, Adam 0.01 constant, batch 128, clip 1, 3 epochs, no input normalization. Options given explicitly win.",
    };

    private readonly Option<bool> _pixelByPixel = new("--pixel-by-pixel")
    {
        Description = $"Sequential MNIST: {PixelCount} steps of one pixel (--sequence-length {PixelCount}) instead of 28 rows of 28 pixels. Slow: try it with --limit.",
    };

    private readonly Option<int> _seed = SampleOptions.Seed();
    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Where to save the trained model zip; an existing file needs --force. Default: <dataset>-<model>.zip in the current directory.",
        HelpName = "path",
    };

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Overwrite the --output file if it exists (without it, an existing file is an error before training).",
    };

    private readonly Option<string?> _plots = SampleOptions.Plots("Write loss.png, accuracy.png, confusion-matrix.png and misclassified.png (the first 100 errors) into this directory.");
    private readonly TrainerOptionBinding _trainerOptions = TrainerOptionBinding.Create();

    public Command Create()
    {
        var command = new Command("train", "Train an SRU, LSTM or GRU classifier on MNIST or Fashion-MNIST, report its test accuracy, save it as an ML.NET model zip, load it back and predict with it. Every trainer option is available (the options after --seed).")
        {
            _model.Option, _dataset.Option, _data, _limit, _validation, _blog, _pixelByPixel, _output, _force, _plots, _seed,
        };
        foreach (Option option in _trainerOptions.Options)
            command.Add(option);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        RecurrentModelKind kind = _model.Get(parse);
        DatasetName dataset = _dataset.Get(parse);
        RecurrentTrainerOptions options = BuildOptions(parse, kind);
        bool force = parse.GetValue(_force);
        string output = parse.GetValue(_output) ?? $"{LowerCaseEnum.Name(dataset)}-{LowerCaseEnum.Name(kind)}.zip";
        // Everything that would make the end of the run fail is checked before the data is loaded.
        if (ModelFile.CheckOutput(output, force) is { } problem)
            throw SampleException.Usage(problem);
        string? plots = parse.GetValue(_plots) is { } p ? OutputDirectory.PreparePlots(p) : null;

        var ml = new MLContext(seed: parse.GetValue(_seed));
        string model = kind.ToString().ToUpperInvariant();
        var training = new RecurrentTraining(ml, options, RecurrentTraining.Describe(model, dataset.Title(), options, PixelCount), name => _trainerOptions.OptionNameOf(parse, name));
        var data = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse));
        (IDataView train, IDataView? validation) = data.LoadTraining(parse.GetValue(_limit), parse.GetValue(_validation) ?? 0);
        IDataView test = data.LoadTest(limit: null);

        RecurrentTraining.Result trained = training.Fit(train, validation);
        Terminal.Line(string.Create(CultureInfo.InvariantCulture,
            $"Trained in {trained.Time.TotalSeconds:F1} s ({trained.History.MedianStepMilliseconds() ?? 0:F1} ms per step, median)."));

        TestSetEvaluation evaluation = TestSetEvaluation.Run(ml, trained.Model, test, dataset);
        MetricsReport.WriteSummary(evaluation);

        ModelFile.Save(ml, trained.Model, train.Schema, dataset, output, force);
        Terminal.Line($"Saved {Path.GetFullPath(output)} ({new FileInfo(output).Length / 1024:N0} KiB).");
        SavedModelCheck.Run(output, trained.Model, test, dataset);

        if (plots is not null)
        {
            var files = TrainingCurves.Save(trained.History, $"{model} on {dataset.Title()}", plots)
                .Concat(EvaluationPlots.Save(ml, trained.Model, test, evaluation, dataset, $"{model} on {dataset.Title()}", plots));
            foreach (string file in files)
                Terminal.Line($"Wrote {file}");
        }
        WriteNextCommands(output, dataset);
        return ExitCode.Ok;
    }

    private static void WriteNextCommands(string output, DatasetName dataset)
    {
        string model = output.Contains(' ', StringComparison.Ordinal) ? $"\"{output}\"" : output;
        string datasetOption = dataset == DatasetName.Mnist ? "" : $" --dataset {LowerCaseEnum.Name(dataset)}";
        Terminal.Heading("Next");
        Terminal.Line("Evaluate the saved model in full (per class, confusion table, plots):");
        Terminal.Line("  " + HowToRun.Line($"evaluate {model}{datasetOption} --plots plots"));
        Terminal.Line("Predict test rows, or your own 28×28 PNG/PGM images:");
        Terminal.Line("  " + HowToRun.Line($"predict {model}{datasetOption} --index 0 1 2 --draw"));
        Terminal.Line("  " + HowToRun.Line($"predict {model}{datasetOption} my-digit.png"));
    }

    private RecurrentTrainerOptions BuildOptions(ParseResult parse, RecurrentModelKind kind)
    {
        RecurrentTrainerOptions options = RecurrentTrainers.CreateOptions(kind);
        if (parse.GetValue(_blog))
            BlogReproduction.Configure(options);
        if (parse.GetValue(_pixelByPixel))
        {
            if (_trainerOptions.IsGiven(parse, nameof(RecurrentTrainerOptions.SequenceLength)))
                throw SampleException.Usage($"--pixel-by-pixel sets --sequence-length {PixelCount}; give one or the other.");
            options.SequenceLength = PixelCount;
        }
        // Explicit options last, so they win over --blog.
        _trainerOptions.Apply(parse, kind, options);
        if (options.SequenceLength < 1 || PixelCount % options.SequenceLength != 0)
        {
            throw SampleException.Usage(string.Create(CultureInfo.InvariantCulture,
                $"Option '--sequence-length' is {options.SequenceLength}, which does not divide the {PixelCount} pixels of an image (28 reads rows, {PixelCount} single pixels)."));
        }
        return options;
    }
}
