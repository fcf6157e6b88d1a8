using System.Diagnostics.CodeAnalysis;

namespace Microsoft.ML.Sru;

/// <summary>
/// Copies MNIST files from a directory that is only read, never written, such as the one Debian's
/// <c>dataset-fashion-mnist</c> package installs. Accepts <c>name</c> or <c>name.gz</c>.
/// </summary>
internal sealed class DirectoryFileSource : IMnistFileSource
{
    private readonly string _directory;
    private readonly string _missingHint;

    /// <param name="directory">The directory to read.</param>
    /// <param name="description">What it is, such as "Debian package dataset-fashion-mnist".</param>
    /// <param name="missingHint">Added to the failure when the directory does not exist, such as how to install it.</param>
    public DirectoryFileSource(string directory, string description, string missingHint = "")
    {
        _directory = directory;
        _missingHint = missingHint;
        Description = $"{description} ({directory})";
    }

    public string Description { get; }

    public bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure)
    {
        if (!Directory.Exists(_directory))
        {
            failure = $"directory {_directory} does not exist{(_missingHint.Length > 0 ? "; " + _missingHint : "")}";
            return false;
        }
        string? path = MnistAcquisition.FindInDirectory(_directory, fileName);
        if (path is null)
        {
            failure = $"neither {fileName} nor {fileName}.gz is in {_directory}";
            return false;
        }
        log($"Copying {path}.");
        using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            source.CopyTo(destination, 1 << 20);
        failure = null;
        return true;
    }
}
