namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown when a saved recurrent classifier cannot be loaded: a damaged or truncated file, missing or
/// mismatched weights, or a format version newer than this library reads.
/// </summary>
public sealed class ModelFormatException : FormatException
{
    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    public ModelFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying failure.</summary>
    public ModelFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
