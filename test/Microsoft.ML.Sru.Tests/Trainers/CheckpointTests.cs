using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Checkpoints;
using Microsoft.ML.Sru.Tests.Reliability;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// Checkpoints: a run stopped at any step and resumed ends with the weights of a run never stopped (bit for bit, same
/// seed, same machine); a checkpoint of a different run is refused naming what differs; ResumeFromCheckpoint = false
/// starts over; only the newest KeepCheckpoints files stay; a damaged newest checkpoint falls back to the one before.
/// Not run beside other tests: bit-for-bit equality holds for one libtorch thread count, which is process-wide and which
/// another test's SRU training changes while it runs.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class CheckpointTests
{
    /// <summary>200 rows in batches of 32: 7 steps an epoch, the last of 8 rows.</summary>
    internal const int Rows = 200, StepsPerEpoch = 7, Seed = 5;

    [TestMethod]
    [DataRow("sru", new[] { 3 })]
    [DataRow("sru", new[] { 7, 9, 20 })]
    [DataRow("lstm", new[] { 1, 12 })]
    [DataRow("gru", new[] { 6, 14 })]
    public void A_run_stopped_and_resumed_ends_with_the_weights_of_an_uninterrupted_run(string cell, int[] stopAfterSteps)
    {
        byte[] uninterrupted = Weights(Train(cell, checkpoints: null));
        string directory = NewDirectory();

        foreach (int stop in stopAfterSteps)
            Assert.ThrowsExactly<OperationCanceledException>(() => Train(cell, directory, stopAfterStep: stop), $"stopped after step {stop}");
        var log = new List<string>();
        byte[] resumed = Weights(Train(cell, directory, log: log));

        CollectionAssert.AreEqual(uninterrupted, resumed, $"{cell} stopped after steps {string.Join(", ", stopAfterSteps)} and resumed");
        int last = stopAfterSteps[^1];
        Assert.IsTrue(log.Any(l => l.Contains("Resuming from checkpoint", StringComparison.Ordinal) && l.Contains($"epoch {last / StepsPerEpoch + 1}, after step {last % StepsPerEpoch} of {StepsPerEpoch}", StringComparison.Ordinal)),
            string.Join("\n", log));
    }

    [TestMethod]
    [DataRow(new[] { 4 })]
    [DataRow(new[] { 8, 19 })]
    [DataRow(new[] { 14, 27 })]
    public void With_a_validation_set_and_early_stopping_a_resumed_run_stops_at_the_same_epoch_with_the_same_best_weights(int[] stopAfterSteps)
    {
        var epochs = new List<TrainingProgress>();
        byte[] uninterrupted = Weights(Train("sru", checkpoints: null, validate: true, epochReports: epochs));
        Assert.IsLessThan(12, epochs.Count, "early stopping ended the uninterrupted run before MaxEpoch");
        Assert.IsTrue(stopAfterSteps[^1] < epochs.Count * StepsPerEpoch, "every stop falls inside the run");
        string directory = NewDirectory();

        foreach (int stop in stopAfterSteps)
            Assert.ThrowsExactly<OperationCanceledException>(() => Train("sru", directory, validate: true, stopAfterStep: stop));
        var resumedEpochs = new List<TrainingProgress>();
        byte[] resumed = Weights(Train("sru", directory, validate: true, epochReports: resumedEpochs));

        CollectionAssert.AreEqual(uninterrupted, resumed, "the best epoch's weights, restored at the end");
        Assert.AreEqual(epochs[^1].Epoch, resumedEpochs[^1].Epoch, "stopped early after the same epoch");
        CollectionAssert.AreEqual(epochs.Where(e => e.Epoch > stopAfterSteps[^1] / StepsPerEpoch).Select(e => e.ValidationLoss).ToList(),
            resumedEpochs.Select(e => e.ValidationLoss).ToList(), "the epochs after the resume validate the same");
    }

    [TestMethod]
    [DataRow(new[] { 3 }, false)]
    [DataRow(new[] { 9, 16 }, false)]
    [DataRow(new[] { 8, 19 }, true)]
    public void A_streamed_run_stopped_and_resumed_ends_with_the_weights_of_an_uninterrupted_streamed_run(int[] stopAfterSteps, bool validate)
    {
        // Each epoch's shuffle depends on the seed and the epoch only, so a resumed epoch reads its first batches again and trains on the rest.
        static void Streamed(RecurrentTrainerOptions options)
        {
            options.DataLoading = DataLoading.Streaming;
            options.ShuffleBufferSize = 40;
        }
        byte[] uninterrupted = Weights(Train("sru", checkpoints: null, validate: validate, configure: Streamed));
        byte[] inMemory = Weights(Train("sru", checkpoints: null, validate: validate));
        string directory = NewDirectory();

        foreach (int stop in stopAfterSteps)
            Assert.ThrowsExactly<OperationCanceledException>(() => Train("sru", directory, stopAfterStep: stop, validate: validate, configure: Streamed), $"stopped after step {stop}");
        var refused = Assert.ThrowsExactly<CheckpointMismatchException>(() => Train("sru", directory, validate: validate), "an in-memory run does not take a streamed run's checkpoint");
        byte[] resumed = Weights(Train("sru", directory, validate: validate, configure: Streamed));

        CollectionAssert.AreEqual(uninterrupted, resumed);
        CollectionAssert.AreNotEqual(inMemory, uninterrupted, "the stream shuffles otherwise than the rows in memory");
        StringAssert.Contains(refused.Message, "DataLoading");
    }

    [TestMethod]
    public void Fit_again_after_a_finished_run_returns_its_model_without_training()
    {
        string directory = NewDirectory();
        byte[] first = Weights(Train("sru", directory));
        var log = new List<string>();
        var steps = new List<TrainingProgress>();

        byte[] again = Weights(Train("sru", directory, log: log, stepReports: steps));

        CollectionAssert.AreEqual(first, again);
        Assert.IsEmpty(steps, "no step trained");
        Assert.IsTrue(log.Any(l => l.Contains("had finished (after epoch 3)", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [TestMethod]
    public void Only_the_newest_KeepCheckpoints_files_stay_named_by_the_steps_done()
    {
        string directory = NewDirectory();

        Train("sru", directory, keep: 2);

        CollectionAssert.AreEqual(new[] { "checkpoint-000000000020.srucheckpoint", "checkpoint-000000000021.srucheckpoint" },
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        foreach (string file in Directory.GetFiles(directory))
            Assert.IsTrue(TrainingCheckpoint.Read(file).State.Finished == file.EndsWith("21.srucheckpoint", StringComparison.Ordinal), file);
    }

    [TestMethod]
    public void Once_per_epoch_by_default()
    {
        string directory = NewDirectory();
        var options = TinyModels.Sru(epochs: 3);
        options.CheckpointDirectory = directory;
        options.KeepCheckpoints = 10;

        new MLContext(seed: Seed).MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(new MLContext(seed: 1), Rows, seed: 1));

        CollectionAssert.AreEqual(new[] { 7, 14, 21 }.Select(s => $"checkpoint-{s:D12}.srucheckpoint").ToArray(),
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
    }

    [TestMethod]
    [DataRow("BatchSize", "BatchSize: 32 in the checkpoint, 16 now", 1)]
    [DataRow("HiddenSize", "HiddenSize: 8 in the checkpoint, 12 now", 1)]
    [DataRow("rows", "training rows: 200 in the checkpoint, 180 now", 2)]
    [DataRow("data", "training data (SHA-256 of the usable rows): ", 1)]
    [DataRow("cell", "cell: SRU in the checkpoint, GRU now", 10)]
    [DataRow("validation", "validation rows: none in the checkpoint, 150 now", 4)]
    [DataRow("InputNormalization", "InputNormalization: Global in the checkpoint, PerStepPosition now", 2)] // and the scaled rows' hash
    public void A_checkpoint_of_a_different_run_is_refused_naming_what_differs(string change, string expected, int differences)
    {
        string directory = NewDirectory();
        Assert.ThrowsExactly<OperationCanceledException>(() => Train("sru", directory, stopAfterStep: 9));
        string[] before = Directory.GetFiles(directory);

        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => Train(change == "cell" ? "gru" : "sru", directory,
            rows: change == "rows" ? 180 : Rows, dataSeed: change == "data" ? 2 : 1, validate: change == "validation",
            configure: o =>
            {
                if (change == "BatchSize")
                    o.BatchSize = 16;
                if (change == "HiddenSize")
                    o.HiddenSize = 12;
                if (change == "InputNormalization")
                    o.InputNormalization = InputNormalization.PerStepPosition;
            }));

        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, "ResumeFromCheckpoint = false");
        StringAssert.Contains(e.Message, Path.Combine(directory, "checkpoint-000000000009.srucheckpoint"));
        Assert.HasCount(differences, e.Differences, string.Join("\n", e.Differences));
        CollectionAssert.AreEquivalent(before, Directory.GetFiles(directory), "the refused checkpoints are left alone");
    }

    [TestMethod]
    public void ResumeFromCheckpoint_false_starts_over_and_replaces_the_checkpoints()
    {
        string directory = NewDirectory();
        Assert.ThrowsExactly<OperationCanceledException>(() => Train("sru", directory, stopAfterStep: 9, configure: o => o.BatchSize = 16));
        byte[] uninterrupted = Weights(Train("sru", checkpoints: null));

        byte[] fresh = Weights(Train("sru", directory, configure: o => o.ResumeFromCheckpoint = false));

        CollectionAssert.AreEqual(uninterrupted, fresh);
        Assert.IsTrue(Directory.GetFiles(directory).All(f => TrainingCheckpoint.Read(f).Fingerprint.Items.Contains(("BatchSize", "32"))), "only the new run's checkpoints");
    }

    [TestMethod]
    public void A_damaged_newest_checkpoint_is_skipped_with_a_warning_and_the_one_before_resumes_exactly()
    {
        byte[] uninterrupted = Weights(Train("sru", checkpoints: null));
        string directory = NewDirectory();
        Assert.ThrowsExactly<OperationCanceledException>(() => Train("sru", directory, stopAfterStep: 10));
        string newest = Path.Combine(directory, "checkpoint-000000000010.srucheckpoint");
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(newest, bytes);
        var log = new List<string>();

        byte[] resumed = Weights(Train("sru", directory, log: log));

        CollectionAssert.AreEqual(uninterrupted, resumed);
        Assert.IsTrue(log.Any(l => l.Contains($"Checkpoint '{newest}' cannot be read (The SHA-256 checksum", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.IsTrue(log.Any(l => l.Contains("checkpoint-000000000009.srucheckpoint': epoch 2, after step 2 of 7", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [TestMethod]
    public void When_no_checkpoint_reads_Fit_refuses_naming_each_file()
    {
        string directory = NewDirectory();
        File.WriteAllBytes(Path.Combine(directory, "checkpoint-000000000003.srucheckpoint"), new byte[100]);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Train("sru", directory));

        StringAssert.Contains(e.Message, "checkpoint-000000000003.srucheckpoint': It is not a training checkpoint");
        StringAssert.Contains(e.Message, "ResumeFromCheckpoint = false");
    }

    [TestMethod]
    public void A_leftover_temporary_file_of_an_interrupted_write_is_deleted_and_never_read()
    {
        string directory = NewDirectory();
        string partial = Path.Combine(directory, ".checkpoint-000000000007.srucheckpoint.0123456789abcdef.partial");
        File.WriteAllBytes(partial, new byte[10]);

        Train("sru", directory);

        Assert.IsFalse(File.Exists(partial));
    }

    [TestMethod]
    [DataRow(nameof(RecurrentTrainerOptions.KeepCheckpoints), 0)]
    [DataRow(nameof(RecurrentTrainerOptions.KeepCheckpoints), 1001)]
    [DataRow(nameof(RecurrentTrainerOptions.CheckpointEveryNSteps), -1)]
    public void Checkpoint_counts_out_of_range_are_refused_naming_the_option(string option, int value)
    {
        var options = TinyModels.Sru();
        typeof(RecurrentTrainerOptions).GetProperty(option)!.SetValue(options, value);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.Sru(options));

        Assert.AreEqual(option, e.ParamName);
    }

    [TestMethod]
    public void A_CheckpointDirectory_that_is_blank_or_a_file_is_refused_naming_the_option()
    {
        string file = Path.Combine(NewDirectory(), "a-file");
        File.WriteAllText(file, "x");
        foreach (string value in new[] { " ", file })
        {
            var options = TinyModels.Sru();
            options.CheckpointDirectory = value;
            var e = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().MulticlassClassification.Trainers.Sru(options));
            Assert.AreEqual(nameof(RecurrentTrainerOptions.CheckpointDirectory), e.ParamName);
        }
    }

    /// <summary>Trains a tiny model of <paramref name="cell"/> for 3 epochs (12 with <paramref name="validate"/>), checkpointing every step.</summary>
    internal static RecurrentPredictionTransformer Train(string cell, string? checkpoints, int stopAfterStep = 0, bool validate = false,
        int rows = Rows, int dataSeed = 1, int keep = 3, Action<RecurrentTrainerOptions>? configure = null, List<string>? log = null,
        List<TrainingProgress>? epochReports = null, List<TrainingProgress>? stepReports = null)
    {
        RecurrentTrainerOptions options = TinyModels.For(cell, epochs: validate && cell == "sru" ? 12 : 3);
        options.CheckpointDirectory = checkpoints;
        options.CheckpointEveryNSteps = 1;
        options.KeepCheckpoints = keep;
        if (validate)
            options.EarlyStoppingPatience = 2;
        using var cancellation = new CancellationTokenSource();
        options.CancellationToken = cancellation.Token;
        options.Progress = new SynchronousProgress<TrainingProgress>(report =>
        {
            if (report.Kind == TrainingProgressKind.Epoch)
                epochReports?.Add(report);
            else
                stepReports?.Add(report);
            if (report.Kind == TrainingProgressKind.Step && (report.Epoch - 1) * report.StepsPerEpoch + report.Step == stopAfterStep)
                cancellation.Cancel();
        });
        configure?.Invoke(options);

        var ml = new MLContext(seed: Seed);
        if (log is not null)
            ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var data = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(data, rows, seed: dataSeed);
        RecurrentTrainerBase trainer = CellTrainers.Trainer(ml, options);
        if (!validate)
            return trainer.Fit(train);
        return trainer.Fit(train, ValidationSetTests.Misleading(data));
    }

    /// <summary>The model's weights as bytes, in state-dict order.</summary>
    [TestMethod]
    [DataRow(MarkerTasks.Binary)]
    [DataRow(MarkerTasks.Regression)]
    public void A_binary_or_regression_run_stopped_and_resumed_ends_with_the_weights_of_an_uninterrupted_run_and_refuses_another_tasks(string task)
    {
        RecurrentPredictionTransformer Run(string what, string? directory, int stopAfterStep = 0)
        {
            RecurrentTrainerOptions options = TinyModels.For("sru", epochs: 3);
            options.CheckpointDirectory = directory;
            options.CheckpointEveryNSteps = 1;
            using var cancellation = new CancellationTokenSource();
            options.CancellationToken = cancellation.Token;
            options.Progress = new SynchronousProgress<TrainingProgress>(report =>
            {
                if (report.Kind == TrainingProgressKind.Step && (report.Epoch - 1) * report.StepsPerEpoch + report.Step == stopAfterStep)
                    cancellation.Cancel();
            });
            // The same features for both tasks: only the label differs.
            return CellTrainers.Trainer(new MLContext(seed: Seed), options, what).Fit(MarkerTasks.Load(new MLContext(seed: 1), what, Rows, seed: 1));
        }
        byte[] uninterrupted = Weights(Run(task, null));
        string directory = NewDirectory();

        Assert.ThrowsExactly<OperationCanceledException>(() => Run(task, directory, stopAfterStep: 9));
        string other = task == MarkerTasks.Binary ? MarkerTasks.Regression : MarkerTasks.Binary;
        var refused = Assert.ThrowsExactly<CheckpointMismatchException>(() => Run(other, directory));
        byte[] resumed = Weights(Run(task, directory));

        CollectionAssert.AreEqual(uninterrupted, resumed, $"{task} stopped after step 9 and resumed");
        StringAssert.Contains(refused.Message, "task");
    }

    internal static byte[] Weights(RecurrentPredictionTransformer model)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
            model.Model.WriteWeights(writer);
        model.Dispose();
        return buffer.ToArray();
    }

    private string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "sru-checkpoints-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        return directory;
    }

    private readonly List<string> _directories = [];

    [TestCleanup]
    public void DeleteDirectories()
    {
        foreach (string directory in _directories)
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
