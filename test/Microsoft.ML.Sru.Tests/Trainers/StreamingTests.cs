using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// <see cref="DataLoading.Streaming"/>: rows read through a cursor every epoch and shuffled within a bounded buffer train
/// models as good as rows held in memory, reproducibly under the seed, with validation, early stopping and the same
/// skipped rows; the buffer never holds more than its size; a view that changes between reads is refused.
/// </summary>
[TestClass]
public sealed class StreamingTests
{
    private const string Fixed = "fixed", Variable = "variable", Tokens = "tokens";

    /// <summary>Training and test data of a kind, and options that learn it in a few seconds.</summary>
    private static (IDataView Train, IDataView Test, RecurrentTrainerOptions Options) Task(MLContext ml, string kind, DataLoading loading, int buffer = 64)
    {
        (IDataView train, IDataView test, RecurrentTrainerOptions options) = kind switch
        {
            Fixed => (OrderedMarkers.Load(ml, 2000, seed: 1), OrderedMarkers.Load(ml, 300, seed: 2), Learning(TinyModels.Sru(epochs: 12))),
            Variable => (SequenceInputTests.LoadVariable(ml, SequenceInputTests.VariableRows(600, seed: 1)),
                SequenceInputTests.LoadVariable(ml, SequenceInputTests.VariableRows(300, seed: 2)), SequenceInputTests.Small("SRU", epochs: 6)),
            Tokens => TextTask(ml),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such data"),
        };
        options.DataLoading = loading;
        options.ShuffleBufferSize = buffer;
        return (train, test, options);
    }

    private static RecurrentTrainerOptions Learning(RecurrentTrainerOptions options)
    {
        options.HiddenSize = 32;
        options.NumberOfLayers = 2;
        options.LearningRate = 0.01f;
        return options;
    }

    private static (IDataView, IDataView, RecurrentTrainerOptions) TextTask(MLContext ml)
    {
        IDataView all = ml.Data.LoadFromEnumerable(SequenceInputTests.TextRows(900, seed: 1));
        IDataView featurized = SequenceInputTests.TextFeaturizer(ml).Fit(all).Transform(all);
        // Held in a cache so that the featurizer's keys are read once; the stream still reads it through a cursor each epoch.
        IDataView cached = ml.Data.Cache(featurized);
        return (ml.Data.TakeRows(cached, 600), ml.Data.SkipRows(cached, 600), SequenceInputTests.Small("SRU", epochs: 6, features: "Tokens"));
    }

    private static double Accuracy(MLContext ml, ITransformer model, IDataView test) =>
        ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;

    [TestMethod]
    [DataRow(Fixed)]
    [DataRow(Variable)]
    [DataRow(Tokens)]
    public void Streamed_rows_train_a_model_as_accurate_as_rows_in_memory(string kind)
    {
        var accuracies = new Dictionary<DataLoading, double>();
        foreach (DataLoading loading in new[] { DataLoading.InMemory, DataLoading.Streaming })
        {
            var ml = new MLContext(seed: 1);
            var (train, test, options) = Task(ml, kind, loading);
            using RecurrentPredictionTransformer model = CellTrainers.Trainer(ml, options).Fit(train);
            accuracies[loading] = Accuracy(ml, model, test);
        }

        string figures = $"in memory {accuracies[DataLoading.InMemory]:P1}, streamed {accuracies[DataLoading.Streaming]:P1}";
        Assert.IsGreaterThan(0.9, accuracies[DataLoading.InMemory], figures);
        Assert.IsGreaterThan(0.9, accuracies[DataLoading.Streaming], figures);
        Assert.AreEqual(accuracies[DataLoading.InMemory], accuracies[DataLoading.Streaming], 0.05, figures);
    }

