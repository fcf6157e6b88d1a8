using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Sru.MnistSample.Cli;

/// <summary>The standard help, followed by examples for the command asked about and the exit codes.</summary>
internal sealed class ExamplesHelpAction : SynchronousCommandLineAction
{
    private readonly HelpAction _standard;
    private readonly IReadOnlyDictionary<Command, string[]> _examples;

    public ExamplesHelpAction(HelpAction standard, IReadOnlyDictionary<Command, string[]> examples)
    {
        _standard = standard;
        _examples = examples;
    }

    public override int Invoke(ParseResult parseResult)
    {
        _standard.Invoke(parseResult);
        TextWriter output = parseResult.InvocationConfiguration.Output;
        if (_examples.TryGetValue(parseResult.CommandResult.Command, out string[]? lines))
        {
            output.WriteLine(HowToRun.ExamplesHeading);
            foreach (string line in lines)
                output.WriteLine("  " + line);
            output.WriteLine();
        }
        output.WriteLine("Exit codes:");
        foreach ((int code, string meaning) in ExitCode.All)
            output.WriteLine($"  {code,-4} {meaning}");
        output.WriteLine();
        return ExitCode.Ok;
    }
}
