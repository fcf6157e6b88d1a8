using System.Globalization;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>
/// The sample's <c>series</c> command on a CSV file of the user's own, for a binary and a regression label, with rows
/// of one length or of their own: the saved model scores in a fresh process (<c>series-scores</c>) exactly as it does
/// loaded here, and bad files are refused naming the file, line and column.
/// </summary>
[TestClass]
[TestCategory("Sample")]
public sealed class SeriesCommandTests
{
    private const int StepSize = 2;

    /// <summary>
    /// Rows of 4 to 8 steps of two values; the label is whether (binary) or how much (regression) the sum of the first
    /// values of the steps exceeds the sum of the second ones.
    /// </summary>
    private static (List<float[]> Rows, List<float> Targets) Sequences(int count, bool variableLength, int seed)
    {
        var random = new Random(seed);
        var rows = new List<float[]>();
        var targets = new List<float>();
        for (int r = 0; r < count; r++)
        {
            int steps = variableLength ? random.Next(4, 9) : 8;
            var values = new float[steps * StepSize];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)Math.Round(random.NextDouble() * 10, 2);
            float difference = 0;
            for (int s = 0; s < steps; s++)
                difference += values[s * StepSize] - values[s * StepSize + 1];
            rows.Add(values);
            targets.Add(difference);
        }
        return (rows, targets);
    }

    private static void WriteCsv(string path, List<float[]> rows, List<float> targets, bool binary, bool withLabel)
    {
        var header = Enumerable.Range(0, 8 * StepSize).Select(i => $"v{i}").ToList();
        if (withLabel)
            header.Insert(0, "Target");
        var lines = new List<string> { string.Join(',', header) };
        for (int r = 0; r < rows.Count; r++)
        {
            var fields = rows[r].Select(v => v.ToString(CultureInfo.InvariantCulture)).Concat(Enumerable.Repeat("", 8 * StepSize - rows[r].Length)).ToList();
            if (withLabel)
                fields.Insert(0, binary ? (targets[r] > 0 ? "true" : "false") : targets[r].ToString(CultureInfo.InvariantCulture));
            lines.Add(string.Join(',', fields));
        }
        File.WriteAllLines(path, lines);
    }

    [TestMethod]
    [DataRow("binary", false)]
    [DataRow("binary", true)]
    [DataRow("regression", false)]
    [DataRow("regression", true)]
    public void A_csv_file_trains_a_model_that_scores_alike_in_a_fresh_process(string task, bool variableLength)
    {
        bool binary = task == "binary";
        string directory = Directory.CreateTempSubdirectory("sru-series-").FullName;
        try
        {
            var (rows, targets) = Sequences(400, variableLength, seed: 1);
            WriteCsv(Path.Combine(directory, "train.csv"), rows, targets, binary, withLabel: true);
            var (newRows, newTargets) = Sequences(40, variableLength, seed: 2);
            WriteCsv(Path.Combine(directory, "new.csv"), newRows, newTargets, binary, withLabel: false);

            SampleProcess.Outcome trained = SampleProcess.RunIn(directory, "series", "--task", task, "--file", "train.csv", "--label", "Target",
                "--step-size", $"{StepSize}", "--epochs", "20", "--output", "model.zip");
            Assert.AreEqual(0, trained.ExitCode, trained.ToString());
            StringAssert.Contains(trained.Stdout, binary ? "Test AUC" : "Test RMSE", trained.ToString());
            CollectionAssert.AreEquivalent(new[] { "model.zip", "new.csv", "train.csv" }, Directory.GetFiles(directory).Select(Path.GetFileName).ToArray(), "the model and nothing half-written beside it");

            SampleProcess.Outcome scoredThere = SampleProcess.RunIn(directory, "series-scores", "model.zip", "--file", "new.csv", "--step-size", $"{StepSize}");
            Assert.AreEqual(0, scoredThere.ExitCode, scoredThere.ToString());
            string[][] lines = scoredThere.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).ToArray();
            Assert.HasCount(newRows.Count, lines, scoredThere.ToString());

            if (!variableLength)
            {
                File.WriteAllLines(Path.Combine(directory, "short.csv"), ["v0,v1,v2,v3", "1,2,3,4"]);
                SampleProcess.Outcome refused = SampleProcess.RunIn(directory, "series-scores", "model.zip", "--file", "short.csv", "--step-size", $"{StepSize}");
                Assert.AreEqual(2, refused.ExitCode, refused.ToString());
                StringAssert.Contains(refused.Stderr, $"--file 'short.csv', line 2: 4 values, but the model reads rows of {8 * StepSize}.", refused.ToString());
                File.Delete(Path.Combine(directory, "short.csv"));
            }

            // The same zip loaded here scores the same rows to the same numbers.
            float[] scoresHere = ScoreHere(Path.Combine(directory, "model.zip"), newRows, variableLength);
            for (int r = 0; r < newRows.Count; r++)
                Assert.AreEqual(scoresHere[r], float.Parse(lines[r][0], CultureInfo.InvariantCulture), 1e-5f, $"row {r}");

            // And the model learned the rule.
            if (binary)
            {
                int right = Enumerable.Range(0, newRows.Count).Count(r => (lines[r][2] == "true") == (newTargets[r] > 0));
                Assert.IsGreaterThanOrEqualTo(34, right, scoredThere.ToString());
            }
            else
            {
                double rmse = Math.Sqrt(Enumerable.Range(0, newRows.Count).Average(r => Math.Pow(scoresHere[r] - newTargets[r], 2)));
                double spread = Math.Sqrt(newTargets.Average(t => Math.Pow(t - newTargets.Average(), 2)));
                Assert.IsLessThan(spread / 2, rmse, $"RMSE {rmse} against the targets' standard deviation {spread}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static float[] ScoreHere(string modelPath, List<float[]> rows, bool variableLength)
    {
        var ml = new MLContext();
        ITransformer model = ml.Model.Load(modelPath, out _);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, variableLength ? 0 : 8 * StepSize);
        IDataView data = ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Features = r }).ToList(), schema);
        return model.Transform(data).GetColumn<float>("Score").ToArray();
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    [TestMethod]
    [DataRow("Target,a,b\ntrue,1,2\nmaybe,3,4\n", "line 3, column 'Target': 'maybe' is not a binary label; expected true, false, 1 or 0.")]
    [DataRow("Target,a,b\ntrue,1,x\n", "line 2, column 'b': 'x' is not a number.")]
    [DataRow("Target,a,b\ntrue,,2\n", "line 2, column 'b': a value after an empty field; a sequence may only end early.")]
    [DataRow("Label,a,b\ntrue,1,2\n", "has no column 'Target' (--label); its header is: Label,a,b.")]
    [DataRow("Target,a,b,c\ntrue,1,2,3\n", "has 3 value columns, which is not a whole number of steps of --step-size 2.")]
    public void A_csv_file_that_cannot_be_read_exits_2_naming_the_line_and_column(string content, string expected)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sru-series-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, content);
        try
        {
            SampleProcess.Outcome outcome = SampleProcess.Run("series", "--file", path, "--label", "Target", "--step-size", "2");
            Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
            StringAssert.Contains(outcome.Stderr, $"--file '{path}'", outcome.ToString());
            StringAssert.Contains(outcome.Stderr, expected, outcome.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
