using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Trainers;

[TestClass]
public sealed class TrainingLengthTests
{
    [TestMethod]
    [DataRow(60_000, 3)]
    [DataRow(100_000, 3)]
    [DataRow(10_000, 18)]
    [DataRow(2_000, 90)]
    [DataRow(40, 100)]
    public void Without_MaxEpoch_small_sets_train_more_epochs(int rows, int epochs)
    {
        var options = new SruTrainer.Options();

        Assert.AreEqual(epochs, TrainingPlan.For(options, rows, SequenceInputKind.FixedLength).Epochs);
    }

    [TestMethod]
    [DataRow(60_000, 200f / 60_000)]
    [DataRow(10_000, 0.02f)]
    [DataRow(2_000, 0.1f)]
    [DataRow(40, 0.1f)]
    public void Without_WeightDecay_the_SRU_decays_by_200_rows_worth(int rows, float weightDecay)
    {
        Assert.AreEqual(weightDecay, TrainingPlan.For(new SruTrainer.Options(), rows, SequenceInputKind.FixedLength).WeightDecay, 1e-7f);
        Assert.AreEqual(weightDecay, TrainingPlan.For(new SruTrainer.Options(), rows, SequenceInputKind.VariableLength).WeightDecay, 1e-7f);
        Assert.AreEqual(0f, TrainingPlan.For(new SruTrainer.Options(), rows, SequenceInputKind.Tokens).WeightDecay, "tokens' embedding rows are not decayed");
    }

    [TestMethod]
    public void An_SRU_Fit_without_WeightDecay_trains_with_the_chosen_decay()
    {
        float[][] Scores(float? weightDecay)
        {
            var options = TinyModels.Sru(epochs: 3);
            options.WeightDecay = weightDecay;
            var ml = new MLContext(seed: 3);
            return TinyModels.Scores(ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 2)));
        }

        float[][] automatic = Scores(null);

        Assert.IsTrue(TinyModels.SameScores(Scores(TrainingPlan.MaxAutomaticWeightDecay), automatic), "300 rows: the largest automatic decay");
        Assert.IsFalse(TinyModels.SameScores(Scores(0), automatic), "which is not plain Adam");
    }

    [TestMethod]
    public void The_LSTM_and_GRU_default_to_plain_Adam_and_an_explicit_WeightDecay_is_kept()
    {
        Assert.AreEqual(0f, TrainingPlan.For(new LstmTrainer.Options(), 2_000, SequenceInputKind.FixedLength).WeightDecay);
        Assert.AreEqual(0f, TrainingPlan.For(new GruTrainer.Options(), 2_000, SequenceInputKind.FixedLength).WeightDecay);
        Assert.AreEqual(0.05f, TrainingPlan.For(new SruTrainer.Options { WeightDecay = 0.05f }, 2_000, SequenceInputKind.FixedLength).WeightDecay);
        Assert.AreEqual(0f, TrainingPlan.For(new SruTrainer.Options { WeightDecay = 0 }, 2_000, SequenceInputKind.FixedLength).WeightDecay);
    }

    [TestMethod]
    public void An_explicit_MaxEpoch_is_exactly_the_epochs_run()
    {
        var options = new LstmTrainer.Options { MaxEpoch = 7, EarlyStoppingPatience = 2 };

        Assert.AreEqual(new TrainingPlan(7, 2, true, 0), TrainingPlan.For(options, 500, SequenceInputKind.FixedLength));
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
        Assert.AreEqual(6, large); // 180,000 rows seen / 30,000
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
    public void The_default_rule_runs_every_planned_epoch_on_every_row_and_is_deterministic()
    {
        (float[][] Scores, List<TrainingProgress> Epochs) Run()
        {
            var reports = new List<TrainingProgress>();
            var options = TinyModels.Sru();
            options.MaxEpoch = null;
            options.Progress = ProgressRecorder.Into(reports, TrainingProgressKind.Epoch);
            var ml = new MLContext(seed: 3);
            var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 3_000, seed: 2));
            return (TinyModels.Scores(model), reports);
        }

        var first = Run();
        var second = Run();

        CollectionAssert.AreEqual(Enumerable.Range(1, 60).ToArray(), first.Epochs.Select(r => r.Epoch).ToArray(), "180,000 rows seen / 3,000");
        Assert.IsTrue(first.Epochs.All(r => r.ValidationLoss is null), "nothing held out");
        Assert.IsTrue(TinyModels.SameScores(first.Scores, second.Scores), "same seed and data, same model");
    }
}
