using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Sru.MnistSample.Cli;

/// <summary>
/// The &lt;summary&gt; texts of an assembly's XML documentation file (copied beside it at build time), flattened to
/// one line of plain text, so that --help describes each trainer option in the library's own words.
/// </summary>
internal sealed partial class XmlDocSummaries
{
    private readonly Dictionary<string, string> _summaries;

    private XmlDocSummaries(Dictionary<string, string> summaries)
    {
        _summaries = summaries;
    }

    /// <summary>Reads the documentation of <paramref name="assembly"/>; empty when the file is not there.</summary>
    public static XmlDocSummaries For(Assembly assembly)
    {
        string path = Path.ChangeExtension(assembly.Location, ".xml");
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (XElement member in XDocument.Load(path).Descendants("member"))
            {
                string? name = member.Attribute("name")?.Value;
                XElement? summary = member.Element("summary");
                if (name is not null && summary is not null)
                    summaries[name] = Flatten(summary, assembly);
            }
        }
        return new XmlDocSummaries(summaries);
    }

    /// <summary>The summary of a property, or null when it has none.</summary>
    public string? Of(PropertyInfo property)
    {
        // Documentation IDs write nested types with '.' where reflection writes '+'.
        string id = $"P:{property.DeclaringType!.FullName!.Replace('+', '.')}.{property.Name}";
        return _summaries.GetValueOrDefault(id);
    }

    private static string Flatten(XElement summary, Assembly assembly)
    {
        var parts = summary.Nodes().Select(node => node switch
        {
            XText text => text.Value,
            XElement { Name.LocalName: "see" } see => CrefText(see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? "", assembly),
            XElement element => element.Value,
            _ => "",
        });
        return Whitespace().Replace(string.Concat(parts), " ").Trim();
    }

    // "T:Microsoft.ML.Sru.SruTrainer.Options" reads "SruTrainer.Options"; a member reads as its own name.
    private static string CrefText(string cref, Assembly assembly)
    {
        if (cref.StartsWith("T:", StringComparison.Ordinal) && FindType(cref[2..], assembly) is { } type)
            return type.DeclaringType is null ? type.Name : $"{type.DeclaringType.Name}.{type.Name}";
        int dot = cref.LastIndexOf('.');
        return dot < 0 ? cref : cref[(dot + 1)..];
    }

    // Documentation IDs write "Outer.Inner" for nested types; reflection wants "Outer+Inner".
    private static Type? FindType(string name, Assembly assembly)
    {
        for (string candidate = name; ;)
        {
            if (assembly.GetType(candidate) is { } type)
                return type;
            int dot = candidate.LastIndexOf('.');
            if (dot < 0)
                return null;
            candidate = candidate[..dot] + "+" + candidate[(dot + 1)..];
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
