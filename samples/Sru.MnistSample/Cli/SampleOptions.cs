using System.CommandLine;
using Sru.MnistSample.Data;

namespace Sru.MnistSample.Cli;

/// <summary>Options several commands share; each call makes a new instance, since an option belongs to one command.</summary>
internal static class SampleOptions
{
    public static LowerCaseEnum.Choice<DatasetName> Dataset() =>
        LowerCaseEnum.Option("--dataset", "a data set", "The data set: mnist (handwritten digits) or fashion (Fashion-MNIST).", DatasetName.Mnist);

    public static Option<string?> DataDirectory() => new("--data")
    {
        Description = "A directory holding the four IDX files (raw or .gz). Default: $SRU_MNIST_DIR / $SRU_FASHION_MNIST_DIR, then the cache (~/.cache/sru-mlnet), then a download.",
        HelpName = "dir",
    };

    public static Option<int?> Limit(string description) => Positive(new Option<int?>("--limit") { Description = description, HelpName = "rows" });

    /// <summary>--model: which recurrent trainer a command trains.</summary>
    public static LowerCaseEnum.Choice<Models.RecurrentModelKind> Model(string description) =>
        LowerCaseEnum.Option("--model", "a model", description, Models.RecurrentModelKind.Sru);

    /// <summary>--epochs of a command that trains on its own data; <paramref name="rows"/> names what an epoch passes over.</summary>
    public static Option<int?> Epochs(string rows) =>
        Positive(new Option<int?>("--epochs") { Description = $"Passes over the training {rows}. Default: the trainer's rule for the row count.", HelpName = "n" });

    /// <summary>--output of a command that saves one model zip.</summary>
    public static Option<string?> Output(string defaultName) =>
        new("--output") { Description = $"Where to save the model zip (written atomically). Default: {defaultName}.", HelpName = "path" };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "The MLContext seed: the same seed and data give the same model.",
        DefaultValueFactory = _ => 1,
    };

    public static Option<string?> Plots(string description) => new("--plots") { Description = description, HelpName = "dir" };

    public static Argument<string> ModelFile() => new("model")
    {
        Description = "A model zip saved by 'train' (or by any ML.NET app using Trainers.Sru, Lstm or Gru).",
    };

    /// <summary>Adds a check that the value, when given, is at least 1.</summary>
    public static Option<int?> Positive(Option<int?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int value && value < 1)
                result.AddError($"Option '{option.Name}' must be at least 1; it is {value}.");
        });
        return option;
    }
}
