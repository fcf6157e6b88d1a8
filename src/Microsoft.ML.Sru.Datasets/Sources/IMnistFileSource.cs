using System.Diagnostics.CodeAnalysis;

namespace Microsoft.ML.Sru;

/// <summary>
/// A place MNIST files can be fetched from into the cache: a mirror, a package, a read-only directory.
/// <see cref="MnistAcquisition"/> tries its sources in order; tests pass fake ones.
/// </summary>
internal interface IMnistFileSource
{
    /// <summary>Says what and where the source is, for log lines and for the list of failed attempts.</summary>
    string Description { get; }

    /// <summary>
    /// Writes the content of <paramref name="fileName"/> (a name such as <c>t10k-images-idx3-ubyte</c>), raw or
    /// gzip-compressed, to <paramref name="destination"/>. Returns false with the reason when the source does not
    /// have it or cannot be reached; it may throw too (an I/O or network error), which counts as a failure. What it
    /// wrote is checked afterwards, so it need not check the content itself.
    /// </summary>
    bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure);
}
