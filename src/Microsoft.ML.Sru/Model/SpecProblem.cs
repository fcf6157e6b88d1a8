using System.Globalization;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A <see cref="NetworkSpec"/> value out of its range. A loader reports it as a stored value
/// (<see cref="ToString"/>: "hidden size 0 (must be between 1 and 65,536)"), a trainer as the option the user set
/// (<see cref="ToOptionException"/>: "HiddenSize must be between 1 and 65,536; it is 0."), so the range is written once.
/// </summary>
/// <param name="Field">What the value is in a network description, e.g. "hidden size".</param>
/// <param name="Option">The trainer option that sets it, e.g. "HiddenSize"; null where the data decide it (step size, class count) or nothing can set it (the cell kind).</param>
/// <param name="Value">The value.</param>
/// <param name="Rule">What it must be, e.g. "must be between 1 and 65,536".</param>
internal sealed record SpecProblem(string Field, string? Option, object Value, string Rule)
{
    /// <summary>A value out of [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static SpecProblem Range(string field, string? option, long value, long min, long max, string? minMeaning = null) =>
        new(field, option, value, string.Format(CultureInfo.InvariantCulture, "must be between {0:N0}{1} and {2:N0}", min, minMeaning is null ? "" : $" ({minMeaning})", max));

    /// <summary>A value out of [<paramref name="min"/>, <paramref name="max"/>], or NaN.</summary>
    public static SpecProblem Range(string field, string option, float value, float min, float max) =>
        new(field, option, value, string.Format(CultureInfo.InvariantCulture, "must be between {0} and {1}", min, max));

    /// <summary>An enum value that is none of its names.</summary>
    public static SpecProblem NotOneOf<T>(string field, string option, T value) where T : struct, Enum =>
        new(field, option, value, "must be one of " + string.Join(", ", Enum.GetValues<T>().Select(v => string.Format(CultureInfo.InvariantCulture, "{0} ({1:D})", v, v))));

    /// <summary>The value as the problem shows it: an enum by its number, as a damaged file holds it.</summary>
    private string ValueText => Value is Enum e ? e.ToString("D") : string.Format(CultureInfo.InvariantCulture, "{0}", Value);

    /// <summary>"what value (rule)", as a model file's description reports it.</summary>
    public override string ToString() => $"{Field} {ValueText} ({Rule})";

    /// <summary>The problem said of the option that sets the value; only for problems with an <see cref="Option"/>.</summary>
    public ArgumentOutOfRangeException ToOptionException() =>
        new(Option, Value, $"{Option} {Rule}; it is {ValueText}.");
}