    [TestMethod]
    [DataRow(Fixed)]
    [DataRow(Variable)]
    public void Two_streamed_fits_under_one_seed_give_the_same_scores_and_another_seed_others(string kind)
    {
        float[][] Scores(int seed)
        {
            var ml = new MLContext(seed: seed);
            var (train, test, options) = Task(ml, kind, DataLoading.Streaming);
            options.MaxEpoch = 2;
            using RecurrentPredictionTransformer model = CellTrainers.Trainer(ml, options).Fit(train);
            return model.Transform(test).GetColumn<float[]>("Score").ToArray();
        }

        float[][] first = Scores(1), second = Scores(1), other = Scores(2);

        for (int row = 0; row < first.Length; row++)
            CollectionAssert.AreEqual(first[row], second[row], $"row {row}");
        Assert.IsTrue(first.Zip(other).Any(pair => !pair.First.SequenceEqual(pair.Second)), "another seed trains another model");
    }

    [TestMethod]
    public void A_streamed_validation_set_scores_a_model_as_one_held_in_memory_does_and_early_stopping_keeps_the_best_epoch()
    {
        var epochsOf = new Dictionary<DataLoading, List<TrainingProgress>>();
        foreach (DataLoading loading in new[] { DataLoading.InMemory, DataLoading.Streaming })
        {
            var ml = new MLContext(seed: 1);
            IDataView validation = ValidationSetTests.Misleading(ml);
            var options = TinyModels.Sru(epochs: 20);
            options.DataLoading = loading;
            options.ShuffleBufferSize = 50;
            options.EarlyStoppingPatience = 2;
            var epochs = epochsOf[loading] = new List<TrainingProgress>();
            options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);

            using var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 1), validation);

            int best = ValidationSetTests.BestEpoch(epochs);
            Assert.HasCount(best + 2, epochs, $"{loading}: stopped two epochs after the best ({best})");
            Assert.IsLessThan(20, epochs.Count, $"{loading}");
            double logLoss = ml.MulticlassClassification.Evaluate(model.Transform(validation)).LogLoss;
            Assert.AreEqual(epochs[best - 1].ValidationLoss!.Value, logLoss, 1e-3, $"{loading}: the model has epoch {best}'s weights");
        }
    }

    [TestMethod]
    public void Held_out_evaluation_of_a_stream_equals_that_of_the_same_rows_in_memory()
    {
        IHost host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        IDataView data = SequenceInputTests.LoadVariable(new MLContext(seed: 1), SequenceInputTests.VariableRows(700, seed: 3));
        SequenceInput input = SequenceInput.ForColumn(data.Schema["Features"], 1, 2, 20);
        ITrainingData held = TrainingSet.Read(host, RecurrentTask.Multiclass, data.Schema["Label"], data.Schema["Features"], data, 3, input);
        ITrainingData streamed = StreamedTrainingSet.Open(host, RecurrentTask.Multiclass, data.Schema["Label"], data.Schema["Features"], data, 3, input, 10, InputNormalization.Global);
        var spec = new NetworkSpec(RecurrentCellKind.Sru, 20, 2, 8, 1, 3);
        using SequenceClassifier network = spec.Build();

        var inMemory = HeldOutEvaluation.Evaluate(host, network, held, TorchSharp.torch.CPU, default);
        var stream = HeldOutEvaluation.Evaluate(host, network, streamed, TorchSharp.torch.CPU, default);

        Assert.AreEqual(inMemory, stream);
    }

    [TestMethod]
    [DataRow(DataLoading.InMemory)]
    [DataRow(DataLoading.Streaming)]
    public void Bad_rows_are_skipped_and_counted_alike(DataLoading loading)
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var rows = OrderedMarkers.Generate(100, seed: 1);
        rows[3].Features[5] = float.NaN;
        rows[50].Features[0] = float.NegativeInfinity;
        rows[70].Features[9] = float.PositiveInfinity;
        var validation = OrderedMarkers.Generate(40, seed: 2);
        validation[1].Features[1] = float.NaN;
        var options = TinyModels.Sru(epochs: 2);
        options.DataLoading = loading;
        var epochs = new List<TrainingProgress>();
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);

        ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, rows), OrderedMarkers.Load(ml, validation)).Dispose();

        CollectionAssert.AreEquivalent(new[]
        {
            "Skipped 3 rows with NaN or infinite values in column 'Features'.",
            "Skipped 1 validation rows with NaN or infinite values in column 'Features'.",
        }, warnings.Where(w => w.Contains("Skipped", StringComparison.Ordinal)).Select(w => w[w.IndexOf("Skipped", StringComparison.Ordinal)..]).ToArray(),
            string.Join("\n", warnings));
        Assert.HasCount(2, epochs);
        Assert.IsTrue(epochs.All(e => float.IsFinite(e.Loss) && float.IsFinite(e.ValidationLoss!.Value)));
    }

    [TestMethod]
    [DataRow(Fixed, 1)]
    [DataRow(Fixed, 50)]
    [DataRow(Variable, 37)]
    [DataRow(Variable, 5000)]
    public void An_epoch_has_every_row_once_the_buffer_holds_at_most_its_size_and_the_same_epoch_is_drawn_again(string kind, int buffer)
    {
        var ml = new MLContext(seed: 1);
        IHost host = ((IHostEnvironment)ml).Register("test");
        var (train, _, options) = Task(ml, kind, DataLoading.Streaming, buffer);
        DataViewSchema.Column label = train.Schema["Label"], features = train.Schema["Features"];
        SequenceInput input = SequenceInput.ForColumn(features, options.SequenceLength, options.StepSize, options.MaxSequenceLength);
        var set = StreamedTrainingSet.Open(host, RecurrentTask.Multiclass, label, features, train, 3, input, buffer, InputNormalization.None);
        var held = TrainingSet.Read(host, RecurrentTask.Multiclass, label, features, train, 3, input);
        IEpochBatches epochs = set.OpenEpochs(seed: 9, batchSize: 16);

        var first = epochs.Epoch(1, 0).ToList();
        var again = set.OpenEpochs(seed: 9, batchSize: 16).Epoch(1, 0).ToList();
        var second = epochs.Epoch(2, 0).ToList();
        var resumed = epochs.Epoch(1, 5).ToList();

        Assert.AreEqual(Math.Min(buffer, set.RowCount), set.MostRowsHeld, "the buffer filled up to its size and no further");
        Assert.HasCount(epochs.StepsPerEpoch, first);
        Assert.IsTrue(first.Take(first.Count - 1).All(b => b.Rows == 16), "every batch full but the last");
        CollectionAssert.AreEquivalent(RowsOf(held.InOrder(1000)), RowsOf(first), "every row once");
        CollectionAssert.AreEqual(RowsOf(first), RowsOf(again), "the same seed and epoch, the same batches");
        CollectionAssert.AreEqual(RowsOf(first.Skip(5)), RowsOf(resumed), "a resumed epoch's rest is the same");
        if (buffer == 1 && kind == Fixed)
            CollectionAssert.AreEqual(RowsOf(held.InOrder(1000)), RowsOf(first), "a buffer of one keeps the data's order");
        else
            Assert.AreNotEqual(string.Join(";", RowsOf(first)), string.Join(";", RowsOf(second)), "the next epoch is shuffled otherwise");
    }

    /// <summary>Each row of the batches as text (its label and its own steps' values), in the batches' order.</summary>
    private static List<string> RowsOf(IEnumerable<TrainingBatch> batches)
    {
        var rows = new List<string>();
        foreach (TrainingBatch batch in batches)
        {
            int width = batch.Features.Length / batch.Rows;
            for (int i = 0; i < batch.Rows; i++)
            {
                int values = batch.Lengths is null ? width : batch.Lengths[i] * width / batch.Steps;
                rows.Add($"{batch.Labels[i]}:{string.Join(",", batch.Features.Skip(i * width).Take(values))}");
            }
        }
        return rows;
    }

    [TestMethod]
    public void The_shuffle_buffer_holds_at_most_its_capacity_and_lets_every_row_out_once()
    {
        var buffer = new ShuffleBuffer(32, 1, new Random(4));
        var order = new List<float>();
        ShuffleBuffer.RowSink emit = (_, _, label) => order.Add(label);

        for (int row = 0; row < 1000; row++)
        {
            buffer.Add([row], 1, row, null, emit);
            Assert.IsLessThanOrEqualTo(32, buffer.Count);
            Assert.AreEqual(Math.Max(0, row + 1 - 32), order.Count, "a row goes out for every row in once the buffer is full");
        }
        buffer.Drain(emit);

        Assert.AreEqual(32, buffer.MostHeld);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray(), order);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray(), order);
    }

    [TestMethod]
    public void A_view_that_gives_other_rows_on_another_read_is_refused_naming_the_reads()
    {
        var ml = new MLContext(seed: 1);
        int reads = 0;
        // Each enumeration gives one row fewer: counted once, read again for the statistics.
        IEnumerable<OrderedMarkers.Row> Shrinking()
        {
            int count = 200 - reads++;
            return OrderedMarkers.Generate(count, seed: 1);
        }
        IDataView data = ml.Data.LoadFromEnumerable(new Reenumerable<OrderedMarkers.Row>(Shrinking));
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(OrderedMarkers.Generate(30, 1))).Transform(data);
        var options = TinyModels.Sru();
        options.DataLoading = DataLoading.Streaming;

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(keyed));

        StringAssert.Contains(e.Message, "must give the same rows every time it is read");
        StringAssert.Contains(e.Message, "in its first read");
    }

    /// <summary>An enumerable that asks <paramref name="rows"/> anew each time it is enumerated.</summary>
    private sealed class Reenumerable<T>(Func<IEnumerable<T>> rows) : IEnumerable<T>
    {
        public IEnumerator<T> GetEnumerator() => rows().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [TestMethod]
    public void Auto_holds_rows_within_the_limit_and_streams_rows_beyond_it()
    {
        IHost host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        IDataView data = OrderedMarkers.Load(new MLContext(seed: 1), 100, seed: 1);
        SequenceInput input = SequenceInput.Fixed(OrderedMarkers.Steps, OrderedMarkers.StepSize);
        long values = 100L * OrderedMarkers.FeatureCount;

        var within = TrainingSet.ReadWithin(host, RecurrentTask.Multiclass, data.Schema["Label"], data.Schema["Features"], data, 3, input, values);
        var beyond = TrainingSet.ReadWithin(host, RecurrentTask.Multiclass, data.Schema["Label"], data.Schema["Features"], data, 3, input, values - 1);

        Assert.AreEqual(100, within?.RowCount);
        Assert.IsNull(beyond);
    }

    [TestMethod]
    public void Streamed_statistics_equal_those_of_the_same_rows_in_memory()
    {
        IHost host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        var rows = MarkerTasks.GenerateRegression(300, seed: 1);
        foreach (var row in rows)
            row.Features[3] = row.Features[3] * 1000 - 7;
        IDataView data = new MLContext(seed: 1).Data.LoadFromEnumerable(rows);
        SequenceInput input = SequenceInput.Fixed(OrderedMarkers.Steps, OrderedMarkers.StepSize);
        var label = data.Schema["Label"];
        var features = data.Schema["Features"];

        foreach (InputNormalization kind in Enum.GetValues<InputNormalization>())
        {
            var (heldScaling, heldLabels) = TrainingSet.Read(host, RecurrentTask.Regression, label, features, data, 1, input).FitStatistics(kind, OrderedMarkers.StepSize, true);
            var (streamedScaling, streamedLabels) = StreamedTrainingSet.Open(host, RecurrentTask.Regression, label, features, data, 1, input, 10, kind).FitStatistics(kind, OrderedMarkers.StepSize, true);

            CollectionAssert.AreEqual(heldScaling.ToBytes(), streamedScaling.ToBytes(), $"{kind}");
            Assert.AreEqual(heldLabels, streamedLabels, $"{kind}");
        }
    }
}
