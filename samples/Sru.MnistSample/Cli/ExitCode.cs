namespace Sru.MnistSample.Cli;

/// <summary>The process exit codes, which scripts can rely on (listed in --help and the README).</summary>
internal static class ExitCode
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>Training, evaluation or prediction failed while running (the message says why).</summary>
    public const int Failure = 1;

    /// <summary>Unknown command or option, a value out of range, or an input image that is missing or not a 28×28 PNG/PGM.</summary>
    public const int Usage = 2;

    /// <summary>The MNIST or Fashion-MNIST files could not be found, fetched or verified.</summary>
    public const int DataUnavailable = 3;

    /// <summary>The model zip is missing, unreadable or not a model this library can load.</summary>
    public const int ModelUnreadable = 4;

    /// <summary>Stopped by Ctrl+C: training stops before its next batch, nothing is saved (128 + SIGINT's 2, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>The table shown at the end of every --help.</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Ok, "success"),
        (Failure, "training, evaluation or prediction failed"),
        (Usage, "usage error: unknown command or option, invalid value, bad input image"),
        (DataUnavailable, "MNIST / Fashion-MNIST data unavailable"),
        (ModelUnreadable, "model file missing or unreadable"),
        (Interrupted, "interrupted (Ctrl+C)"),
    ];
}
