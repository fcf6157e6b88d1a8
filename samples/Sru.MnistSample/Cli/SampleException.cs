namespace Sru.MnistSample.Cli;

/// <summary>A failure the user can act on: its message goes to stderr as is, and the process exits with <see cref="ExitCode"/>.</summary>
internal sealed class SampleException : Exception
{
    public SampleException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>One of the <see cref="Cli.ExitCode"/> constants.</summary>
    public int ExitCode { get; }

    public static SampleException Usage(string message) => new(Cli.ExitCode.Usage, message);
}
