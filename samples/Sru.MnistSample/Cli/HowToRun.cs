namespace Sru.MnistSample.Cli;

/// <summary>How a user starts the sample, for help examples, error hints and the "next" commands train prints.</summary>
internal static class HowToRun
{
    /// <summary>The command that runs the sample from the repository root.</summary>
    public const string Command = "dotnet run -c Release --project samples/Sru.MnistSample --";

    /// <summary>The short name the examples use, explained once above them (the README defines the same alias).</summary>
    public const string Alias = "sru";

    /// <summary>Heads the examples of every --help.</summary>
    public const string ExamplesHeading = $"Examples, where {Alias} stands for '{Command}':";

    /// <summary>A command line to print for the user to run next: the full command, then the arguments.</summary>
    public static string Line(string arguments) => $"{Command} {arguments}";
}
