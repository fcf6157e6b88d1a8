using Microsoft.ML.Data;
using Microsoft.ML.Sru.Tests.Reliability;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// The binary classification and regression catalogs: each cell learns both tasks clearly better than a trivial predictor,
/// ML.NET's Evaluate reads the output unchanged, saved models score the same in a new context, PredictionEngine agrees
/// with Transform, and labels of the wrong type or missing are handled as the README says.
/// </summary>
[TestClass]
public sealed class TaskTrainerTests
{
    private static readonly string[] Cells = ["SRU", "LSTM", "GRU"];
    private static readonly string[] Tasks = [MarkerTasks.Binary, MarkerTasks.Regression];

    public static IEnumerable<object[]> CellsAndTasks => Cells.SelectMany(cell => Tasks.Select(task => new object[] { cell, task }));

    /// <summary>Small and quick settings for the synthetic tasks, as <see cref="RecurrentTrainerTests"/> uses.</summary>
    private static RecurrentTrainerOptions Fast(string cell, int epochs)
    {
        RecurrentTrainerOptions options = CellTrainers.NewOptions(cell);
        options.SequenceLength = OrderedMarkers.Steps;
        options.HiddenSize = 32;
        options.NumberOfLayers = 2;
        options.MaxEpoch = epochs;
        options.BatchSize = 32;
        options.LearningRate = 0.01f;
        return options;
    }

