using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Trainers;

[TestClass]
public sealed class RecurrentTrainerTests
{
    private static SruTrainer.Options FastSru(int epochs = 12) => Fast(new SruTrainer.Options(), epochs);

    /// <summary>Small and quick settings for the synthetic task.</summary>
    private static T Fast<T>(T options, int epochs) where T : RecurrentTrainerOptions
    {
        options.SequenceLength = OrderedMarkers.Steps;
        options.HiddenSize = 32;
        options.NumberOfLayers = 2;
        options.MaxEpoch = epochs;
        options.BatchSize = 32;
        options.LearningRate = 0.01f;
        options.LearningRateDecay = 0.9f;
        return options;
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Each_cell_learns_an_order_dependent_task_and_evaluates_with_standard_metrics(string cell)
    {
        var ml = new MLContext(seed: 1);
        var model = Trainer(ml, cell).Fit(OrderedMarkers.Load(ml, 2000, seed: 1));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(OrderedMarkers.Load(ml, 500, seed: 2)));
        Assert.IsGreaterThan(0.9, metrics.MacroAccuracy, $"{cell} accuracy {metrics.MacroAccuracy}");
        Assert.AreEqual(cell, model.Model.CellType);
    }

    [TestMethod]
    public void Progress_is_reported_for_every_step_and_every_epoch()
    {
        var reports = new List<TrainingProgress>();
        var options = FastSru(epochs: 2);
        options.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);
        var ml = new MLContext(seed: 1);
        ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 100, seed: 1));

        // 100 rows in batches of 32: 4 steps per epoch.
        var steps = reports.Where(r => r.Kind == TrainingProgressKind.Step).ToArray();
        var epochs = reports.Where(r => r.Kind == TrainingProgressKind.Epoch).ToArray();
        Assert.HasCount(8, steps);
        Assert.HasCount(2, epochs);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4, 1, 2, 3, 4 }, steps.Select(r => r.Step).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2 }, epochs.Select(r => r.Epoch).ToArray());
        Assert.IsTrue(reports.All(r => r.StepsPerEpoch == 4 && r.MaxEpoch == 2 && float.IsFinite(r.Loss) && r.Loss > 0
            && r.Accuracy is >= 0 and <= 1 && r.RowsPerSecond > 0 && r.EstimatedRemaining >= TimeSpan.Zero));
        Assert.AreEqual(TimeSpan.Zero, epochs[^1].EstimatedRemaining);
        Assert.IsNull(epochs[0].ValidationAccuracy);
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void A_saved_model_loads_in_a_new_context_with_identical_scores(string cell)
    {
        var ml = new MLContext(seed: 3);
        IDataView train = OrderedMarkers.Load(ml, 600, seed: 3);
        var model = Trainer(ml, cell, epochs: 2).Fit(train);
        Assert.AreEqual(cell, model.Model.CellType);
        string path = Path.Combine(Path.GetTempPath(), $"sru-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var fresh = new MLContext();
            var loaded = (RecurrentPredictionTransformer)fresh.Model.Load(path, out _);
            Assert.AreEqual(cell, loaded.Model.CellType);
            IDataView test = OrderedMarkers.Load(ml, 100, seed: 4);
            float[][] before = Scores(model.Transform(test));
            float[][] after = Scores(loaded.Transform(test));
            Assert.HasCount(before.Length, after);
            for (int i = 0; i < before.Length; i++)
                CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A fast trainer of the named cell.</summary>
    internal static RecurrentTrainerBase Trainer(MLContext ml, string cell, int epochs = 12) =>
        CellTrainers.Trainer(ml, Fast(CellTrainers.NewOptions(cell), epochs));

    [TestMethod]
    public void PredictionEngine_predicts_a_single_row()
    {
        var ml = new MLContext(seed: 5);
        var model = ml.MulticlassClassification.Trainers.Sru(FastSru()).Fit(OrderedMarkers.Load(ml, 2000, seed: 5));
        var engine = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        int correct = 0;
        var rows = OrderedMarkers.Generate(100, seed: 6);
        foreach (var row in rows)
        {
            var prediction = engine.Predict(row);
            Assert.HasCount(3, prediction.Score);
            Assert.AreEqual(1.0, prediction.Score.Sum(), 1e-4);
            // Keys are one-based and sorted by value: label 0 is key 1.
            correct += prediction.PredictedLabel == row.Label + 1 ? 1 : 0;
        }
        Assert.IsGreaterThan(90, correct);
    }

    [TestMethod]
    public void The_same_seed_and_data_give_the_same_model()
    {
        float[][] Run()
        {
            var ml = new MLContext(seed: 7);
            var model = ml.MulticlassClassification.Trainers.Sru(FastSru(epochs: 2)).Fit(OrderedMarkers.Load(ml, 300, seed: 7));
            return Scores(model.Transform(OrderedMarkers.Load(ml, 50, seed: 8)));
        }

        float[][] first = Run(), second = Run();
        for (int i = 0; i < first.Length; i++)
            CollectionAssert.AreEqual(first[i], second[i], $"row {i}");
    }

    [TestMethod]
    public void A_label_that_is_not_a_key_is_rejected_with_a_hint()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(OrderedMarkers.Generate(64, seed: 1));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(FastSru()).Fit(raw));
        StringAssert.Contains(e.Message, "'Label'");
        StringAssert.Contains(e.Message, "MapValueToKey");
    }

    [TestMethod]
    public void A_missing_feature_column_is_named()
    {
        var ml = new MLContext(seed: 1);
        var options = FastSru();
        options.FeatureColumnName = "Pixels";
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 64, seed: 1)));
        StringAssert.Contains(e.Message, "Pixels");
    }

    [TestMethod]
    public void A_vector_size_the_sequence_length_does_not_divide_is_rejected()
    {
        var ml = new MLContext(seed: 1);
        var options = FastSru();
        options.SequenceLength = 5;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 64, seed: 1)));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "SequenceLength = 5");
    }

    [TestMethod]
    public void Invalid_options_are_rejected_when_the_trainer_is_created()
    {
        var ml = new MLContext();
        (Action<SruTrainer.Options> change, string option)[] cases =
        {
            (o => o.HiddenSize = 0, "HiddenSize"),
            (o => o.NumberOfLayers = -1, "NumberOfLayers"),
            (o => o.SequenceLength = 0, "SequenceLength"),
            (o => o.MaxEpoch = 0, "MaxEpoch"),
            (o => o.BatchSize = 0, "BatchSize"),
            (o => o.LearningRate = 0, "LearningRate"),
            (o => o.LearningRate = float.NaN, "LearningRate"),
            (o => o.GradientClipNorm = -1, "GradientClipNorm"),
            (o => o.Device = "tpu", "Device"),
            (o => o.ShuffleBufferSize = 0, "ShuffleBufferSize"),
            (o => o.DataLoading = (DataLoading)7, "DataLoading"),
        };
        foreach (var (change, option) in cases)
        {
            var options = new SruTrainer.Options();
            change(options);
            var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(options), option);
            Assert.AreEqual(option, e.ParamName);
        }
    }

    [TestMethod]
    public void Cancelling_the_context_stops_training()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 2000, seed: 1);
        var options = FastSru(epochs: 1000);
        int lines = 0;
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("Epoch 2/", StringComparison.Ordinal) && Interlocked.Increment(ref lines) == 1)
                CancelExecution(ml);
        };
        Assert.Throws<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(data));
    }

    /// <summary>What a host does to cancel an MLContext: ML.NET exposes it through its internal ICancelable.</summary>
    internal static void CancelExecution(MLContext ml)
    {
        object env = typeof(MLContext).GetField("_env", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ml)!;
        var cancelable = env.GetType().GetInterfaces().Single(i => i.Name == "ICancelable");
        cancelable.GetMethod("CancelExecution")!.Invoke(env, null);
    }

    internal static float[][] Scores(IDataView scored)
    {
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var result = new List<float[]>();
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            result.Add(buffer.DenseValues().ToArray());
        }
        return result.ToArray();
    }
}
