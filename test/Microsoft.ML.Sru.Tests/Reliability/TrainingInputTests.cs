using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// Bad training input fails with an exception naming the column or option at fault, before any training;
/// rows that cannot be trained on are skipped and counted in a warning; small inputs train.
/// (Cases already covered in RecurrentTrainerTests: a label that is not a key, a missing feature column,
/// a vector size SequenceLength does not divide, and the basic invalid options.)
/// </summary>
[TestClass]
public sealed class TrainingInputTests
{
    [TestMethod]
    public void A_missing_label_column_is_named()
    {
        var ml = new MLContext(seed: 1);
        var options = TinyModels.Sru();
        options.LabelColumnName = "Target";

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 64, seed: 1)));

        StringAssert.Contains(e.Message, "'Target'");
    }

    [TestMethod]
    public void A_feature_column_of_doubles_is_rejected_naming_it()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Keyed(ml, Enumerable.Range(0, 16).Select(i => new DoubleRow { Features = new double[32], Label = (uint)(i % 3 + 1) }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "Double");
    }

    [TestMethod]
    public void A_scalar_feature_column_is_rejected_naming_it()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Keyed(ml, Enumerable.Range(0, 16).Select(i => new ScalarRow { Features = i, Label = (uint)(i % 3 + 1) }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Features'");
    }

    [TestMethod]
    public void A_variable_size_feature_column_without_StepSize_is_rejected_naming_it()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Keyed(ml, Enumerable.Range(0, 16).Select(i => new VariableRow { Features = new float[8 * (i % 2 + 1)], Label = (uint)(i % 3 + 1) }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "of variable length: set StepSize");
    }

    [TestMethod]
    public void A_key_label_of_another_raw_type_is_rejected_with_the_hint()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 16).Select(i => new ByteKeyRow { Features = new float[32], Label = (byte)(i % 3) }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Label'");
        StringAssert.Contains(e.Message, "MapValueToKey");
    }

    [TestMethod]
    public void A_label_with_one_class_is_rejected_naming_the_count()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 16).Select(_ => new OneClassRow { Features = new float[32], Label = 0 }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Label' has 1 classes");
        StringAssert.Contains(e.Message, "between 2 and 100000");
    }

    [TestMethod]
    public void A_label_with_more_classes_than_the_limit_is_rejected_before_training()
    {
        Assert.AreEqual(100_000, RecurrentTrainerBase.MaxClassCount);
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 16).Select(i => new ManyClassRow { Features = new float[32], Label = (uint)i }));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "'Label' has 100001 classes");
    }

    [TestMethod]
    public void A_feature_vector_too_long_for_the_model_format_is_rejected_before_training()
    {
        // 65,540 values as one step: the saved model could never be loaded (at most 65,536 values per step).
        const int size = (1 << 16) + 4;
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(VariableRow));
        schema[nameof(VariableRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        IDataView raw = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 4).Select(i => new VariableRow { Features = new float[size], Label = (uint)(i % 2) }), schema);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = TinyModels.Sru();
        options.SequenceLength = 1;

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(data));

        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "SequenceLength = 1");
        StringAssert.Contains(e.Message, "step size (values per time step) 65540");
    }

    [TestMethod]
    public void Rows_with_NaN_or_infinite_features_or_a_missing_label_are_skipped_with_counted_warnings()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        var info = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (warnings)
            {
                if (e.Kind == ChannelMessageKind.Warning)
                    warnings.Add(e.Message);
                else if (e.Kind == ChannelMessageKind.Info)
                    info.Add(e.Message);
            }
        };
        var rows = OrderedMarkers.Generate(300, seed: 3).Select(r => new KeyRow { Features = r.Features, Label = r.Label }).ToList();
        float[] poison = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < 12; i++)
            rows[i * 7].Features[i % OrderedMarkers.FeatureCount] = poison[i % 3];
        for (int i = 0; i < 5; i++)
            rows[i * 7 + 3].Label = KeyRow.Missing;
        IDataView data = ml.Data.LoadFromEnumerable(rows);

        var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru(epochs: 2)).Fit(data);

        Assert.Contains("Skipped 12 rows with NaN or infinite values in column 'Features'.", warnings.Select(Strip).ToList(), string.Join("\n", warnings));
        Assert.Contains("Skipped 5 rows with a missing label in column 'Label'.", warnings.Select(Strip).ToList(), string.Join("\n", warnings));
        Assert.IsTrue(info.Any(l => l.Contains("on 283 rows", StringComparison.Ordinal)), string.Join("\n", info));
        float[][] scores = TinyModels.Scores(model);
        Assert.IsTrue(scores.All(s => s.All(float.IsFinite) && Math.Abs(s.Sum() - 1) < 1e-4), "the model trained on the remaining rows scores normally");
    }

    [TestMethod]
    public void An_empty_training_set_fails_clearly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new List<KeyRow>());

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data));

        StringAssert.Contains(e.Message, "No training rows");
        StringAssert.Contains(e.Message, "'Label'");
        StringAssert.Contains(e.Message, "'Features'");
    }

    [TestMethod]
    public void A_training_set_of_only_unusable_rows_fails_clearly_after_counting_them()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
                lock (warnings)
                    warnings.Add(Strip(e.Message));
        };
        var rows = Enumerable.Range(0, 10).Select(i => new KeyRow { Features = Enumerable.Repeat(i % 2 == 0 ? float.NaN : 0f, 32).ToArray(), Label = i % 2 == 0 ? 1 : KeyRow.Missing }).ToList();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(e.Message, "No training rows");
        Assert.Contains("Skipped 5 rows with NaN or infinite values in column 'Features'.", warnings);
        Assert.Contains("Skipped 5 rows with a missing label in column 'Label'.", warnings);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(5)]
    public void Fewer_rows_than_the_batch_size_train_fine(int count)
    {
        var ml = new MLContext(seed: 1);
        var rows = OrderedMarkers.Generate(count, seed: 5).Select(r => new KeyRow { Features = r.Features, Label = r.Label });
        var options = TinyModels.Sru(epochs: 2);
        options.BatchSize = 32;

        var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(ml.Data.LoadFromEnumerable(rows));

        float[][] scores = TinyModels.Scores(model);
        Assert.IsTrue(scores.All(s => s.Length == 3 && s.All(float.IsFinite)));
    }

    [TestMethod]
    public void A_data_view_claiming_billions_of_rows_is_not_trusted_for_an_allocation()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = new ClaimedRowCount(OrderedMarkers.Load(ml, 100, seed: 1), int.MaxValue);

        long before = GC.GetAllocatedBytesForCurrentThread();
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.IsLessThan(256L << 20, allocated, $"{allocated:N0} bytes allocated");
    }

    [TestMethod]
    [DataRow(100)]
    [DataRow(40)]
    [DataRow(300)]
    public void Whatever_row_count_a_view_claims_its_rows_train_the_same_model(int claimed)
    {
        float[][] Train(Func<IDataView, IDataView> view)
        {
            var ml = new MLContext(seed: 1);
            using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(view(OrderedMarkers.Load(ml, 100, seed: 1)));
            return TinyModels.Scores(model);
        }

        // A claimed count sizes the first block of values: fewer rows than claimed, or more, must read the same rows.
        Assert.IsTrue(TinyModels.SameScores(Train(data => data), Train(data => new ClaimedRowCount(data, claimed))));
    }

    [TestMethod]
    public void Rows_shorter_than_the_declared_vector_size_fail_naming_the_column()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 8).Select(i => new KeyRow { Features = new float[i == 5 ? 16 : 32], Label = (uint)(i % 3) });

        // LoadFromEnumerable does not check array lengths against [VectorType(32)]; the trainer does.
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(e.Message, "Feature column 'Features' is declared as 32 values, but row 5 has 16");
    }

    [TestMethod]
    public void Out_of_range_options_are_rejected_naming_the_option_for_every_trainer()
    {
        var ml = new MLContext();
        (Action<RecurrentTrainerOptions> change, string option)[] cases =
        [
            (o => o.SequenceLength = -1, "SequenceLength"),
            (o => o.SequenceLength = (1 << 16) + 1, "SequenceLength"),
            (o => o.HiddenSize = (1 << 16) + 1, "HiddenSize"),
            (o => o.NumberOfLayers = 0, "NumberOfLayers"),
            (o => o.NumberOfLayers = 65, "NumberOfLayers"),
            (o => o.MaxEpoch = -3, "MaxEpoch"),
            (o => o.MaxEpoch = 1_000_001, "MaxEpoch"),
            (o => o.BatchSize = -1, "BatchSize"),
            (o => o.BatchSize = (1 << 20) + 1, "BatchSize"),
            (o => o.LogEveryNSteps = 0, "LogEveryNSteps"),
            (o => o.LogEveryNSteps = -5, "LogEveryNSteps"),
            (o => o.EarlyStoppingPatience = -1, "EarlyStoppingPatience"),
            (o => o.EarlyStoppingPatience = 1_000_001, "EarlyStoppingPatience"),
            (o => o.LearningRateSchedule = (LearningRateSchedule)7, "LearningRateSchedule"),
            (o => o.WarmupSteps = -1, "WarmupSteps"),
            (o => o.WarmupSteps = 100_000_001, "WarmupSteps"),
            (o => o.WeightDecay = -0.1f, "WeightDecay"),
            (o => o.WeightDecay = 1.5f, "WeightDecay"),
            (o => o.WeightDecay = float.NaN, "WeightDecay"),
            (o => o.LearningRate = -0.1f, "LearningRate"),
            (o => o.LearningRate = 10.5f, "LearningRate"),
            (o => o.LearningRate = float.PositiveInfinity, "LearningRate"),
            (o => o.GradientClipNorm = float.NaN, "GradientClipNorm"),
            (o => o.GradientClipNorm = float.PositiveInfinity, "GradientClipNorm"),
            (o => o.LearningRateDecay = 0, "LearningRateDecay"),
            (o => o.LearningRateDecay = 1.5f, "LearningRateDecay"),
            (o => o.LearningRateDecay = float.NaN, "LearningRateDecay"),
            (o => o.LabelColumnName = "", "LabelColumnName"),
            (o => o.LabelColumnName = null!, "LabelColumnName"),
            (o => o.FeatureColumnName = "  ", "FeatureColumnName"),
            (o => o.Device = null!, "Device"),
            (o => o.Device = "cuda:1234", "Device"),
            (o => o.Device = "gpu", "Device"),
        ];
        foreach (var (change, option) in cases)
        {
            var sru = TinyModels.Sru();
            change(sru);
            var lstm = TinyModels.Lstm();
            change(lstm);
            var gru = TinyModels.Gru();
            change(gru);

            var e1 = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(sru), option);
            var e2 = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Lstm(lstm), option);
            var e3 = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Gru(gru), option);

            Assert.AreEqual(option, e1.ParamName);
            Assert.AreEqual(option, e2.ParamName);
            Assert.AreEqual(option, e3.ParamName);
            StringAssert.Contains(e1.Message, option);
        }
    }

    [TestMethod]
    public void The_simple_overloads_and_null_options_are_checked_too()
    {
        var ml = new MLContext();

        Assert.AreEqual("HiddenSize", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(hiddenSize: 0)).ParamName);
        Assert.AreEqual("SequenceLength", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Lstm(sequenceLength: -28)).ParamName);
        Assert.AreEqual("FeatureColumnName", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(featureColumnName: null!)).ParamName);
        Assert.AreEqual("options", Assert.ThrowsExactly<ArgumentNullException>(() => ml.MulticlassClassification.Trainers.Sru((SruTrainer.Options)null!)).ParamName);
        Assert.AreEqual("options", Assert.ThrowsExactly<ArgumentNullException>(() => ml.MulticlassClassification.Trainers.Lstm((LstmTrainer.Options)null!)).ParamName);
        Assert.AreEqual("NumberOfLayers", Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Gru(numberOfLayers: 0)).ParamName);
        Assert.AreEqual("options", Assert.ThrowsExactly<ArgumentNullException>(() => ml.MulticlassClassification.Trainers.Gru((GruTrainer.Options)null!)).ParamName);
    }

    /// <summary>ML.NET prefixes log lines with their source, e.g. "[Source=Sru; Training, Kind=Warning] ".</summary>
    private static string Strip(string message)
    {
        int end = message.StartsWith('[') ? message.IndexOf("] ", StringComparison.Ordinal) : -1;
        return end < 0 ? message : message[(end + 2)..];
    }

    private static IDataView Keyed<T>(MLContext ml, IEnumerable<T> rows) where T : class
    {
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
    }

    /// <summary>A view that reports a row count it does not have.</summary>
    private sealed class ClaimedRowCount(IDataView inner, long rows) : IDataView
    {
        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => inner.GetRowCursor(columnsNeeded, rand);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => inner.GetRowCursorSet(columnsNeeded, n, rand);
    }

    /// <summary>
    /// A row with a three-class key label. LoadFromEnumerable reads a [KeyType(3)] value v as the key v + 1
    /// (0, 1, 2 are the classes) and any value from 3 up as key 0, the missing label.
    /// </summary>
    private sealed class KeyRow
    {
        public const uint Missing = 3;

        [VectorType(OrderedMarkers.FeatureCount)]
        public float[] Features { get; set; } = [];

        [KeyType(3)]
        public uint Label { get; set; }
    }

    private sealed class DoubleRow
    {
        [VectorType(32)]
        public double[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    private sealed class ScalarRow
    {
        public float Features { get; set; }

        public uint Label { get; set; }
    }

    private sealed class VariableRow
    {
        [VectorType]
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    private sealed class ByteKeyRow
    {
        [VectorType(32)]
        public float[] Features { get; set; } = [];

        [KeyType(3)]
        public byte Label { get; set; }
    }

    private sealed class OneClassRow
    {
        [VectorType(32)]
        public float[] Features { get; set; } = [];

        [KeyType(1)]
        public uint Label { get; set; }
    }

    private sealed class ManyClassRow
    {
        [VectorType(32)]
        public float[] Features { get; set; } = [];

        [KeyType(100_001)]
        public uint Label { get; set; }
    }
}
