using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Trainers;

[TestClass]
public sealed class TrainingLengthTests
{
    [TestMethod]
    [DataRow(60_000, false, 3, 0, 0)]
    [DataRow(100_000, false, 3, 0, 0)]
    [DataRow(10_000, false, 20, 1_000, 5)]
    [DataRow(2_000, false, 100, 200, 5)]
    [DataRow(2_000, true, 90, 0, 5)]
    [DataRow(40, false, 100, 0, 0)]
    public void Without_MaxEpoch_small_sets_train_more_epochs_and_stop_on_held_out_rows(int rows, bool validationSet, int epochs, int heldOut, int patience)
    {
        var options = new SruTrainer.Options();

        TrainingPlan plan = TrainingPlan.For(options, rows, validationSet);

        Assert.AreEqual(new TrainingPlan(epochs, patience, true, heldOut), plan);
    }

    [TestMethod]
    public void An_explicit_MaxEpoch_is_exactly_the_epochs_run_and_holds_nothing_out()
    {
        var options = new LstmTrainer.Options { MaxEpoch = 7, EarlyStoppingPatience = 2 };

        Assert.AreEqual(new TrainingPlan(7, 2, true, 0), TrainingPlan.For(options, 500, hasValidationSet: false));
        Assert.AreEqual(new TrainingPlan(7, 2, true, 0), TrainingPlan.For(options, 500, hasValidationSet: true));
    }

    [TestMethod]
    public void A_tiny_set_trains_more_epochs_than_a_large_one_under_the_default_rule()
    {
        int EpochsPlanned(int rows)
        {
            var reports = new List<TrainingProgress>();
            using var stop = new CancellationTokenSource();
            var options = TinyModels.Sru();
            options.MaxEpoch = null;
            options.Progress = new SynchronousProgress<TrainingProgress>(r =>
            {
                reports.Add(r);
                stop.Cancel();
            });
            options.CancellationToken = stop.Token;
            var ml = new MLContext(seed: 1);
            Assert.ThrowsExactly<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, rows, seed: 1)));
            return reports[0].MaxEpoch;
        }

        int small = EpochsPlanned(300), large = EpochsPlanned(30_000);

        Assert.AreEqual(100, small);
        Assert.AreEqual(7, large); // 180,000 rows seen / 27,000 trained on, rounded up
    }

    [TestMethod]
    public void An_explicit_MaxEpoch_runs_exactly_that_many_epochs()
    {
        var reports = new List<TrainingProgress>();
        var options = TinyModels.Sru(epochs: 4);
        options.Progress = ProgressRecorder.Into(reports, TrainingProgressKind.Epoch);
        var ml = new MLContext(seed: 1);
        ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 100, seed: 1));

        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, reports.Select(r => r.Epoch).ToArray());
        Assert.IsTrue(reports.All(r => r.ValidationLoss is null), "an explicit MaxEpoch holds out nothing");
    }

    [TestMethod]
    public void The_default_rule_holds_out_rows_stops_early_keeps_the_best_epoch_and_is_deterministic()
    {
        (float[][] Scores, List<TrainingProgress> Epochs, List<string> Log) Run()
        {
            var reports = new List<TrainingProgress>();
            var log = new List<string>();
            var options = TinyModels.Sru();
            options.MaxEpoch = null;
            options.LearningRate = 0.05f; // large enough to overfit 90 rows soon, so that the run stops early
            options.Progress = ProgressRecorder.Into(reports, TrainingProgressKind.Epoch);
            var ml = new MLContext(seed: 3);
            ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
            var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 100, seed: 2));
            return (TinyModels.Scores(model), reports, log);
        }

        var first = Run();
        var second = Run();

        Assert.IsTrue(first.Log.Any(m => m.Contains("holding out 10 of the training rows", StringComparison.Ordinal)), "the held-out slice is logged");
        Assert.IsTrue(first.Epochs.All(r => r.ValidationLoss is not null && r.MaxEpoch == 100));
        Assert.IsTrue(first.Epochs.Count < 100, $"ran {first.Epochs.Count} epochs: early stopping never stopped it");
        int best = first.Epochs.MinBy(r => r.ValidationLoss!.Value)!.Epoch;
        Assert.AreEqual(best + TrainingPlan.AutomaticPatience, first.Epochs.Count, "stops after the patience");
        Assert.IsTrue(first.Log.Any(m => m.Contains($"Keeping the weights of epoch {best}", StringComparison.Ordinal)), "restores the best epoch");
        Assert.IsTrue(TinyModels.SameScores(first.Scores, second.Scores), "same seed and data, same model");
    }
}