    [TestMethod]
    [DynamicData(nameof(CellsAndTasks))]
    public void Each_cell_learns_the_task_clearly_better_than_a_trivial_predictor_and_Evaluate_reads_the_output(string cell, string task)
    {
        var ml = new MLContext(seed: 1);
        var model = CellTrainers.Trainer(ml, Fast(cell, epochs: 12), task).Fit(MarkerTasks.Load(ml, task, 2000, seed: 1));
        IDataView test = MarkerTasks.Load(ml, task, 500, seed: 2);
        IDataView scored = model.Transform(test);

        Assert.AreEqual(cell, model.Model.CellType);
        if (task == MarkerTasks.Binary)
        {
            // A trivial predictor: accuracy about 0.5 (the classes are balanced), AUC 0.5.
            CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(scored);
            Assert.IsGreaterThan(0.9, metrics.Accuracy, $"{cell} accuracy {metrics.Accuracy}");
            Assert.IsGreaterThan(0.95, metrics.AreaUnderRocCurve, $"{cell} AUC {metrics.AreaUnderRocCurve}");
            Assert.IsLessThan(0.5, metrics.LogLoss, $"{cell} log-loss {metrics.LogLoss} (a coin's: 1)");
        }
        else
        {
            // A trivial predictor, the mean, has an RMSE of the labels' standard deviation (about 23 here).
            float[] labels = test.GetColumn<float>("Label").ToArray();
            double mean = labels.Average(), deviation = Math.Sqrt(labels.Average(l => (l - mean) * (l - mean)));
            RegressionMetrics metrics = ml.Regression.Evaluate(scored);
            Assert.IsLessThan(0.3 * deviation, metrics.RootMeanSquaredError, $"{cell} RMSE {metrics.RootMeanSquaredError}, label σ {deviation}");
            Assert.IsGreaterThan(0.9, metrics.RSquared, $"{cell} R² {metrics.RSquared}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(CellsAndTasks))]
    public void A_saved_model_scores_the_same_in_a_new_context_and_PredictionEngine_agrees_with_Transform(string cell, string task)
    {
        var ml = new MLContext(seed: 3);
        IDataView train = MarkerTasks.Load(ml, task, 300, seed: 3);
        RecurrentPredictionTransformer model = CellTrainers.Trainer(ml, Fast(cell, epochs: 2), task).Fit(train);
        IDataView test = MarkerTasks.Load(ml, task, 100, seed: 4);
        using var zip = new MemoryStream();
        ml.Model.Save(model, train.Schema, zip);

        ITransformer loaded = TinyModels.Load(zip.ToArray());
        foreach (ITransformer scorer in new[] { model, loaded })
        {
            IDataView transformed = scorer.Transform(test);
            using var cursor = transformed.GetRowCursor(transformed.Schema);
            Assert.IsInstanceOfType<Microsoft.ML.Sru.Scoring.BatchScoringCursor>(cursor, "Transform scores in batches");
        }

        string[] columns = task == MarkerTasks.Binary ? ["Score", "Probability"] : ["Score"];
        foreach (string column in columns)
            CollectionAssert.AreEqual(model.Transform(test).GetColumn<float>(column).ToArray(), loaded.Transform(test).GetColumn<float>(column).ToArray(), column);
        float[] scores = MarkerTasks.Scores(loaded.Transform(test));
        float[] single = task == MarkerTasks.Binary
            ? Predict<MarkerTasks.BinaryRow, MarkerTasks.BinaryPrediction>(ml, loaded, MarkerTasks.GenerateBinary(100, seed: 4), p => p.Score)
            : Predict<MarkerTasks.RegressionRow, MarkerTasks.RegressionPrediction>(ml, loaded, MarkerTasks.GenerateRegression(100, seed: 4), p => p.Score);
        // The same weights, a batch or one row: libtorch's products (LSTM, GRU) may round differently by batch size.
        Assert.HasCount(scores.Length, single);
        for (int i = 0; i < scores.Length; i++)
            Assert.AreEqual(scores[i], single[i], 1e-6 * Math.Max(1, Math.Abs(scores[i])), $"PredictionEngine and Transform, row {i}");
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("GRU")]
    public void A_binary_classifiers_probability_is_the_sigmoid_of_its_score_and_its_label_the_sign_in_every_path(string cell)
    {
        var ml = new MLContext(seed: 5);
        var model = CellTrainers.Trainer(ml, Fast(cell, epochs: 2), MarkerTasks.Binary).Fit(MarkerTasks.Load(ml, MarkerTasks.Binary, 300, seed: 5));
        var rows = MarkerTasks.GenerateBinary(60, seed: 6);
        var batched = ml.Data.CreateEnumerable<MarkerTasks.BinaryPrediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToArray();
        var engine = ml.Model.CreatePredictionEngine<MarkerTasks.BinaryRow, MarkerTasks.BinaryPrediction>(model);

        for (int i = 0; i < rows.Count; i++)
        {
            MarkerTasks.BinaryPrediction single = engine.Predict(rows[i]);
            Assert.AreEqual(1 / (1 + Math.Exp(-batched[i].Score)), batched[i].Probability, 1e-6, $"row {i}");
            Assert.AreEqual(batched[i].Score > 0, batched[i].PredictedLabel, $"row {i}");
            // A batch or one row: libtorch's products (GRU) may round differently by batch size.
            Assert.AreEqual(batched[i].Score, single.Score, 1e-6 * Math.Max(1, Math.Abs(batched[i].Score)), $"row {i}");
            Assert.AreEqual(batched[i].Probability, single.Probability, 1e-6, $"row {i}");
            Assert.AreEqual(batched[i].PredictedLabel, single.PredictedLabel, $"row {i}");
        }
    }

    [TestMethod]
    [DataRow(MarkerTasks.Binary)]
    [DataRow(MarkerTasks.Regression)]
    public void The_managed_SRU_scorer_gives_the_TorchSharp_networks_single_output_without_a_softmax(string task)
    {
        var ml = new MLContext(seed: 7);
        var model = CellTrainers.Trainer(ml, Fast("SRU", epochs: 2), task).Fit(MarkerTasks.Load(ml, task, 300, seed: 7)).Model;
        const int rows = 40;
        float[] features = OrderedMarkers.Generate(rows, seed: 8).SelectMany(row => row.Features).ToArray();
        float[] managed = new float[rows], torch = new float[rows];

        Microsoft.ML.Sru.Scoring.IBatchScorer scorer = model.CreateScorer(rows);
        model.Score(features.ToArray(), rows, managed, scorer);
        model.Score(features.ToArray(), rows, torch, model.TorchScorer);

        Assert.IsInstanceOfType<Microsoft.ML.Sru.Scoring.ManagedBatchScorer>(scorer);
        for (int i = 0; i < rows; i++)
            Assert.AreEqual(torch[i], managed[i], 1e-5 * Math.Max(1, Math.Abs(torch[i])), $"row {i}");
        // A softmax over one output would make every score 1.
        Assert.IsTrue(managed.Any(score => Math.Abs(score - 1) > 0.01), string.Join(", ", managed));
    }

    private static float[] Predict<TRow, TPrediction>(MLContext ml, ITransformer model, IEnumerable<TRow> rows, Func<TPrediction, float> score)
        where TRow : class
        where TPrediction : class, new()
    {
        var engine = ml.Model.CreatePredictionEngine<TRow, TPrediction>(model);
        return rows.Select(row => score(engine.Predict(row))).ToArray();
    }

    [TestMethod]
    [DataRow(MarkerTasks.Binary, "Single", "Boolean")]
    [DataRow(MarkerTasks.Regression, "Boolean", "Single")]
    [DataRow(MarkerTasks.Regression, "Key<UInt32", "Single")]
    public void A_label_of_another_type_is_refused_naming_the_column_its_type_and_the_transform(string task, string given, string needed)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = given switch
        {
            "Single" => ml.Data.LoadFromEnumerable(MarkerTasks.GenerateRegression(20, seed: 1)),
            "Boolean" => ml.Data.LoadFromEnumerable(MarkerTasks.GenerateBinary(20, seed: 1)),
            _ => OrderedMarkers.Load(ml, 20, seed: 1),
        };
        data = ml.Transforms.CopyColumns("Target", "Label").Fit(data).Transform(data);
        RecurrentTrainerOptions options = Fast("SRU", epochs: 1);
        options.LabelColumnName = "Target";
        RecurrentTrainerBase trainer = CellTrainers.Trainer(ml, options, task);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));

        Assert.AreEqual("Target", e.ParamName);
        StringAssert.Contains(e.Message, $"Label column 'Target' must be {needed}");
        StringAssert.Contains(e.Message, $"but it is {given}");
        StringAssert.Contains(e.Message, $"ConvertType(\"Target\", outputKind: DataKind.{needed})");
    }

