namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>
/// The sample's <c>text</c> command on a file of the user's own: a trained, saved model that <c>classify</c> loads in a
/// fresh process, and bad files named by line.
/// </summary>
[TestClass]
[TestCategory("Sample")]
public sealed class TextCommandTests
{
    private static readonly string[] ClassWords = ["apple", "river", "engine"];

    [TestMethod]
    public void A_file_of_category_tab_text_lines_trains_and_saves_a_model_that_loads()
    {
        string directory = Directory.CreateTempSubdirectory("sru-text-").FullName;
        try
        {
            var random = new Random(1);
            File.WriteAllLines(Path.Combine(directory, "texts.tsv"), Enumerable.Range(0, 300).Select(_ =>
            {
                int label = random.Next(3);
                var words = Enumerable.Range(0, random.Next(3, 9)).Select(_ => $"w{random.Next(30)}").ToList();
                words.Insert(random.Next(words.Count + 1), ClassWords[label]);
                return $"{ClassWords[label]}\t{string.Join(' ', words)}";
            }));

            SampleProcess.Outcome outcome = SampleProcess.RunIn(directory, "text", "--file", "texts.tsv", "--epochs", "8", "--output", "texts.zip");

            Assert.AreEqual(0, outcome.ExitCode, outcome.ToString());
            var accuracy = System.Text.RegularExpressions.Regex.Match(outcome.Stdout, @"Test accuracy ([0-9.]+) %");
            Assert.IsTrue(accuracy.Success, outcome.ToString());
            Assert.IsGreaterThan(90.0, double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), outcome.ToString());
            CollectionAssert.AreEquivalent(new[] { "texts.tsv", "texts.zip" }, Directory.GetFiles(directory).Select(Path.GetFileName).ToArray(), "the model and nothing half-written beside it");

            // Loaded in a fresh process: each text's class word decides, words never seen count for nothing.
            SampleProcess.Outcome classified = SampleProcess.RunIn(directory, "classify", "texts.zip", "w3 apple w7", "river w1", "zebra engine");
            Assert.AreEqual(0, classified.ExitCode, classified.ToString());
            CollectionAssert.AreEqual(new[] { "apple", "river", "engine" },
                classified.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')[0]).ToArray(), classified.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("a\tfirst text\nno tab on this line\n", "line 2: expected a category, a tab and the text.")]
    [DataRow("a\tone\nb\ttwo\n", "has 2 texts in 2 categories; a classifier needs at least 10 texts in 2 categories.")]
    public void A_file_that_is_not_category_tab_text_lines_exits_2_naming_it(string content, string expected)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sru-texts-{Guid.NewGuid():N}.tsv");
        File.WriteAllText(path, content);
        try
        {
            SampleProcess.Outcome outcome = SampleProcess.Run("text", "--file", path);
            Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
            StringAssert.Contains(outcome.Stderr, $"--file '{path}'", outcome.ToString());
            StringAssert.Contains(outcome.Stderr, expected, outcome.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void A_missing_file_exits_2_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-texts-{Guid.NewGuid():N}.tsv");
        SampleProcess.Outcome outcome = SampleProcess.Run("text", "--file", path);
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        StringAssert.Contains(outcome.Stderr, $"--file '{path}' does not exist.", outcome.ToString());
    }
}
