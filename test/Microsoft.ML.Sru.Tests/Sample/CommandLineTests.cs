using System.Reflection;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>The sample's command line without any data: help, usage errors, missing files, exit codes.</summary>
[TestClass]
public sealed partial class CommandLineTests
{
    [TestMethod]
    public void Help_exits_0_and_lists_the_commands_and_exit_codes()
    {
        string help = SampleProcess.RunOk("--help");
        foreach (string command in new[] { "train", "evaluate", "predict", "compare", "scores" })
            StringAssert.Contains(help, $"  {command}", help);
        StringAssert.Contains(help, "Examples:");
        StringAssert.Contains(help, "Exit codes:");
        StringAssert.Contains(help, "4    model file missing or unreadable");
    }

    [TestMethod]
    public void Train_help_lists_every_public_trainer_option_with_its_default()
    {
        string help = SampleProcess.RunOk("train", "--help");
        var properties = new[] { typeof(SruTrainer.Options), typeof(LstmTrainer.Options), typeof(GruTrainer.Options) }
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Where(p => p.SetMethod is { IsPublic: true } && (p.PropertyType.IsPrimitive || p.PropertyType == typeof(string) || p.PropertyType.IsEnum))
            .Select(p => p.Name)
            .Distinct()
            .ToList();
        Assert.IsGreaterThanOrEqualTo(15, properties.Count, string.Join(", ", properties));
        foreach (string property in properties)
        {
            // Spelled independently of the sample's converter: BatchSize → batch-size, LogEveryNSteps → log-every-n-steps.
            string option = "--" + WordBoundary().Replace(property, "-$0").ToLowerInvariant();
            Assert.IsTrue(Regex.IsMatch(help, $@"{Regex.Escape(option)} <[^>]+>\s.*\[default: [^\]]+\]"), $"{option} (or its default) is missing from train --help:\n{help}");
        }
        StringAssert.Contains(help, "[default: 32 (sru), 128 (lstm), 128 (gru)]", "the batch size's default per model");
        StringAssert.Contains(help, "--model <sru|lstm|gru>");
    }

    [TestMethod]
    public void An_unparsable_option_value_exits_2_naming_the_option_as_typed()
    {
        SampleProcess.Outcome outcome = SampleProcess.Run("train", "--epochs", "three");
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        StringAssert.Contains(outcome.Stderr, "Option '--epochs': 'three' is not an integer.", outcome.ToString());
        Assert.AreEqual("", outcome.Stdout.Trim(), "usage errors go to stderr only");
    }

    [TestMethod]
    public void An_out_of_range_trainer_option_exits_2_naming_the_option()
    {
        SampleProcess.Outcome outcome = SampleProcess.Run("train", "--batch-size", "0");
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        StringAssert.Contains(outcome.Stderr, "Option '--batch-size'", outcome.ToString());
        StringAssert.Contains(outcome.Stderr, "it is 0", outcome.ToString());
    }

    [TestMethod]
    public void An_option_of_another_model_and_an_unknown_option_exit_2()
    {
        SampleProcess.Outcome highway = SampleProcess.Run("train", "--model", "lstm", "--use-highway", "false");
        Assert.AreEqual(2, highway.ExitCode, highway.ToString());
        StringAssert.Contains(highway.Stderr, "'--use-highway' applies to --model sru only", highway.ToString());

        SampleProcess.Outcome unknown = SampleProcess.Run("evaluate", "model.zip", "--frobnicate");
        Assert.AreEqual(2, unknown.ExitCode, unknown.ToString());
        StringAssert.Contains(unknown.Stderr, "--frobnicate", unknown.ToString());
    }

    [TestMethod]
    public void A_missing_model_file_exits_4_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.zip");
        SampleProcess.Outcome outcome = SampleProcess.Run("evaluate", path);
        Assert.AreEqual(4, outcome.ExitCode, outcome.ToString());
        StringAssert.Contains(outcome.Stderr, $"Model file '{path}' does not exist.", outcome.ToString());
    }

    [TestMethod]
    public void A_file_that_is_not_a_model_exits_4_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-model-{Guid.NewGuid():N}.zip");
        File.WriteAllText(path, "this is not a zip");
        try
        {
            SampleProcess.Outcome outcome = SampleProcess.Run("scores", path);
            Assert.AreEqual(4, outcome.ExitCode, outcome.ToString());
            StringAssert.Contains(outcome.Stderr, $"Model file '{path}' could not be loaded", outcome.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Predict_refuses_an_image_of_the_wrong_size_or_format_naming_the_file()
    {
        string directory = Directory.CreateTempSubdirectory("sru-sample-images").FullName;
        try
        {
            string small = Path.Combine(directory, "small.pgm");
            File.WriteAllText(small, "P2\n# three by two\n3 2\n255\n0 1 2\n3 4 5\n");
            string text = Path.Combine(directory, "digit.png");
            File.WriteAllText(text, "not an image");
            // Images are read before the model, so no model is needed to see these errors.
            SampleProcess.Outcome size = SampleProcess.Run("predict", "model.zip", small);
            Assert.AreEqual(2, size.ExitCode, size.ToString());
            StringAssert.Contains(size.Stderr, $"Image '{small}' is 3×2 pixels; the models read 28×28 images", size.ToString());

            SampleProcess.Outcome format = SampleProcess.Run("predict", "model.zip", text);
            Assert.AreEqual(2, format.ExitCode, format.ToString());
            StringAssert.Contains(format.Stderr, $"Image '{text}' is neither a PNG nor a PGM (P2/P5) file.", format.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex("(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])")]
    private static partial Regex WordBoundary();
}
