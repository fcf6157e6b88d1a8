using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>The sample's commands end to end on real MNIST (fetched and cached by the library), kept to seconds each.</summary>
[TestClass]
[TestCategory("Sample")]
[TestCategory("RealData")]
public sealed class SampleRunTests
{
    private static string s_directory = "";
    private static string s_modelPath = "";
    private static ITransformer? s_model;
    private static MLContext s_ml = new(seed: 5);

    /// <summary>One small model, trained in this process, which predict and evaluate are checked against.</summary>
    [ClassInitialize]
    public static void TrainSmallModel(TestContext context)
    {
        s_directory = Directory.CreateTempSubdirectory("sru-sample-run").FullName;
        s_modelPath = Path.Combine(s_directory, "small.zip");
        IDataView train = s_ml.Data.TakeRows(s_ml.Data.LoadMnist(MnistSplit.Train), 500);
        s_model = s_ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(s_ml.MulticlassClassification.Trainers.Sru(hiddenSize: 16, maxEpoch: 1))
            .Append(s_ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        s_ml.Model.Save(s_model, train.Schema, s_modelPath);
    }

    [ClassCleanup]
    public static void DeleteFiles()
    {
        (s_model as IDisposable)?.Dispose();
        if (Directory.Exists(s_directory))
            Directory.Delete(s_directory, recursive: true);
    }

    [TestMethod]
    public void Train_runs_end_to_end_writing_the_model_zip_and_the_plots_loading_it_back_and_predicting()
    {
        string output = Path.Combine(s_directory, "trained.zip");
        string plots = Path.Combine(s_directory, "plots");
        SampleProcess.Outcome outcome = SampleProcess.Run("train", "--limit", "300", "--epochs", "1", "--hidden-size", "16", "--log-every-n-steps", "5",
            "--output", output, "--plots", plots);
        Assert.AreEqual(0, outcome.ExitCode, outcome.ToString());
        string stdout = outcome.Stdout;

        StringAssert.Contains(stdout, "SRU on MNIST: 3 × 16, batch 32, rate 0.005 (cosine), clip 1, 1 epoch of 28 steps × 28 values");
        StringAssert.Contains(stdout, "epoch 1/1 step 5/10: loss ", "a plain progress line every 5 of the 10 steps (300 rows / batch 32)");
        StringAssert.Contains(stdout, "epoch 1/1 done: loss ");
        StringAssert.Contains(stdout, "Test accuracy: ");
        StringAssert.Contains(stdout, "Loaded trained.zip back in a new MLContext: it scores all 10,000 test rows exactly as the trained model did.");
        StringAssert.Contains(stdout, "The reloaded model on the first 3 test rows (PredictionEngine)");
        StringAssert.Matches(stdout, new Regex(@"\ntest row 2 +\d +\d [\d.]+ %, \d [\d.]+ %, \d [\d.]+ % +1\r?\n"), "test row 2 is a 1");
        // What to run next, with the saved file's path.
        StringAssert.Contains(stdout, $"dotnet run -c Release --project samples/Sru.MnistSample -- evaluate {output} --plots plots");
        StringAssert.Contains(stdout, $"dotnet run -c Release --project samples/Sru.MnistSample -- predict {output} --index 0 1 2");
        Assert.AreEqual("", outcome.Stderr);

        // The zip is an ordinary ML.NET model, with the sample's note of the data set beside ML.NET's entries.
        using (var loaded = (IDisposable)new MLContext().Model.Load(output, out _))
            Assert.IsNotNull(loaded);
        using (ZipArchive zip = ZipFile.OpenRead(output))
        {
            using var reader = new StreamReader(zip.GetEntry("Sru.MnistSample/Dataset.txt")!.Open());
            Assert.AreEqual("mnist", reader.ReadToEnd());
        }
        Assert.IsEmpty(Directory.GetFiles(s_directory, "*.partial"), "no temporary file is left");
        foreach (string png in new[] { "loss.png", "accuracy.png", "confusion-matrix.png", "misclassified.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(plots, png));
            Assert.IsTrue(bytes.Length > 5000 && bytes.AsSpan(1, 3).SequenceEqual("PNG"u8), $"{png}: {bytes.Length} bytes");
        }

        // Scoring it on the other data set warns; on its own it does not.
        SampleProcess.Outcome fashion = SampleProcess.Run("evaluate", output, "--dataset", "fashion", "--limit", "50");
        Assert.AreEqual(0, fashion.ExitCode, fashion.ToString());
        StringAssert.StartsWith(fashion.Stderr, $"warning: '{output}' was trained on MNIST, but this runs it on Fashion-MNIST (--dataset fashion)", fashion.ToString());
        SampleProcess.Outcome mnist = SampleProcess.Run("predict", output, "--index", "0");
        Assert.AreEqual(0, mnist.ExitCode, mnist.ToString());
        Assert.AreEqual("", mnist.Stderr, mnist.ToString());
    }

    [TestMethod]
    public void Train_with_a_validation_set_reports_validation_figures_per_epoch_and_overwrites_with_force()
    {
        string output = Path.Combine(s_directory, "gru.zip");
        File.WriteAllText(output, "an older model");
        string stdout = SampleProcess.RunOk("train", "--model", "gru", "--limit", "256", "--validation", "200", "--epochs", "2",
            "--hidden-size", "8", "--output", output, "--force");

        StringAssert.Contains(stdout, "GRU on MNIST: 2 × 8, batch 128");
        StringAssert.Contains(stdout, "epoch 1/2 done: loss ");
        StringAssert.Contains(stdout, "; validation loss ");
        using (var loaded = (IDisposable)new MLContext().Model.Load(output, out _))
            Assert.IsNotNull(loaded, "--force replaced the old file with the model");
    }

    [TestMethod]
    public void Compare_and_train_give_the_same_model_for_the_same_seed_and_settings()
    {
        string output = Path.Combine(s_directory, "same.zip");
        // SdcaMaximumEntropy first: whatever compare trains before it must not change the SRU.
        SampleProcess.Outcome compare = SampleProcess.Run("compare", "--models", "sdca", "sru", "--limit", "320", "--epochs", "1", "--seed", "3");
        SampleProcess.Outcome train = SampleProcess.Run("train", "--limit", "320", "--epochs", "1", "--seed", "3", "--output", output);
        Assert.AreEqual(0, compare.ExitCode, compare.ToString());
        Assert.AreEqual(0, train.ExitCode, train.ToString());

        string fromCompare = Regex.Match(compare.Stdout, @"\nSru: ([\d.]+ %) in ").Groups[1].Value;
        string fromTrain = Regex.Match(train.Stdout, @"Test accuracy: ([\d.]+ %) \(micro\)").Groups[1].Value;
        Assert.AreNotEqual("", fromCompare, compare.ToString());
        Assert.AreEqual(fromTrain, fromCompare, $"{compare}\n{train}");
    }

    [TestMethod]
    public void A_first_fetch_is_shown_without_verbose_naming_the_source_and_the_cache()
    {
        string cache = Path.Combine(s_directory, "empty-cache");
        // Fashion-MNIST: where no mirror answers, the library copies it from Debian's package, which CI installs.
        var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache, ["SRU_FASHION_MNIST_DIR"] = "" };
        SampleProcess.Outcome first = SampleProcess.Run(environment, null, "evaluate", s_modelPath, "--dataset", "fashion", "--limit", "10");
        SampleProcess.Outcome second = SampleProcess.Run(environment, null, "evaluate", s_modelPath, "--dataset", "fashion", "--limit", "10");

        Assert.AreEqual(0, first.ExitCode, first.ToString());
        string folder = Path.Combine(cache, "sru-mlnet", "fashion-mnist");
        StringAssert.Contains(first.Stdout, "Fetching Fashion-MNIST (first use; later runs read the cache):\n", first.ToString().ReplaceLineEndings("\n"));
        StringAssert.Contains(first.Stdout, $"  t10k-images-idx3-ubyte: not in the cache ({folder}) yet.", first.ToString());
        StringAssert.Contains(first.Stdout, "  t10k-images-idx3-ubyte: trying ", first.ToString());
        StringAssert.Contains(first.Stdout, $"and cached as {Path.Combine(folder, "t10k-labels-idx1-ubyte")}.", first.ToString());
        Assert.DoesNotContain("is not set", first.Stdout, "the look-up steps stay for --verbose");
        Assert.AreEqual(0, second.ExitCode, second.ToString());
        Assert.DoesNotContain("Fetching", second.Stdout, "the second run reads the cache quietly");
    }

    [TestMethod]
    public void Predict_on_a_pgm_file_agrees_with_the_model_in_this_process()
    {
        IDataView test = s_ml.Data.TakeRows(s_ml.Data.LoadMnist(MnistSplit.Test), 3);
        var rows = s_ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).ToList();
        var expected = s_ml.Data.CreateEnumerable<Prediction>(s_model!.Transform(test), reuseRowObject: false).ToList();
        var files = new List<string>();
        for (int i = 0; i < rows.Count; i++)
        {
            // P5 for two rows, P2 for one: both formats, bytes as MNIST stores them.
            string path = Path.Combine(s_directory, $"digit{i}.pgm");
            byte[] pixels = rows[i].Features.Select(v => (byte)Math.Round(v * 255)).ToArray();
            if (i == 1)
                File.WriteAllText(path, "P2\n# MNIST test row 1\n28 28\n255\n" + string.Join(' ', pixels) + "\n");
            else
                File.WriteAllBytes(path, [.. "P5\n28 28\n255\n"u8, .. pixels]);
            files.Add(path);
        }

        string stdout = SampleProcess.RunOk(["predict", s_modelPath, .. files]);

        for (int i = 0; i < rows.Count; i++)
        {
            string line = stdout.Split('\n').Single(l => l.StartsWith(files[i], StringComparison.Ordinal));
            string[] cells = line[files[i].Length..].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.AreEqual(expected[i].PredictedLabel.ToString(CultureInfo.InvariantCulture), cells[0], line);
            float best = expected[i].Score.Max();
            StringAssert.StartsWith(cells[1], $"{expected[i].PredictedLabel} {best.ToString("P1", CultureInfo.InvariantCulture)}", line);
            Assert.AreEqual(3, cells[1].Split(", ").Length, $"top three: {line}");
        }
    }

