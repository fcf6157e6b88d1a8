using System.Globalization;

namespace Sru.MnistSample.Cli;

/// <summary>Converts a command-line text to a trainer property's type, with a message a person can act on when it cannot.</summary>
internal static class OptionValueParser
{
    /// <summary>The value, or null with <paramref name="error"/> saying what was expected.</summary>
    public static object? TryParse(string? text, Type type, out string? error)
    {
        error = null;
        if (type == typeof(string))
            return text ?? "";
        // A flag given without a value ("--use-highway") means true.
        if (type == typeof(bool) && string.IsNullOrEmpty(text))
            return true;
        text = text?.Trim() ?? "";
        switch (Type.GetTypeCode(type))
        {
            case TypeCode.Boolean when bool.TryParse(text, out bool b):
                return b;
            case TypeCode.Int32 when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i):
                return i;
            case TypeCode.Int64 when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l):
                return l;
            case TypeCode.Single when float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f):
                return f;
            case TypeCode.Double when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d):
                return d;
        }
        if (type.IsEnum && !text.All(char.IsDigit) && Enum.TryParse(type, text, ignoreCase: true, out object? value))
            return value;
        error = $"'{text}' is not {Expected(type)}";
        return null;
    }

    /// <summary>"an integer", "a number", "true or false", "one of A, B".</summary>
    public static string Expected(Type type) => type switch
    {
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ => "a number (such as 0.01)",
    };
}
