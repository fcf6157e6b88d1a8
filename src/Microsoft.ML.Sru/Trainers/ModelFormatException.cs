namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown when a saved recurrent classifier cannot be loaded: a damaged or truncated file, missing or
/// mismatched weights, a network description that does not match its checksummed weights, or a format
/// version newer than this library reads. The message says what is wrong.
/// </summary>
/// <remarks>
/// ML.NET's <c>MLContext.Model.Load</c> calls each loader through reflection, so this exception reaches the
/// caller wrapped in one <see cref="System.Reflection.TargetInvocationException"/> per loader level: two for
/// a saved trainer output (transformer, classifier), three inside a pipeline (chain, transformer,
/// classifier). It is thrown without an inner exception, so <see cref="Exception.GetBaseException"/> of
/// what <c>Model.Load</c> throws returns it:
/// <code>
/// catch (Exception e) when (e.GetBaseException() is ModelFormatException damaged) { ... }
/// </code>
/// Damage to the parts of the zip that ML.NET itself reads (the zip's directory, the schema, other
/// transformers) is reported by ML.NET, mostly as <see cref="FormatException"/> or
/// <see cref="System.IO.InvalidDataException"/>.
/// </remarks>
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
