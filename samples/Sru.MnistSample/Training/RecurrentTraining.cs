using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Models;
using Sru.MnistSample.Output;

namespace Sru.MnistSample.Training;

/// <summary>A recurrent classifier, checked and ready to fit the way an ML.NET user would, under the live progress display.</summary>
internal sealed partial class RecurrentTraining
{
    private readonly MLContext _ml;
    private readonly RecurrentTrainerBase _trainer;
    private readonly TrainingMonitor _monitor;

    /// <summary>Creates the trainer now, so invalid options fail before any data is loaded.</summary>
    /// <remarks>
    /// The trainer draws its random seed from <paramref name="ml"/>'s generator when it is created, as every ML.NET
    /// component does: create this first on a fresh context, so that train and compare give the same model for the
    /// same seed whatever else the command creates on the context.
    /// </remarks>
    /// <param name="ml">A fresh context (its seed makes the run repeatable).</param>
    /// <param name="options">The trainer's options; their Progress is set here.</param>
    /// <param name="title">The display's heading.</param>
    /// <param name="optionName">Maps an options property to the command-line option that sets it, for error messages.</param>
    /// <exception cref="SampleException">Exit code 2 for an invalid option value, naming the option.</exception>
    public RecurrentTraining(MLContext ml, RecurrentTrainerOptions options, string title, Func<string?, string> optionName)
    {
        _ml = ml;
        _monitor = new TrainingMonitor(title, options.LogEveryNSteps);
        options.Progress = _monitor;
        options.CancellationToken = SampleCommandLine.Interrupt;
        try
        {
            _trainer = RecurrentTrainers.CreateTrainer(ml, options);
        }
        catch (ArgumentException e)
        {
            throw SampleException.Usage(OptionError(e, optionName(e.ParamName)));
        }
    }

    /// <summary>
    /// The library's message about a property ("HiddenSize must be between 1 and 65,536; it is 0. (Parameter
    /// 'HiddenSize')") said of the option the user typed: "--hidden-size 0: must be between 1 and 65,536."
    /// </summary>
    private static string OptionError(ArgumentException e, string option)
    {
        string reason = e.Message.Split(" (Parameter '", 2)[0];
        if (e.ParamName is { } property && reason.StartsWith(property + " ", StringComparison.Ordinal))
            reason = reason[(property.Length + 1)..];
        reason = ItIs().Replace(reason, ".");
        string value = e is ArgumentOutOfRangeException { ActualValue: IFormattable actual }
            ? " " + actual.ToString(null, CultureInfo.InvariantCulture)
            : "";
        return $"{option}{value}: {reason}";
    }

    [GeneratedRegex(@"; it is [^;]*\.$")]
    private static partial Regex ItIs();

    /// <summary>A trained pipeline, its progress reports and the wall time of Fit.</summary>
    public sealed record Result(ITransformer Model, TrainingHistory History, TimeSpan Time);

    /// <param name="train">Training rows: Label (UInt32) and Features (784 Single).</param>
    /// <param name="validation">Rows scored after each epoch (never trained on), or null.</param>
    public Result Fit(IDataView train, IDataView? validation = null)
    {
        var clock = Stopwatch.StartNew();
        ITransformer model = _monitor.Run(() => validation is null
            ? MulticlassPipeline.Around(_ml, _trainer).Fit(train)
            : MulticlassPipeline.Fit(_ml, _trainer, train, validation));
        return new Result(model, _monitor.History, clock.Elapsed);
    }

    /// <summary>"SRU on MNIST: 3 × 128, batch 32, rate 0.005 (cosine), clip 1, 3 epochs of 28 steps × 28 values".</summary>
    public static string Describe(string model, string dataset, RecurrentTrainerOptions o, int featureCount) => string.Create(CultureInfo.InvariantCulture,
        $"{model} on {dataset}: {o.NumberOfLayers} × {o.HiddenSize}, batch {o.BatchSize}, rate {LearningRateText.Format(o.LearningRate)}{Schedule(o)}, clip {o.GradientClipNorm:G3}, {(o.MaxEpoch is { } epochs ? Count(epochs, "epoch") : "epochs chosen from the data")} of {Count(o.SequenceLength, "step")} × {Count(featureCount / o.SequenceLength, "value")}");

    /// <summary>"1 epoch", "3 epochs".</summary>
    private static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");

    private static string Schedule(RecurrentTrainerOptions o) => o.LearningRateSchedule switch
    {
        LearningRateSchedule.Step when o.LearningRateDecay < 1 => string.Create(CultureInfo.InvariantCulture, $" (× {o.LearningRateDecay:G3} per epoch)"),
        LearningRateSchedule.Cosine => " (cosine)",
        _ => "",
    } + (o.WarmupSteps > 0 ? string.Create(CultureInfo.InvariantCulture, $", warm-up {o.WarmupSteps} steps") : "");
}
