using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>The sample's commands end to end on real MNIST (fetched and cached by the library), kept to seconds each.</summary>
[TestClass]
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
    public void Train_runs_end_to_end_writing_the_model_zip_and_the_plots()
    {
        string output = Path.Combine(s_directory, "trained.zip");
        string plots = Path.Combine(s_directory, "plots");
        string stdout = SampleProcess.RunOk("train", "--limit", "300", "--epochs", "1", "--hidden-size", "16", "--log-every-n-steps", "5",
            "--output", output, "--plots", plots);

        StringAssert.Contains(stdout, "SRU on MNIST: 3 × 16, batch 32, rate 0.005 (cosine)");
        StringAssert.Contains(stdout, "epoch 1/1 step 5/10: loss ", "a plain progress line every 5 of the 10 steps (300 rows / batch 32)");
        StringAssert.Contains(stdout, "epoch 1/1 done: loss ");
        StringAssert.Contains(stdout, "Test accuracy: ");
        Assert.IsTrue(new FileInfo(output).Length > 1000, stdout);
        // The zip is an ordinary ML.NET model.
        using (var loaded = (IDisposable)new MLContext().Model.Load(output, out _))
            Assert.IsNotNull(loaded);
        foreach (string png in new[] { "loss.png", "accuracy.png", "confusion-matrix.png", "misclassified.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(plots, png));
            Assert.IsTrue(bytes.Length > 5000 && bytes.AsSpan(1, 3).SequenceEqual("PNG"u8), $"{png}: {bytes.Length} bytes");
        }
    }

    [TestMethod]
    public void Train_with_a_validation_set_reports_validation_figures_per_epoch()
    {
        string output = Path.Combine(s_directory, "gru.zip");
        string stdout = SampleProcess.RunOk("train", "--model", "gru", "--limit", "256", "--validation", "200", "--epochs", "2",
            "--hidden-size", "8", "--output", output);

        StringAssert.Contains(stdout, "GRU on MNIST: 2 × 8, batch 128");
        StringAssert.Contains(stdout, "epoch 1/2 done: loss ");
        StringAssert.Contains(stdout, "; validation loss ");
        Assert.IsTrue(File.Exists(output), stdout);
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
    public void Evaluate_prints_the_metrics_and_the_confusion_table_of_ML_NET()
    {
        IDataView test = s_ml.Data.TakeRows(s_ml.Data.LoadMnist(MnistSplit.Test), 500);
        MulticlassClassificationMetrics metrics = s_ml.MulticlassClassification.Evaluate(s_model!.Transform(test));

        string stdout = SampleProcess.RunOk("evaluate", s_modelPath, "--limit", "500");

        StringAssert.Contains(stdout, $"Test accuracy: {metrics.MicroAccuracy.ToString("P2", CultureInfo.InvariantCulture)} (micro), {metrics.MacroAccuracy.ToString("P2", CultureInfo.InvariantCulture)} (macro)");
        StringAssert.Contains(stdout, "precision");
        StringAssert.Contains(stdout, metrics.ConfusionMatrix.GetFormattedConfusionTable().Trim());
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
