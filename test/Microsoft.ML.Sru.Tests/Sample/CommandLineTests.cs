using System.Reflection;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>The sample's command line without any data: help, usage errors, missing files, exit codes.</summary>
[TestClass]
[TestCategory("Sample")]
public sealed partial class CommandLineTests
{
    [TestMethod]
    public void Help_exits_0_and_lists_the_commands_and_exit_codes()
    {
        string help = SampleProcess.RunOk("--help");
        foreach (string command in new[] { "train", "evaluate", "predict", "compare", "scores", "text", "classify" })
            StringAssert.Contains(help, $"  {command}", help);
        StringAssert.Contains(help, "Examples, where sru stands for");
        StringAssert.Contains(help, "Exit codes:");
        StringAssert.Contains(help, "4    model file missing or unreadable");
    }

    [TestMethod]
    public void Train_help_lists_every_public_trainer_option_with_its_default()
    {
        string help = SampleProcess.RunOk("train", "--help");
        Dictionary<string, string> options = OptionRows(help);
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
            string? row = options.Keys.FirstOrDefault(k => Regex.IsMatch(k, $@"(^|, ){Regex.Escape(option)} <[^>]+>$"));
            Assert.IsNotNull(row, $"{option} is missing from train --help:\n{help}");
            Assert.IsTrue(Regex.IsMatch(options[row], @"\[default: [^\]]+\]$"), $"{option} has no default: {options[row]}");
        }
        Assert.AreEqual("The recurrent classifier to train. [default: sru]", options["--model <sru|lstm|gru>"]);
        StringAssert.EndsWith(options["--batch-size <integer>"], "[default: 32 (sru), 128 (lstm), 128 (gru)]", "the batch size's default per model");
    }

    [TestMethod]
    [DataRow("--help")]
    [DataRow("train", "--help")]
    [DataRow("predict", "--help")]
    public void Help_fits_100_columns_and_its_examples_start_with_the_command_it_explains(params string[] arguments)
    {
        string help = SampleProcess.RunOk(arguments);
        foreach (string line in help.Split('\n'))
            Assert.IsLessThanOrEqualTo(100, line.TrimEnd('\r').Length, $"a help line of {line.Length} characters:\n{line}");
        StringAssert.Contains(help, "Examples, where sru stands for 'dotnet run -c Release --project samples/Sru.MnistSample --':");
        string[] examples = help.Split("Examples, ")[1].Split("Exit codes:")[0].Split('\n').Skip(1).Where(l => l.Trim().Length > 0).ToArray();
        Assert.IsNotEmpty(examples);
        foreach (string example in examples)
            StringAssert.StartsWith(example, "  sru ", help);
    }

    [TestMethod]
    public void A_long_option_description_is_cut_to_its_first_sentence_and_range()
    {
        Dictionary<string, string> options = OptionRows(SampleProcess.RunOk("train", "--help"));
        // The XML summary goes on to the default; help keeps the first sentence and the range.
        Assert.AreEqual("Width of each recurrent layer. Range 1 to 65,536. [default: 128]", options["--hidden-size <integer>"]);
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
    [DataRow(new[] { "--batch-size", "0" }, "error: --batch-size 0: must be between 1 and 1,048,576.")]
    [DataRow(new[] { "--hidden-size", "0" }, "error: --hidden-size 0: must be between 1 and 65,536.")]
    [DataRow(new[] { "--epochs", "0" }, "error: --epochs 0: must be between 1 and 1,000,000.")]
    [DataRow(new[] { "--max-epoch", "0" }, "error: --max-epoch 0: must be between 1 and 1,000,000.")]
    [DataRow(new[] { "--learning-rate", "20" }, "error: --learning-rate 20: must be greater than 0 and at most 10.")]
    public void An_out_of_range_trainer_option_exits_2_named_as_typed_without_internals(string[] option, string expected)
    {
        SampleProcess.Outcome outcome = SampleProcess.Run(["train", .. option]);
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        Assert.AreEqual(expected, outcome.Stderr.Trim(), outcome.ToString());
        Assert.AreEqual("", outcome.Stdout.Trim(), "refused before any data is loaded");
    }

    [TestMethod]
    [DataRow(new[] { "train", "--model", "rnn" }, "error: 'rnn' is not a model; expected sru, lstm or gru.")]
    [DataRow(new[] { "train", "--dataset", "digits" }, "error: 'digits' is not a data set; expected mnist or fashion.")]
    [DataRow(new[] { "compare", "--models", "sru", "svm" }, "error: 'svm' is not a trainer compare knows; expected sru, lstm, gru, lightgbm or sdca.")]
    public void An_unknown_choice_exits_2_listing_the_choices_without_type_names(string[] arguments, string expected)
    {
        SampleProcess.Outcome outcome = SampleProcess.Run(arguments);
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        Assert.AreEqual(expected, outcome.Stderr.Split('\n')[0].Trim(), outcome.ToString());
        Assert.DoesNotContain("Sru.MnistSample.", outcome.Stderr, "no CLR type names");
    }

    [TestMethod]
    [DataRow(new[] { "train", "--epoch", "1" }, "error: unknown option '--epoch' for 'sru train'; did you mean '--epochs'?")]
    [DataRow(new[] { "evaluate", "m.zip", "--plot", "p" }, "error: unknown option '--plot' for 'sru evaluate'; did you mean '--plots'?")]
    [DataRow(new[] { "trian" }, "error: unknown command 'trian'; did you mean 'train'?")]
    [DataRow(new[] { "evalute", "m.zip" }, "error: unknown command 'evalute'; did you mean 'evaluate'?")]
    public void A_mistyped_option_or_command_exits_2_with_a_suggestion(string[] arguments, string expected)
    {
        SampleProcess.Outcome outcome = SampleProcess.Run(arguments);
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        string[] lines = outcome.Stderr.Trim().Split('\n');
        // One error for the typo: not a second one for its value, nor "required command was not provided".
        Assert.HasCount(2, lines, outcome.ToString());
        Assert.AreEqual(expected, lines[0].Trim(), outcome.ToString());
        StringAssert.StartsWith(lines[1], "Run 'dotnet run -c Release --project samples/Sru.MnistSample -- ", outcome.ToString());
    }

    [TestMethod]
    public void An_option_of_another_model_and_an_unknown_option_exit_2()
    {
        SampleProcess.Outcome highway = SampleProcess.Run("train", "--model", "lstm", "--use-highway", "false");
        Assert.AreEqual(2, highway.ExitCode, highway.ToString());
        StringAssert.Contains(highway.Stderr, "'--use-highway' applies to --model sru only", highway.ToString());

        SampleProcess.Outcome unknown = SampleProcess.Run("evaluate", "model.zip", "--frobnicate");
        Assert.AreEqual(2, unknown.ExitCode, unknown.ToString());
        StringAssert.Contains(unknown.Stderr, "error: unknown option '--frobnicate' for 'sru evaluate'\n", unknown.ToString().ReplaceLineEndings("\n"));
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
    [DataRow("text", "it is not a zip file.")]
    [DataRow("png", "it is a PNG image (images go after the model: predict MODEL IMAGE…).")]
    [DataRow("empty", "the file is empty.")]
    [DataRow("zip", "it is a zip file without a saved model (no Model.key).")]
    public void A_file_that_is_not_a_model_exits_4_saying_so_and_naming_the_file(string kind, string why)
    {
        string path = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.zip");
        switch (kind)
        {
            case "text":
                File.WriteAllText(path, "this is not a zip");
                break;
            case "png":
                File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "zip":
                using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
                    zip.CreateEntry("readme.txt");
                break;
        }
        try
        {
            foreach (string command in new[] { "scores", "evaluate" })
            {
                SampleProcess.Outcome outcome = SampleProcess.Run(command, path);
                Assert.AreEqual(4, outcome.ExitCode, outcome.ToString());
                Assert.AreEqual($"error: '{path}' is not an ML.NET model zip: {why}", outcome.Stderr.Trim(), outcome.ToString());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Train_refuses_to_overwrite_a_model_without_force_before_loading_any_data()
    {
        string directory = Directory.CreateTempSubdirectory("sru-sample-overwrite").FullName;
        try
        {
            string existing = Path.Combine(directory, "mnist-sru.zip");
            File.WriteAllText(existing, "the model of yesterday");
            // The default output name, in the current directory, and an explicit --output.
            SampleProcess.Outcome byDefault = SampleProcess.RunIn(directory, "train", "--limit", "100");
            SampleProcess.Outcome explicitly = SampleProcess.Run("train", "--output", existing, "--limit", "100");

            Assert.AreEqual(2, byDefault.ExitCode, byDefault.ToString());
            Assert.AreEqual("error: 'mnist-sru.zip' already exists; add --force to overwrite it, or choose another --output.", byDefault.Stderr.Trim(), byDefault.ToString());
            Assert.AreEqual(2, explicitly.ExitCode, explicitly.ToString());
            Assert.AreEqual($"error: '{existing}' already exists; add --force to overwrite it, or choose another --output.", explicitly.Stderr.Trim(), explicitly.ToString());
            Assert.AreEqual("", byDefault.Stdout + explicitly.Stdout, "refused before any data is loaded or training starts");
            Assert.AreEqual("the model of yesterday", File.ReadAllText(existing));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void Train_checks_the_output_and_plots_folders_before_loading_any_data()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}");
        string directory = Directory.CreateTempSubdirectory("sru-sample-outputs").FullName;
        try
        {
            (string[] Arguments, string Error)[] cases =
            [
                (["--output", Path.Combine(missing, "m.zip")], $"error: --output: the directory '{missing}' does not exist."),
                (["--output", directory], $"error: --output '{directory}' is a directory; give a file name such as '{Path.Combine(directory, "model.zip")}'."),
                (["--output", Path.Combine(directory, "m.zip"), "--plots", Path.Combine(missing, "plots")],
                    $"error: --plots: the directory '{missing}' (in which '{Path.Combine(missing, "plots")}' would be created) does not exist."),
            ];
            foreach ((string[] arguments, string error) in cases)
            {
                SampleProcess.Outcome outcome = SampleProcess.Run(["train", "--limit", "100", .. arguments]);
                Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
                Assert.AreEqual(error, outcome.Stderr.Trim(), outcome.ToString());
                Assert.AreEqual("", outcome.Stdout, "refused before any data is loaded or training starts");
            }
            Assert.IsFalse(Directory.Exists(missing));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
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

    [TestMethod]
    public void Predict_refuses_invert_with_no_invert()
    {
        SampleProcess.Outcome outcome = SampleProcess.Run("predict", "model.zip", "digit.png", "--invert", "--no-invert");
        Assert.AreEqual(2, outcome.ExitCode, outcome.ToString());
        Assert.AreEqual("error: --invert and --no-invert contradict each other; give one of them.", outcome.Stderr.Trim());
    }

    /// <summary>The Options section of a help text: each option's first column and its description, wrapped lines joined.</summary>
    private static Dictionary<string, string> OptionRows(string help)
    {
        var rows = new Dictionary<string, string>();
        string[] lines = help.ReplaceLineEndings("\n").Split("Options:\n")[1].Split("\n\n")[0].Split('\n');
        // The descriptions' column: where the first option's description starts.
        int column = Regex.Match(lines[0], @"^  -\S.*?\s{2,}").Length;
        string? name = null;
        string description = "";
        foreach (string line in lines.Append("  -"))
        {
            string left = line.Length > column ? line[..column].Trim() : line.Trim();
            string right = line.Length > column ? line[column..].Trim() : "";
            if (line.StartsWith("  -", StringComparison.Ordinal))
            {
                if (name is not null)
                    rows[name] = description;
                (name, description) = (left, right);
            }
            else
            {
                name += left.Length > 0 ? " " + left : "";
                description += right.Length > 0 ? " " + right : "";
            }
        }
        return rows;
    }

    [GeneratedRegex("(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])")]
    private static partial Regex WordBoundary();
}
