using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;

namespace Sru.Datasets.Text;

/// <summary>
/// Short English texts in named categories: the Debian package <c>fortunes</c> (1:1.99.1-7.3, Debian 12), one file per
/// category under <c>/usr/share/games/fortunes/</c>, entries separated by lines holding only <c>%</c>. The task: tell an
/// entry's category from its text. An entry found in more than one of the chosen files is dropped (its category is
/// ambiguous). About one entry in five, chosen by a hash of its text, is the test split, so the split does not depend
/// on the files' order or on which other categories are read.
/// </summary>
public static class FortuneCorpus
{
    public const string DefaultDirectory = "/usr/share/games/fortunes";

    /// <summary>Six categories of 580–1,050 entries each, on distinct topics.</summary>
    public static readonly IReadOnlyList<string> DefaultCategories = ["computers", "politics", "science", "work", "songs-poems", "men-women"];

    private const string PackageVersion = "the Debian 12 package fortunes 1:1.99.1-7.3";

    /// <summary>SHA-256 of the category files this project's figures were measured on.</summary>
    private static readonly Dictionary<string, string> Checksums = new(StringComparer.Ordinal)
    {
        ["computers"] = "a86be224d9f733b88eeaf8a46ea0427e05cc69c69edcf5f6db47ddf561ca37fd",
        ["politics"] = "b56ca45a046edd5c459090a5c6b335332661b436e814b41ac87bb58065ad6131",
        ["science"] = "7ab350b142ee6c70c1d8517c5a1b3790c09b190a62859427cad98e6e35a19fcc",
        ["work"] = "ad8a0e104160e2c4782fa86e143cd60ffab2872985d4293ffd0af6df19dbfa28",
        ["songs-poems"] = "eb714d297b468da91b6ca32baefb000279a3e3740b09f8a87db24fe58e010b1a",
        ["men-women"] = "8fc4eb68a8d16826372d9bfdc910c8ab917b8aa59e2aac533f3ec2b49a1314ba",
        ["people"] = "2afb4b9f577be114d2dca279bc5590ee8415e1405295d7d7626c888d82f338e8",
        ["definitions"] = "57be4744c353d931fa2ca95f50215d4b67539f5a527ae628a6441fb4a1258caa",
    };

    /// <summary>The entries of <paramref name="split"/> as an <see cref="IDataView"/> with columns Text and Category (both text).</summary>
    public static IDataView Load(MLContext ml, DatasetSplit split, IEnumerable<string>? categories = null, string directory = DefaultDirectory)
        => ml.Data.LoadFromEnumerable(Read(split, categories, directory));

    /// <summary>The entries of <paramref name="split"/>, category by category in the order given, each in file order.</summary>
    /// <exception cref="DatasetException">The directory or a category file is missing, or a file is not the version the project reads.</exception>
    public static IReadOnlyList<FortuneText> Read(DatasetSplit split, IEnumerable<string>? categories = null, string directory = DefaultDirectory)
    {
        string[] chosen = (categories ?? DefaultCategories).ToArray();
        if (chosen.Length < 2)
            throw new ArgumentException("Choose at least two categories.", nameof(categories));
        if (!Directory.Exists(directory))
            throw new DatasetException($"The fortunes directory '{directory}' does not exist: install the Debian package (apt-get install fortunes).");

        var entries = new List<(string Text, string Category)>();
        foreach (string category in chosen.Distinct(StringComparer.Ordinal))
        {
            if (!Checksums.TryGetValue(category, out string? checksum))
                throw new ArgumentException($"Unknown fortunes category '{category}': the known ones are {string.Join(", ", Checksums.Keys)}.", nameof(categories));
            string path = Path.Combine(directory, category);
            if (!File.Exists(path))
                throw new DatasetException($"The fortunes file '{path}' does not exist: install the Debian package (apt-get install fortunes).");
            VerifiedFile.Check(path, checksum, PackageVersion);
            foreach (string text in Entries(File.ReadAllText(path, Encoding.UTF8)))
                entries.Add((text, category));
        }

        var categoriesOfText = entries.GroupBy(e => e.Text, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Category).Distinct(StringComparer.Ordinal).Count(), StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>();
        return entries
            .Where(e => categoriesOfText[e.Text] == 1 && seen.Add(e) && IsTest(e.Text) == (split == DatasetSplit.Test))
            .Select(e => new FortuneText { Text = e.Text, Category = e.Category })
            .ToList();
    }

    /// <summary>The entries of one file: the text between lines holding only %, trimmed, empty ones left out.</summary>
    internal static IEnumerable<string> Entries(string file)
    {
        var entry = new StringBuilder();
        foreach (string line in file.Split('\n'))
        {
            if (line.TrimEnd('\r') == "%")
            {
                if (entry.ToString().Trim() is { Length: > 0 } text)
                    yield return text;
                entry.Clear();
            }
            else
            {
                entry.Append(line.TrimEnd('\r')).Append('\n');
            }
        }
        if (entry.ToString().Trim() is { Length: > 0 } last)
            yield return last;
    }

    private static bool IsTest(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text))[0] % 5 == 0;
}
