using System.Diagnostics;
using System.Text;

namespace Microsoft.ML.Sru.Tests.Package;

/// <summary>
/// Runs the dotnet CLI as a child process with its output captured, the way a user would run it: without
/// the MSBuild settings the test host may inherit from `dotnet test`, and without build servers or reused
/// nodes, which would outlive the test and hold its output pipes open.
/// </summary>
internal static class DotnetCommand
{
    /// <summary>Runs <c>dotnet arguments</c> in <paramref name="workingDirectory"/>; fails the test, showing all output, unless it exits with 0.</summary>
    public static string Run(string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (string name in start.Environment.Keys.Where(IsInheritedBuildSetting).ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        string command = $"dotnet {string.Join(' ', arguments)} (in {workingDirectory})";
        using (cancellationToken.Register(() => Kill(process)))
        {
            if (!process.WaitForExit(timeout))
            {
                Kill(process);
                Assert.Fail($"{command} did not finish within {timeout.TotalMinutes:0.#} minutes. Output so far:\n{Text(output)}");
            }
            process.WaitForExit(); // drains the asynchronous output readers
        }
        cancellationToken.ThrowIfCancellationRequested();
        string text = Text(output);
        Assert.AreEqual(0, process.ExitCode, $"{command} failed with exit code {process.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s. Output:\n{text}");
        return text;
    }

    private static bool IsInheritedBuildSetting(string name) =>
        name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("MSBUILD", StringComparison.Ordinal)
        || name.Equals("DOTNET_HOST_PATH", StringComparison.Ordinal);

    private static void Append(StringBuilder output, string? line)
    {
        if (line == null)
            return;
        lock (output)
            output.AppendLine(line);
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
            return output.ToString();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
