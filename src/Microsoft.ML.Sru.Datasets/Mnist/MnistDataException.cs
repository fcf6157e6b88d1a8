namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown when an MNIST file is not what it must be: not an IDX file of unsigned bytes, a header with the
/// wrong number of dimensions or absurd sizes, fewer (or more) bytes than its header declares, a corrupt
/// gzip stream, image and label files whose counts differ, or content whose SHA-256 is not the published
/// file's. The message says what is wrong; <see cref="FilePath"/> names the file.
/// </summary>
public sealed class MnistDataException : IOException
{
    /// <summary>Creates the exception for a file, with a message that names it and says what is wrong.</summary>
    /// <param name="filePath">The file that is wrong.</param>
    /// <param name="message">What is wrong with it.</param>
    public MnistDataException(string filePath, string message) : base(message)
    {
        FilePath = filePath;
    }

    /// <summary>Creates the exception for a file, with a message and the underlying failure.</summary>
    /// <param name="filePath">The file that is wrong.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="innerException">The failure that revealed it, such as a gzip decoding error.</param>
    public MnistDataException(string filePath, string message, Exception innerException) : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The full path of the file that is wrong.</summary>
    public string FilePath { get; }
}
