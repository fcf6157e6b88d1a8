using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sru.MnistSample.Cli;

/// <summary>
/// Enum options written in lower case ("--model gru"), whose bad values are refused in words:
/// "'rnn' is not a model; expected sru, lstm or gru." rather than with the parser's CLR type name.
/// </summary>
internal static class LowerCaseEnum
{
    /// <summary>How the command line writes a value: <c>Sru</c> → <c>sru</c>.</summary>
    public static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>"sru, lstm or gru".</summary>
    public static string Choices<T>() where T : struct, Enum
    {
        string[] names = Enum.GetValues<T>().Select(Name).ToArray();
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    /// <summary>An option taking one value of <typeparamref name="T"/>; <paramref name="noun"/> says what a value is ("a model").</summary>
    /// <remarks>
    /// Its default is applied by <see cref="Choice{T}.Get"/>, not by the parser, whose help would show it as the
    /// enum member's name ("Sru").
    /// </remarks>
    public static Choice<T> Option<T>(string name, string noun, string description, T defaultValue) where T : struct, Enum => new(new Option<T?>(name)
    {
        Description = $"{description} [default: {Name(defaultValue)}]",
        HelpName = string.Join('|', Enum.GetValues<T>().Select(Name)),
        CustomParser = result => Parse<T>(result, result.Tokens.Count > 0 ? result.Tokens[0].Value : "", noun),
    }, defaultValue);

    /// <summary>An option taking several values of <typeparamref name="T"/>; when it is not given, <see cref="All{T}"/>.</summary>
    public static Option<T[]> ManyOption<T>(string name, string noun, string description) where T : struct, Enum => new(name)
    {
        Description = $"{description} [default: all]",
        HelpName = string.Join('|', Enum.GetValues<T>().Select(Name)),
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => result.Tokens.Select(token => Parse<T>(result, token.Value, noun)).OfType<T>().ToArray(),
    };

    /// <summary>The values given to a <see cref="ManyOption{T}"/>, or all of them.</summary>
    public static T[] All<T>(ParseResult parse, Option<T[]> option) where T : struct, Enum =>
        parse.GetValue(option) is { Length: > 0 } values ? values : Enum.GetValues<T>();

    private static T? Parse<T>(ArgumentResult result, string text, string noun) where T : struct, Enum
    {
        // Names only: Enum.TryParse would also take "7".
        foreach (T value in Enum.GetValues<T>())
        {
            if (string.Equals(Name(value), text, StringComparison.OrdinalIgnoreCase))
                return value;
        }
        result.AddError($"'{text}' is not {noun}; expected {Choices<T>()}.");
        return null;
    }

    /// <summary>An enum option and its default.</summary>
    public sealed record Choice<T>(Option<T?> Option, T Default) where T : struct, Enum
    {
        public T Get(ParseResult parse) => parse.GetValue(Option) ?? Default;
    }
}
