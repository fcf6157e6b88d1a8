using System.Diagnostics;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>Runs the sample console app (built beside this test assembly, see the project reference) in a new process.</summary>
internal static class SampleProcess
{
    /// <summary>What one run of the sample printed and returned.</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    public static Outcome Run(params string[] arguments) => Run(new Dictionary<string, string>(), null, arguments);

    /// <summary>Runs the sample in <paramref name="workingDirectory"/>.</summary>
    public static Outcome RunIn(string workingDirectory, params string[] arguments) => Run(new Dictionary<string, string>(), workingDirectory, arguments);

    /// <summary>Runs the sample with <paramref name="environment"/> added to this process's variables.</summary>
    public static Outcome Run(IReadOnlyDictionary<string, string> environment, string? workingDirectory, params string[] arguments)
    {
        string testDirectory = AppContext.BaseDirectory;
        string sample = testDirectory.Replace(Path.Combine("test", "Microsoft.ML.Sru.Tests"), Path.Combine("samples", "Sru.MnistSample"), StringComparison.Ordinal);
        string dll = Path.Combine(sample, "Sru.MnistSample.dll");
        Assert.IsTrue(File.Exists(dll), $"The sample is not built at {dll}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach ((string name, string value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The sample did not finish within three minutes: {string.Join(' ', arguments)}");
        }
        return new Outcome(process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Runs the sample and asserts that it succeeded.</summary>
    public static string RunOk(params string[] arguments)
    {
        Outcome outcome = Run(arguments);
        Assert.AreEqual(0, outcome.ExitCode, outcome.ToString());
        return outcome.Stdout;
    }
}
