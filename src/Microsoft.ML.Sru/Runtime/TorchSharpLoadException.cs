namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown when TorchSharp cannot be used: its native libraries do not load, or the app loads a TorchSharp of another
/// version than the one this library needs. The message says why and what to do.
/// </summary>
public sealed class TorchSharpLoadException : InvalidOperationException
{
    /// <summary>Creates the exception with the explanation.</summary>
    public TorchSharpLoadException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the explanation and TorchSharp's original failure.</summary>
    public TorchSharpLoadException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
