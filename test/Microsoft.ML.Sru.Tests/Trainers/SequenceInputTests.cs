using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// Feature columns of every kind the trainers read: vectors of Single of variable length (each row its own steps) and
/// vectors of keys (tokens through an embedding). Each cell learns from them, scores a row alike in a padded batch, alone
/// and after loading, keeps a long row's last steps, and refuses columns it cannot read naming them.
/// </summary>
[TestClass]
public sealed class SequenceInputTests
{
    private const int StepSize = 2;

    public sealed class VariableRow
    {
        public uint Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    public sealed class TextRow
    {
        public string Label { get; set; } = "";

        public string Text { get; set; } = "";
    }

    public sealed class Scores
    {
        public float[] Score { get; set; } = [];
    }

    /// <summary>
    /// Rows of 2 to 30 steps of two values; the class (0, 1, 2) is written into the last step's first value among random
    /// ones: a model that read padding as steps, or a step other than each row's own last, would not learn it.
    /// </summary>
    internal static List<VariableRow> VariableRows(int count, int seed, int minSteps = 2, int maxSteps = 30)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int label = random.Next(3), steps = random.Next(minSteps, maxSteps + 1);
            float[] values = Enumerable.Range(0, steps * StepSize).Select(_ => (float)random.NextDouble()).ToArray();
            values[(steps - 1) * StepSize] = label;
            return new VariableRow { Label = (uint)label, Features = values };
        }).ToList();
    }

    internal static IDataView LoadVariable(MLContext ml, IEnumerable<VariableRow> rows)
    {
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        // Keys by value: every split maps label n to key n + 1.
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(raw).Transform(raw);
    }

    private static readonly string[] ClassWords = ["apple", "river", "engine"];

    /// <summary>Sentences of filler words with one class word at a random place.</summary>
    internal static List<TextRow> TextRows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int label = random.Next(3), length = random.Next(3, 11);
            var words = Enumerable.Range(0, length).Select(_ => $"w{random.Next(30)}").ToList();
            words.Insert(random.Next(words.Count + 1), ClassWords[label]);
            return new TextRow { Label = ClassWords[label], Text = string.Join(' ', words) };
        }).ToList();
    }

    internal static IEstimator<ITransformer> TextFeaturizer(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Text"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Tokens"));

    internal static RecurrentTrainerOptions Small(string cell, int epochs, string features = "Features")
    {
        RecurrentTrainerOptions options = CellTrainers.NewOptions(cell);
        options.FeatureColumnName = features;
        options.StepSize = StepSize;
        options.HiddenSize = 24;
        options.NumberOfLayers = 1;
        options.EmbeddingSize = 8;
        options.MaxEpoch = epochs;
        options.BatchSize = 16;
        options.LearningRate = 0.01f;
        options.LogEveryNSteps = 1000;
        return options;
    }

    private static float[][] ScoresOf(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static float[][] RowByRow<TRow>(MLContext ml, ITransformer model, IEnumerable<TRow> rows) where TRow : class, new()
    {
        // Not disposed: disposing a PredictionEngine disposes the model it scores with.
        var engine = ml.Model.CreatePredictionEngine<TRow, Scores>(model);
        return rows.Select(row => engine.Predict(row).Score.ToArray()).ToArray();
    }

    private static ITransformer SaveAndLoad(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return new MLContext(seed: 5).Model.Load(stream, out _);
    }

    private static void AssertClose(float[][] expected, float[][] actual, string what)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            for (int j = 0; j < expected[i].Length; j++)
                Assert.AreEqual(expected[i][j], actual[i][j], 1e-5, $"{what}: row {i}, class {j}");
        }
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Variable_length_rows_train_and_score_alike_in_a_padded_batch_alone_and_after_loading(string cell)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = LoadVariable(ml, VariableRows(1200, seed: 1));
        // Longest first: the half of a scored batch each core takes has shorter rows than the batch's longest.
        var testRows = VariableRows(300, seed: 2).OrderByDescending(row => row.Features.Length).ToList();
        IDataView test = LoadVariable(ml, testRows);

        var model = CellTrainers.Trainer(ml, Small(cell, epochs: 6)).Fit(train);
        AssertLearnsAndScoresAlike(ml, cell, model, train, test, testRows);
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Tokens_train_through_an_embedding_and_unknown_words_score(string cell)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(TextRows(1200, seed: 1));
        var testRows = TextRows(300, seed: 2).OrderByDescending(row => row.Text.Length).ToList();
        IDataView test = ml.Data.LoadFromEnumerable(testRows);

        ITransformer model = TextFeaturizer(ml).Append(CellTrainers.Trainer(ml, Small(cell, epochs: 6, features: "Tokens"))).Fit(train);
        AssertLearnsAndScoresAlike(ml, cell, model, train, test, testRows);

        // Words the model never saw, and no words at all, read as the unknown token: a prediction, not an error.
        float[][] unknown = RowByRow(ml, model, new[] { new TextRow { Text = "zebra quantum river" }, new TextRow { Text = "" } });
        Assert.IsTrue(unknown.All(s => s.All(float.IsFinite) && Math.Abs(s.Sum() - 1) < 1e-4), "probabilities for unseen words and an empty text");
        Assert.AreEqual(1, Array.IndexOf(unknown[0], unknown[0].Max()), "the known class word 'river' decides among unknown ones");
    }

    /// <summary>
    /// TokenizeIntoCharactersAsKeys gives keys of UInt16 over every char (a key count of 65,535): the embedding keeps only
    /// the characters seen in training, and the class word's letters are enough to learn from.
    /// </summary>
    [TestMethod]
    public void Characters_as_keys_train_through_an_embedding_of_the_characters_seen()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(TextRows(1200, seed: 1));
        var testRows = TextRows(300, seed: 2);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.TokenizeIntoCharactersAsKeys("Characters", "Text", useMarkerCharacters: false));
        Assert.AreEqual(typeof(ushort), ((VectorDataViewType)pipeline.Fit(train).GetOutputSchema(train.Schema)["Characters"].Type).ItemType.RawType);

        var model = pipeline.Append(CellTrainers.Trainer(ml, Small("SRU", epochs: 6, features: "Characters"))).Fit(train);

        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(testRows))).MicroAccuracy;
        Assert.IsGreaterThan(0.9, accuracy, $"accuracy {accuracy} (chance: 0.33)");
        int characters = TextRows(1200, seed: 1).SelectMany(r => r.Text).Distinct().Count();
        Assert.AreEqual(characters + 1, model.LastTransformer.Model.Spec.EmbeddingRows, "one row per character seen, and the shared row of unknown and missing keys");
    }

    public sealed class TaskRow<TLabel>
    {
        public TLabel Label { get; set; } = default!;

        public float[] Features { get; set; } = [];

        public string Text { get; set; } = "";
    }

    public sealed class ScoreOnly
    {
        public float Score { get; set; }
    }

    public sealed class BinaryOutput
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    /// <summary>
    /// The binary and regression catalogs read variable-length rows and tokens too: the label is whether the class is 1
    /// (binary) or the class itself (regression), written as in the multiclass tests above.
    /// </summary>
    [TestMethod]
    [DataRow(MarkerTasks.Binary, "variable", "SRU")]
    [DataRow(MarkerTasks.Binary, "tokens", "GRU")]
    [DataRow(MarkerTasks.Regression, "variable", "LSTM")]
    [DataRow(MarkerTasks.Regression, "tokens", "SRU")]
    public void Binary_and_regression_models_read_variable_length_rows_and_tokens(string task, string input, string cell)
    {
        if (task == MarkerTasks.Binary)
            LearnsAndScoresAlike(task, input, cell, label => label == 1);
        else
            LearnsAndScoresAlike(task, input, cell, label => (float)label);
    }

    private static void LearnsAndScoresAlike<TLabel>(string task, string input, string cell, Func<int, TLabel> label)
    {
        bool tokens = input == "tokens";
        List<TaskRow<TLabel>> Rows(int count, int seed) => tokens
            ? TextRows(count, seed).Select(r => new TaskRow<TLabel> { Label = label(Array.IndexOf(ClassWords, r.Label)), Text = r.Text }).ToList()
            : VariableRows(count, seed).Select(r => new TaskRow<TLabel> { Label = label((int)r.Label), Features = r.Features }).ToList();
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(1200, seed: 1));
        var testRows = Rows(300, seed: 2).OrderByDescending(r => r.Features.Length + r.Text.Length).ToList();
        IDataView test = ml.Data.LoadFromEnumerable(testRows);
        IEstimator<ITransformer> trainer = CellTrainers.Trainer(ml, Small(cell, epochs: 6, features: tokens ? "Tokens" : "Features"), task);
        ITransformer model = (tokens
            ? ml.Transforms.Text.TokenizeIntoWords("Tokens", "Text").Append(ml.Transforms.Conversion.MapValueToKey("Tokens")).Append(trainer)
            : trainer).Fit(train);

        IDataView scored = model.Transform(test);
        if (task == MarkerTasks.Binary)
        {
            var metrics = ml.BinaryClassification.Evaluate(scored);
            Assert.IsGreaterThan(0.9, metrics.Accuracy, $"{cell} {input} binary accuracy {metrics.Accuracy}");
            var engine = ml.Model.CreatePredictionEngine<TaskRow<TLabel>, BinaryOutput>(model);
            float[] probabilities = scored.GetColumn<float>("Probability").ToArray();
            bool[] predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
            for (int i = 0; i < testRows.Count; i++)
            {
                BinaryOutput one = engine.Predict(testRows[i]);
                Assert.AreEqual(probabilities[i], one.Probability, 1e-5, $"row {i}: Probability through a PredictionEngine");
                Assert.AreEqual(predicted[i], one.PredictedLabel, $"row {i}: PredictedLabel through a PredictionEngine");
            }
        }
        else
        {
            var metrics = ml.Regression.Evaluate(scored);
            Assert.IsGreaterThan(0.8, metrics.RSquared, $"{cell} {input} regression R² {metrics.RSquared}");
        }
        float[] batched = scored.GetColumn<float>("Score").ToArray();
        var scoreEngine = ml.Model.CreatePredictionEngine<TaskRow<TLabel>, ScoreOnly>(model);
        float[][] alone = testRows.Select(r => new[] { scoreEngine.Predict(r).Score }).ToArray();
        AssertClose(batched.Select(s => new[] { s }).ToArray(), alone, "PredictionEngine against Transform's padded batches");
        float[] loaded = SaveAndLoad(ml, model, train.Schema).Transform(test).GetColumn<float>("Score").ToArray();
        AssertClose(batched.Select(s => new[] { s }).ToArray(), loaded.Select(s => new[] { s }).ToArray(), "loaded model against the trained one");
    }

    /// <summary>
    /// The model learned the task (accuracy over 0.9, chance 0.33), and scores each test row the same in Transform's padded
    /// batches, alone in a PredictionEngine, after loading, and through TorchSharp's network.
    /// </summary>
    private static void AssertLearnsAndScoresAlike<TRow>(MLContext ml, string cell, ITransformer model, IDataView train, IDataView test, IEnumerable<TRow> testRows)
        where TRow : class, new()
    {
        IDataView scored = model.Transform(test);
        double accuracy = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        Assert.IsGreaterThan(0.9, accuracy, $"{cell} accuracy {accuracy} (chance: 0.33)");
        float[][] batched = ScoresOf(scored);
        AssertClose(batched, RowByRow(ml, model, testRows), "PredictionEngine against Transform's padded batches");
        AssertClose(batched, ScoresOf(SaveAndLoad(ml, model, train.Schema).Transform(test)), "loaded model against the trained one");
        AssertClose(batched, TorchScores(model, test), "the managed scorer against TorchSharp's network");
    }

    /// <summary>The model's scores through TorchSharp's network rather than the managed scorer.</summary>
    private static float[][] TorchScores(ITransformer model, IDataView data)
    {
        RecurrentModelParameters.TorchScoringOnly.Value = true;
        try
        {
            return ScoresOf(model.Transform(data));
        }
        finally
        {
            RecurrentModelParameters.TorchScoringOnly.Value = false;
        }
    }

    [TestMethod]
    public void A_row_longer_than_MaxSequenceLength_keeps_its_last_steps()
    {
        var ml = new MLContext(seed: 1);
        RecurrentTrainerOptions options = Small("SRU", epochs: 2);
        options.MaxSequenceLength = 4;
        var model = CellTrainers.Trainer(ml, options).Fit(LoadVariable(ml, VariableRows(200, seed: 1)));

        var longRow = VariableRows(1, seed: 3, minSteps: 10, maxSteps: 10)[0];
        var lastSteps = new VariableRow { Features = longRow.Features[^(4 * StepSize)..] };
        float[][] scores = RowByRow(ml, model, new[] { longRow, lastSteps });
        AssertClose([scores[1]], [scores[0]], "a 10-step row against its last 4 steps");
    }

    [TestMethod]
    public void A_variable_length_row_that_is_not_whole_steps_is_refused_naming_the_row()
    {
        var ml = new MLContext(seed: 1);
        var rows = VariableRows(50, seed: 1);
        rows[7].Features = rows[7].Features[..^1];

        var e = Assert.Throws<InvalidOperationException>(() => CellTrainers.Trainer(ml, Small("SRU", epochs: 1)).Fit(LoadVariable(ml, rows)));
        StringAssert.Contains(e.Message, "Row 7 of feature column 'Features'");
        StringAssert.Contains(e.Message, "StepSize = 2");
    }

    [TestMethod]
    public void Empty_rows_are_skipped_and_counted()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) log.Add(e.Message); };
        var rows = VariableRows(64, seed: 1);
        rows[3].Features = [];
        rows[9].Features = [];

        CellTrainers.Trainer(ml, Small("SRU", epochs: 1)).Fit(LoadVariable(ml, rows));

        Assert.IsTrue(log.Any(m => m.Contains("Skipped 2 rows with no values in column 'Features'")), "warnings: " + string.Join("\n", log));
    }

    public sealed class DoubleRow
    {
        public uint Label { get; set; }

        [VectorType(4)]
        public double[] Features { get; set; } = new double[4];
    }

    public sealed class ScalarRow
    {
        public uint Label { get; set; }

        public float Features { get; set; }
    }

    public sealed class IdRow
    {
        public uint Label { get; set; }

        public uint[] Features { get; set; } = [];
    }

    public static IEnumerable<object[]> UnreadableColumns =>
    [
        ["a vector of Double", (Func<MLContext, IDataView>)(ml => ml.Data.LoadFromEnumerable(new[] { new DoubleRow(), new DoubleRow { Label = 1 } })), "ConvertType(\"Features\", outputKind: DataKind.Single)"],
        ["a scalar", (Func<MLContext, IDataView>)(ml => ml.Data.LoadFromEnumerable(new[] { new ScalarRow(), new ScalarRow { Label = 1 } })), "read a vector of Single"],
        ["token ids that are not keys", (Func<MLContext, IDataView>)(ml => ml.Data.LoadFromEnumerable(new[] { new IdRow { Features = [1, 2] }, new IdRow { Label = 1, Features = [3] } })), "ConvertType"],
    ];

    [TestMethod]
    [DynamicData(nameof(UnreadableColumns))]
    public void A_feature_column_the_trainers_cannot_read_is_refused_naming_it_and_what_to_do(string kind, Func<MLContext, IDataView> load, string advice)
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = load(ml);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        RecurrentTrainerBase trainer = CellTrainers.Trainer(ml, Small("SRU", epochs: 1));

        // A pipeline checks every estimator's schema before fitting any; Fit alone reads the column's type.
        var fromPipeline = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Fit(raw), kind);
        var fromFit = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data), kind);
        foreach (var e in new[] { fromPipeline, fromFit })
        {
            Assert.AreEqual("Features", e.ParamName, $"{kind}: {e.Message}");
            StringAssert.Contains(e.Message, "Feature column 'Features'", kind);
            StringAssert.Contains(e.Message, advice, kind);
        }
    }

    [TestMethod]
    public void A_variable_length_column_without_StepSize_is_refused_naming_the_option()
    {
        var ml = new MLContext(seed: 1);
        RecurrentTrainerOptions options = Small("SRU", epochs: 1);
        options.StepSize = null;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CellTrainers.Trainer(ml, options).Fit(LoadVariable(ml, VariableRows(20, seed: 1))));
        StringAssert.Contains(e.Message, "Feature column 'Features' is Vector<Single>, of variable length: set StepSize");
    }
}