    [TestMethod]
    public void Predict_inverts_a_dark_ink_on_white_image_with_a_note_unless_told_not_to()
    {
        IDataView test = s_ml.Data.TakeRows(s_ml.Data.LoadMnist(MnistSplit.Test), 1);
        Digit row = s_ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).Single();
        Prediction expected = s_ml.Data.CreateEnumerable<Prediction>(s_model!.Transform(test), reuseRowObject: false).Single();
        string paper = Path.Combine(s_directory, "on-paper.pgm");
        File.WriteAllBytes(paper, [.. "P5\n28 28\n255\n"u8, .. row.Features.Select(v => (byte)(255 - Math.Round(v * 255)))]);

        SampleProcess.Outcome detected = SampleProcess.Run("predict", s_modelPath, paper);
        SampleProcess.Outcome kept = SampleProcess.Run("predict", s_modelPath, paper, "--no-invert");

        Assert.AreEqual(0, detected.ExitCode, detected.ToString());
        StringAssert.StartsWith(detected.Stderr, $"note: '{paper}' has a light background (border brightness 1.00); it was inverted to MNIST's light ink on dark. --no-invert keeps it as it is.", detected.ToString());
        string line = detected.Stdout.Split('\n').Single(l => l.StartsWith(paper, StringComparison.Ordinal));
        Assert.AreEqual(expected.PredictedLabel.ToString(CultureInfo.InvariantCulture), line[paper.Length..].Trim().Split(' ')[0], line);
        Assert.AreEqual(0, kept.ExitCode, kept.ToString());
        Assert.AreEqual("", kept.Stderr, "no note when the image is kept as it is");
    }

    [TestMethod]
    public void Evaluate_prints_the_metrics_and_the_confusion_table_of_ML_NET()
    {
        IDataView test = s_ml.Data.TakeRows(s_ml.Data.LoadMnist(MnistSplit.Test), 500);
        MulticlassClassificationMetrics metrics = s_ml.MulticlassClassification.Evaluate(s_model!.Transform(test));

        string stdout = SampleProcess.RunOk("evaluate", s_modelPath, "--limit", "500");

        StringAssert.Contains(stdout, $"Test accuracy: {metrics.MicroAccuracy.ToString("P2", CultureInfo.InvariantCulture)} (micro), {metrics.MacroAccuracy.ToString("P2", CultureInfo.InvariantCulture)} (macro)");
        StringAssert.Contains(stdout, "precision");
        StringAssert.Contains(stdout, metrics.ConfusionMatrix.GetFormattedConfusionTable().Trim());
        Assert.AreEqual(1, Regex.Matches(stdout, "Confusion table").Count, stdout);
    }

    [TestMethod]
    public void A_damaged_data_file_exits_3_naming_the_file()
    {
        string data = Path.Combine(s_directory, "damaged-data");
        Directory.CreateDirectory(data);
        string images = Path.Combine(data, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 39, 16, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);

        SampleProcess.Outcome outcome = SampleProcess.Run("evaluate", s_modelPath, "--data", data);

        Assert.AreEqual(3, outcome.ExitCode, outcome.ToString());
        StringAssert.Contains(outcome.Stderr, images, outcome.ToString());
    }

    private sealed class Digit
    {
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }
}