    [TestMethod]
    public void Regression_rows_with_a_NaN_or_infinite_label_are_skipped_counted_and_not_trained_on()
    {
        var clean = MarkerTasks.GenerateRegression(200, seed: 7);
        // Rows the model must never see: wild features and labels it could not learn from.
        var bad = MarkerTasks.GenerateRegression(30, seed: 8).Select((row, i) => new MarkerTasks.RegressionRow
        {
            Features = row.Features.Select(v => v * 1000).ToArray(),
            Label = i % 3 == 0 ? float.PositiveInfinity : float.NaN,
        });
        var log = new List<string>();
        var ml = new MLContext(seed: 9);
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        // The bad rows spread among the clean ones.
        var mixed = clean.Take(100).Concat(bad).Concat(clean.Skip(100)).ToList();
        var withBad = ml.Regression.Trainers.Sru((SruTrainer.Options)Fast("SRU", epochs: 2)).Fit(ml.Data.LoadFromEnumerable(mixed));
        var ml2 = new MLContext(seed: 9);
        var without = ml2.Regression.Trainers.Sru((SruTrainer.Options)Fast("SRU", epochs: 2)).Fit(ml2.Data.LoadFromEnumerable(clean));

        Assert.IsTrue(log.Any(l => l.Contains("Skipped 30 rows with a missing (NaN) or infinite label in column 'Label'", StringComparison.Ordinal)), string.Join("\n", log));
        IDataView test = MarkerTasks.Load(ml, MarkerTasks.Regression, 50, seed: 10);
        CollectionAssert.AreEqual(MarkerTasks.Scores(without.Transform(test)), MarkerTasks.Scores(withBad.Transform(test)), "the same model as without the skipped rows");
    }

    [TestMethod]
    [DataRow(MarkerTasks.Binary)]
    [DataRow(MarkerTasks.Regression)]
    public void A_validation_set_is_scored_every_epoch_and_stops_training_early(string task)
    {
        var ml = new MLContext(seed: 1);
        var epochs = new List<TrainingProgress>();
        RecurrentTrainerOptions options = TinyModels.For("SRU", epochs: 30);
        options.EarlyStoppingPatience = 1;
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);
        // Validation labels unrelated to the features: the validation loss stops improving early.
        IDataView validation = task == MarkerTasks.Binary
            ? ml.Data.LoadFromEnumerable(MarkerTasks.GenerateBinary(100, seed: 2).Select((row, i) => new MarkerTasks.BinaryRow { Features = row.Features, Label = i % 2 == 0 }))
            : ml.Data.LoadFromEnumerable(MarkerTasks.GenerateRegression(100, seed: 2).Select((row, i) => new MarkerTasks.RegressionRow { Features = row.Features, Label = 100 + 70 * (i % 2) }));

        CellTrainers.Trainer(ml, options, task).Fit(MarkerTasks.Load(ml, task, 300, seed: 1), validation);

        Assert.IsLessThan(30, epochs.Count, "stopped early");
        Assert.IsTrue(epochs.All(r => r.ValidationLoss is > 0 && float.IsFinite(r.ValidationLoss.Value)), "every epoch has a validation loss");
        if (task == MarkerTasks.Binary)
            Assert.IsTrue(epochs.All(r => r.ValidationAccuracy is >= 0 and <= 1 && r.Accuracy is >= 0 and <= 1), "a classifier reports accuracy");
        else
            Assert.IsTrue(epochs.All(r => r.ValidationAccuracy is null && float.IsNaN(r.Accuracy)), "regression has no accuracy");
    }

    [TestMethod]
    [DataRow(MarkerTasks.Binary)]
    [DataRow(MarkerTasks.Regression)]
    public void Training_continues_from_a_model_of_the_same_task_and_refuses_one_of_another(string task)
    {
        var ml = new MLContext(seed: 2);
        IDataView train = MarkerTasks.Load(ml, task, 300, seed: 2);
        var first = (RecurrentPredictionTransformer)CellTrainers.Trainer(ml, TinyModels.For("SRU", epochs: 2), task).Fit(train);
        var multiclass = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(OrderedMarkers.Load(ml, 100, seed: 3));
        RecurrentTrainerBase trainer = CellTrainers.Trainer(ml, TinyModels.For("SRU", epochs: 2), task);
        IDataView test = MarkerTasks.Load(ml, task, 200, seed: 4);

        RecurrentPredictionTransformer more = trainer.Fit(train, first.Model);
        var e = Assert.ThrowsExactly<ArgumentException>(() => trainer.Fit(train, multiclass.Model));

        StringAssert.Contains(e.Message, "the model is a MulticlassClassification model");
        // Two more epochs from the first model's weights fit the training rows better than the first two did.
        double Loss(ITransformer model) => task == MarkerTasks.Binary
            ? ml.BinaryClassification.Evaluate(model.Transform(train)).LogLoss
            : ml.Regression.Evaluate(model.Transform(train)).MeanSquaredError;
        Assert.IsLessThan(Loss(first), Loss(more));
        Assert.HasCount(200, MarkerTasks.Scores(more.Transform(test)));
    }
}
