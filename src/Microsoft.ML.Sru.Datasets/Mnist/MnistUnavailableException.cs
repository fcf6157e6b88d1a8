namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown when no source could provide an MNIST file: the message lists every place and source that was
/// tried, in order, and why each failed; <see cref="Attempts"/> holds the same lines.
/// </summary>
public sealed class MnistUnavailableException : IOException
{
    /// <summary>Creates the exception for a file and the sources that were tried.</summary>
    /// <param name="fileName">The MNIST file that could not be had, such as <c>t10k-images-idx3-ubyte</c>.</param>
    /// <param name="attempts">One line per source tried: where, and why it failed.</param>
    /// <param name="hint">What the user can do about it; appended to the message.</param>
    public MnistUnavailableException(string fileName, IReadOnlyList<string> attempts, string hint)
        : base(BuildMessage(fileName, attempts, hint))
    {
        FileName = fileName;
        Attempts = attempts;
    }

    /// <summary>The MNIST file that could not be had.</summary>
    public string FileName { get; }

    /// <summary>Every source tried, in order, each with the reason it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }

    private static string BuildMessage(string fileName, IReadOnlyList<string> attempts, string hint)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var lines = attempts.Count == 0 ? "  (no source was configured)" : string.Join(Environment.NewLine, attempts.Select(a => "  - " + a));
        return $"Could not get '{fileName}' from any source. Tried, in order:{Environment.NewLine}{lines}{Environment.NewLine}{hint}";
    }
}
