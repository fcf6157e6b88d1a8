using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Microsoft.ML.Sru;
using Sru.MnistSample.Commands;

namespace Sru.MnistSample.Cli;

/// <summary>The command tree, and running it with exit codes a script can rely on (see <see cref="ExitCode"/>).</summary>
internal static class SampleCommandLine
{
    private static readonly string[] s_rootExamples =
    [
        "sru train --limit 5000 --epochs 1 --plots plots    # a quick first run",
        "sru evaluate mnist-sru.zip",
        "sru predict mnist-sru.zip --index 0 1 2",
        "sru compare --limit 5000                           # 3 epochs each: a fair first comparison",
        "sru train --help                                   # every trainer option",
    ];

    /// <summary>A flag every command takes: where the data came from, and the full exception when something fails.</summary>
    private static readonly Option<bool> s_verbose = new("--verbose", "-v")
    {
        Description = "Show each step of finding the data (fetches are always shown), and the full exception on failure.",
        Recursive = true,
    };

    private static readonly CancellationTokenSource s_interrupt = new();

    /// <summary>Cancelled by the first Ctrl+C: training stops before its next batch and the command exits with 130.</summary>
    public static CancellationToken Interrupt => s_interrupt.Token;

    /// <summary>Where the data loader's step-by-step lines go: the terminal with --verbose; otherwise null (only fetches are shown).</summary>
    public static Action<string>? DataLog(ParseResult parse) => parse.GetValue(s_verbose) ? Output.Terminal.Line : null;

    public static RootCommand Create()
    {
        Command train = new TrainCommand().Create();
        Command evaluate = new EvaluateCommand().Create();
        Command predict = new PredictCommand().Create();
        Command compare = new CompareCommand().Create();
        Command scores = new ScoresCommand().Create();
        Command text = new TextCommand().Create();
        Command classify = new ClassifyCommand().Create();
        Command series = new SeriesCommand().Create();
        Command seriesScores = new SeriesScoresCommand().Create();
        var root = new RootCommand("SRU, LSTM and GRU sequence models for ML.NET: MNIST and Fashion-MNIST (train, evaluate, predict, compare), texts (text, classify), numeric series (series, series-scores).")
        {
            train, evaluate, predict, compare, scores, text, classify, series, seriesScores, s_verbose,
        };
        var examples = new Dictionary<Command, string[]>
        {
            [root] = s_rootExamples,
            [train] = TrainCommand.Examples,
            [evaluate] = EvaluateCommand.Examples,
            [predict] = PredictCommand.Examples,
            [compare] = CompareCommand.Examples,
            [scores] = ScoresCommand.Examples,
            [text] = TextCommand.Examples,
            [classify] = ClassifyCommand.Examples,
            [series] = SeriesCommand.Examples,
            [seriesScores] = SeriesScoresCommand.Examples,
        };
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        var standard = (HelpAction)help.Action!;
        // Wrapped to the terminal, or to 100 columns when redirected (the parser would not wrap at all).
        standard.MaxWidth = HelpWidth();
        help.Action = new ExamplesHelpAction(standard, examples);
        return root;
    }

    /// <summary>Parses and runs; errors go to stderr as one message naming the option, file or value.</summary>
    public static int Run(string[] args)
    {
        RootCommand root = Create();
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (string error in UsageErrors.Of(parse))
                Console.Error.WriteLine($"error: {error}");
            Console.Error.WriteLine($"Run '{HowToRun.Command} {CommandPath(parse)}--help' for usage.");
            return ExitCode.Usage;
        }
        // The first Ctrl+C asks training to stop cleanly; a second one ends the process at once, which skips the
        // live display's own clean-up: the cursor it hid is shown again here (and on any other exit).
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !s_interrupt.IsCancellationRequested;
            if (!e.Cancel)
                Output.Terminal.ShowCursor();
            s_interrupt.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Output.Terminal.ShowCursor();
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (s_interrupt.IsCancellationRequested && e is OperationCanceledException)
        {
            Console.Error.WriteLine("Interrupted: training stopped before its next batch; nothing was saved.");
            return ExitCode.Interrupted;
        }
        catch (Exception e)
        {
            (int code, string message) = Classify(e);
            Console.Error.WriteLine($"error: {message}");
            if (parse.GetValue(s_verbose))
                Console.Error.WriteLine(e);
            return code;
        }
    }

    private static int HelpWidth()
    {
        const int Redirected = 100;
        if (Console.IsOutputRedirected)
            return Redirected;
        try
        {
            return Console.WindowWidth is > 20 and int width ? width - 1 : Redirected;
        }
        catch (IOException)
        {
            return Redirected;
        }
    }

    private static string CommandPath(ParseResult parse) =>
        parse.CommandResult.Command is RootCommand ? "" : parse.CommandResult.Command.Name + " ";

    private static (int Code, string Message) Classify(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SampleException sample:
                    return (sample.ExitCode, sample.Message);
                case MnistUnavailableException or MnistDataException:
                    return (ExitCode.DataUnavailable, inner.Message);
            }
        }
        Exception cause = e.GetBaseException();
        return (ExitCode.Failure, cause == e ? $"{e.GetType().Name}: {e.Message}" : $"{e.Message} ({cause.GetType().Name}: {cause.Message})");
    }
}
