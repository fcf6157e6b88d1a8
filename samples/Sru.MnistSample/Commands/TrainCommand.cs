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
        "Sru.MnistSample train                                   # SRU, our defaults, full MNIST, 3 epochs",
        "Sru.MnistSample train --model lstm --blog               # the blog's LSTM settings",
        "Sru.MnistSample train --model gru --validation 5000 --epochs 10 --early-stopping-patience 2 --plots plots",
        "Sru.MnistSample train --limit 2000 --epochs 1 --plots plots",
        "Sru.MnistSample train --dataset fashion --hidden-size 256 --output fashion-sru.zip",
        "Sru.MnistSample train --pixel-by-pixel --hidden-size 64 --epochs 10   # sequential MNIST, 784 steps",
    ];

    private const int PixelCount = 784;

    private readonly Option<RecurrentModelKind> _model = new("--model")
    {
        Description = "The recurrent classifier to train.",
        HelpName = string.Join('|', RecurrentTrainers.Kinds.Select(k => k.ToString().ToLowerInvariant())),
        DefaultValueFactory = _ => RecurrentModelKind.Sru,
    };

    private readonly Option<DatasetName> _dataset = SampleOptions.Dataset();
    private readonly Option<string?> _data = SampleOptions.DataDirectory();
    private readonly Option<int?> _limit = SampleOptions.Limit("Train on the first N training rows only (quick runs and tests). Default: all 60,000.");
    private readonly Option<int?> _validation = SampleOptions.Positive(new Option<int?>("--validation")
    {
        Description = "Hold out the last N training rows as a validation set, scored after every epoch (curves, --early-stopping-patience, --keep-best-model). They never overlap the --limit rows.",
        HelpName = "rows",
    });

    private readonly Option<bool> _blog = new("--blog")
    {
        Description = "The blog's network and training (hongbomin.com/2017/10/13/tensorflow-lstm-sru-mnist): 2 layers of 128, SRU without highway, TensorFlow 1.x initialisation, Adam 0.01 constant, batch 128, clip 1, 3 epochs, no input normalization. Options given explicitly win.",
    };

    private readonly Option<bool> _pixelByPixel = new("--pixel-by-pixel")
    {
        Description = $"Sequential MNIST: {PixelCount} steps of one pixel (--sequence-length {PixelCount}) instead of 28 rows of 28 pixels. Slow: try it with --limit.",
    };

    private readonly Option<int> _seed = SampleOptions.Seed();
    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Where to save the trained model zip. Default: <dataset>-<model>.zip in the current directory.",
        HelpName = "path",
    };

    private readonly Option<string?> _plots = SampleOptions.Plots("Write loss.png, accuracy.png, confusion-matrix.png and misclassified.png (the first 100 errors) into this directory.");
    private readonly TrainerOptionBinding _trainerOptions = TrainerOptionBinding.Create();

    public Command Create()
    {
        var command = new Command("train", "Train an SRU, LSTM or GRU classifier on MNIST or Fashion-MNIST, report its test accuracy and save it as an ML.NET model zip. Every trainer option is available (the options after --seed).")
        {
            _model, _dataset, _data, _limit, _validation, _blog, _pixelByPixel, _output, _plots, _seed,
        };
        foreach (Option option in _trainerOptions.Options)
            command.Add(option);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse)
    {
        RecurrentModelKind kind = parse.GetValue(_model);
        DatasetName dataset = parse.GetValue(_dataset);
        RecurrentTrainerOptions options = BuildOptions(parse, kind);
        string output = parse.GetValue(_output) ?? $"{dataset.ToString().ToLowerInvariant()}-{kind.ToString().ToLowerInvariant()}.zip";
        string? plots = parse.GetValue(_plots) is { } p ? EvaluationPlots.PrepareDirectory(p) : null;

        var ml = new MLContext(seed: parse.GetValue(_seed));
        string model = kind.ToString().ToUpperInvariant();
        var training = new RecurrentTraining(ml, options, RecurrentTraining.Describe(model, dataset.Title(), options, PixelCount), _trainerOptions.OptionNameOf);
        var data = new SampleData(ml, dataset, parse.GetValue(_data), SampleCommandLine.DataLog(parse));
        (IDataView train, IDataView? validation) = data.LoadTraining(parse.GetValue(_limit), parse.GetValue(_validation) ?? 0);
        IDataView test = data.LoadTest(limit: null);

        RecurrentTraining.Result trained = training.Fit(train, validation);
        Terminal.Line(string.Create(CultureInfo.InvariantCulture,
            $"Trained in {trained.Time.TotalSeconds:F1} s ({trained.History.MedianStepMilliseconds() ?? 0:F1} ms per step, median)."));

        TestSetEvaluation evaluation = TestSetEvaluation.Run(ml, trained.Model, test, dataset);
        MetricsReport.WriteSummary(evaluation);

        ModelFile.Save(ml, trained.Model, train.Schema, output);
        Terminal.Line($"Saved {Path.GetFullPath(output)} ({new FileInfo(output).Length / 1024:N0} KiB).");

        if (plots is not null)
        {
            var files = TrainingCurves.Save(trained.History, $"{model} on {dataset.Title()}", plots)
                .Concat(EvaluationPlots.Save(ml, trained.Model, test, evaluation, dataset, $"{model} on {dataset.Title()}", plots));
            foreach (string file in files)
                Terminal.Line($"Wrote {file}");
        }
        return ExitCode.Ok;
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
