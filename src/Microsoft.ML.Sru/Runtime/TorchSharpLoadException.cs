namespace Microsoft.ML.Sru;

/// <summary>Thrown when TorchSharp's native libraries cannot be loaded; the message says why and what to do.</summary>
public sealed class TorchSharpLoadException : InvalidOperationException
{
    /// <summary>Creates the exception with the explanation and TorchSharp's original failure.</summary>
    public TorchSharpLoadException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
