using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Sru;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Cli;

/// <summary>
/// One command-line option per public settable property of the trainers' options classes, found by reflection so
/// that options added to the library appear here without touching the sample: <c>BatchSize</c> becomes
/// <c>--batch-size</c>, described by the first sentence of its XML documentation, with each model's default value.
/// </summary>
internal sealed partial class TrainerOptionBinding
{
    private static readonly Type[] s_scalarTypes = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(bool), typeof(string)];

    // Friendlier spellings users expect for a few properties.
    private static readonly Dictionary<string, string[]> s_aliases = new(StringComparer.Ordinal)
    {
        ["MaxEpoch"] = ["--epochs"],
    };

    private readonly List<Binding> _bindings;

    private TrainerOptionBinding(List<Binding> bindings)
    {
        _bindings = bindings;
    }

    /// <summary>The options, in declaration order, to add to a command.</summary>
    public IEnumerable<Option> Options => _bindings.Select(b => b.Option);

    /// <summary>Builds the options for every model kind's options class.</summary>
    public static TrainerOptionBinding Create()
    {
        var docs = XmlDocSummaries.For(typeof(RecurrentTrainerOptions).Assembly);
        var defaults = RecurrentTrainers.Kinds.ToDictionary(kind => kind, RecurrentTrainers.CreateOptions);
        var bindings = new List<Binding>();
        var byName = new Dictionary<string, Binding>(StringComparer.Ordinal);
        foreach ((RecurrentModelKind kind, RecurrentTrainerOptions instance) in defaults)
        {
            foreach (PropertyInfo property in BindableProperties(instance.GetType()))
            {
                if (!byName.TryGetValue(property.Name, out Binding? binding))
                {
                    binding = new Binding(property.Name, CreateOption(property, docs), new Dictionary<RecurrentModelKind, PropertyInfo>());
                    byName.Add(property.Name, binding);
                    bindings.Add(binding);
                }
                binding.Properties[kind] = property;
            }
        }
        foreach (Binding binding in bindings)
            binding.Option.Description += DefaultsText(binding, defaults);
        return new TrainerOptionBinding(bindings);
    }

    /// <summary>Sets every option given on the command line on <paramref name="target"/>, the options of <paramref name="kind"/>.</summary>
    /// <exception cref="SampleException">An option that the chosen model does not have.</exception>
    public void Apply(ParseResult parseResult, RecurrentModelKind kind, RecurrentTrainerOptions target)
    {
        foreach (Binding binding in _bindings)
        {
            OptionResult? result = parseResult.GetResult(binding.Option);
            if (result is null || result.Implicit)
                continue;
            if (!binding.Properties.TryGetValue(kind, out PropertyInfo? property))
            {
                string models = string.Join(", ", binding.Properties.Keys.Select(k => k.ToString().ToLowerInvariant()));
                throw SampleException.Usage($"Option '{binding.Option.Name}' applies to --model {models} only, not to --model {kind.ToString().ToLowerInvariant()}.");
            }
            string? text = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            property.SetValue(target, OptionValueParser.TryParse(text, ValueType(property), out _));
        }
    }

    /// <summary>Whether the option of property <paramref name="propertyName"/> was given on the command line.</summary>
    public bool IsGiven(ParseResult parseResult, string propertyName)
    {
        Binding? binding = _bindings.Find(b => b.PropertyName == propertyName);
        return binding is not null && parseResult.GetResult(binding.Option) is { Implicit: false };
    }

    /// <summary>
    /// The option that sets a property as the user wrote it (<c>--epochs</c> or <c>--max-epoch</c> for <c>MaxEpoch</c>),
    /// its main name when it was not given, or the property name if no option sets it.
    /// </summary>
    public string OptionNameOf(ParseResult parseResult, string? propertyName)
    {
        Binding? binding = _bindings.Find(b => b.PropertyName == propertyName);
        if (binding is null)
            return propertyName ?? "(unknown option)";
        return parseResult.GetResult(binding.Option) is { Implicit: false, IdentifierToken: { } typed } ? typed.Value : binding.Option.Name;
    }

    private static IEnumerable<PropertyInfo> BindableProperties(Type optionsType) =>
        optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .Where(p => ValueType(p).IsEnum || s_scalarTypes.Contains(ValueType(p)))
            // Base-class properties first, in the order the library declares them.
            .OrderBy(p => Depth(p.DeclaringType!))
            .ThenBy(p => p.MetadataToken);

    /// <summary>The type a value is parsed as: int for an int? option, whose default null means "chosen by the library".</summary>
    private static Type ValueType(PropertyInfo property) => Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;

    private static int Depth(Type type)
    {
        int depth = 0;
        for (Type? t = type.BaseType; t is not null; t = t.BaseType)
            depth++;
        return depth;
    }

    private static Option<string> CreateOption(PropertyInfo property, XmlDocSummaries docs)
    {
        // Values are parsed here rather than by System.CommandLine, so an error names the option as typed and
        // the type in words ("'x' is not an integer") whatever the property's type.
        Type type = ValueType(property);
        var option = new Option<string>("--" + KebabCase.From(property.Name), s_aliases.GetValueOrDefault(property.Name, []))
        {
            Description = Brief(docs.Of(property)) ?? property.Name,
            HelpName = type switch
            {
                { IsEnum: true } => string.Join('|', Enum.GetNames(type)),
                _ when type == typeof(bool) => "true|false",
                _ when type == typeof(string) => "text",
                _ when type == typeof(float) || type == typeof(double) => "number",
                _ => "integer",
            },
            Arity = type == typeof(bool) ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
        };
        option.Validators.Add(result =>
        {
            OptionValueParser.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, type, out string? error);
            if (error is not null)
                result.AddError($"Option '{result.IdentifierToken?.Value ?? option.Name}': {error}.");
        });
        return option;
    }

    /// <summary>
    /// The summary's first sentence, and its "Range …" sentence if it has one: help lines stay short, and the
    /// default is appended from the options object itself.
    /// </summary>
    private static string? Brief(string? summary)
    {
        if (summary is null)
            return null;
        string[] sentences = SentenceEnd().Split(summary);
        string? range = sentences.Skip(1).FirstOrDefault(s => s.StartsWith("Range", StringComparison.Ordinal));
        return range is null ? sentences[0] : $"{sentences[0]} {range}";
    }

    private static string DefaultsText(Binding binding, Dictionary<RecurrentModelKind, RecurrentTrainerOptions> defaults)
    {
        var values = binding.Properties.Select(p => (Kind: p.Key, Value: Format(p.Value.GetValue(defaults[p.Key])))).ToList();
        string onlyFor = binding.Properties.Count < defaults.Count
            ? $" Only for --model {string.Join(", ", values.Select(v => v.Kind.ToString().ToLowerInvariant()))}."
            : "";
        string text = values.Select(v => v.Value).Distinct().Count() == 1
            ? values[0].Value
            : string.Join(", ", values.Select(v => $"{v.Value} ({v.Kind.ToString().ToLowerInvariant()})"));
        return $"{onlyFor} [default: {text}]";
    }

    private static string Format(object? value) => value switch
    {
        null => "automatic",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z])")]
    private static partial Regex SentenceEnd();

    private sealed record Binding(string PropertyName, Option Option, Dictionary<RecurrentModelKind, PropertyInfo> Properties);
}
