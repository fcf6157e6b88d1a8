using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>The learning-rate schedules and warm-up at chosen steps, what training reports, and AdamW's weight decay.</summary>
[TestClass]
public sealed class LearningRateScheduleTests
{
    private const double Base = 0.01;

    [TestMethod]
    [DataRow(0L, Base)]
    [DataRow(9L, Base)]
    [DataRow(10L, Base * 0.5)]
    [DataRow(19L, Base * 0.5)]
    [DataRow(25L, Base * 0.25)]
    [DataRow(99L, Base / 512)]
    public void Step_multiplies_the_rate_by_the_decay_after_every_epoch(long step, double expected)
    {
        var schedule = new LearningRateScheduler(LearningRateSchedule.Step, Base, decay: 0.5, warmupSteps: 0, stepsPerEpoch: 10, totalSteps: 100);
        Assert.AreEqual(expected, schedule.RateAt(step), 1e-15);
    }

    [TestMethod]
    [DataRow(0L, Base / 4)]
    [DataRow(1L, Base / 2)]
    [DataRow(3L, Base)]
    [DataRow(4L, Base)]
    [DataRow(99L, Base)]
    public void Constant_keeps_the_rate_after_a_linear_warm_up(long step, double expected)
    {
        var schedule = new LearningRateScheduler(LearningRateSchedule.Constant, Base, decay: 0.5, warmupSteps: 4, stepsPerEpoch: 10, totalSteps: 100);
        Assert.AreEqual(expected, schedule.RateAt(step), 1e-15);
    }

    [TestMethod]
    public void Cosine_falls_from_the_full_rate_after_the_warm_up_to_nearly_zero_at_the_last_step()
    {
        var schedule = new LearningRateScheduler(LearningRateSchedule.Cosine, Base, decay: 0.5, warmupSteps: 10, stepsPerEpoch: 10, totalSteps: 110);

        Assert.AreEqual(Base / 10, schedule.RateAt(0), 1e-15, "warm-up starts at 1/W");
        Assert.AreEqual(Base / 2, schedule.RateAt(4), 1e-15);
        Assert.AreEqual(Base, schedule.RateAt(9), 1e-15, "the warm-up's last step is at the full rate");
        Assert.AreEqual(Base, schedule.RateAt(10), 1e-15, "the cosine starts at the full rate");
        Assert.AreEqual(Base / 2, schedule.RateAt(60), 1e-15, "half-way through the cosine");
        Assert.AreEqual(Base * 0.5 * (1 + Math.Cos(Math.PI * 99 / 100)), schedule.RateAt(109), 1e-15);
        Assert.IsLessThan(Base * 0.001, schedule.RateAt(109), "nearly 0 at the last step");
        for (long step = 10; step < 109; step++)
            Assert.IsLessThan(schedule.RateAt(step), schedule.RateAt(step + 1), $"falls at step {step}");
    }

    [TestMethod]
    public void Step_warm_up_scales_the_first_epochs_rate()
    {
        var schedule = new LearningRateScheduler(LearningRateSchedule.Step, Base, decay: 0.5, warmupSteps: 20, stepsPerEpoch: 10, totalSteps: 100);
        Assert.AreEqual(Base / 20, schedule.RateAt(0), 1e-15);
        Assert.AreEqual(Base * 0.5 * 15 / 20, schedule.RateAt(14), 1e-15);
        Assert.AreEqual(Base * 0.25, schedule.RateAt(20), 1e-15);
    }

    [TestMethod]
    public void Training_reports_the_step_schedules_rate_for_every_step_of_each_epoch()
    {
        var options = TinyModels.Sru(epochs: 3);
        options.LearningRateDecay = 0.5f;
        var rates = Rates(options);

        // 100 rows in batches of 32: 4 steps an epoch.
        CollectionAssert.AreEqual(new[] { 0.01f, 0.01f, 0.01f, 0.01f, 0.005f, 0.005f, 0.005f, 0.005f, 0.0025f, 0.0025f, 0.0025f, 0.0025f }, rates);
    }

    [TestMethod]
    public void Training_follows_a_cosine_schedule_with_warm_up()
    {
        var options = TinyModels.Sru(epochs: 3);
        options.LearningRateSchedule = LearningRateSchedule.Cosine;
        options.WarmupSteps = 2;
        var rates = Rates(options);

        var expected = new LearningRateScheduler(LearningRateSchedule.Cosine, 0.01f, 0.5f, 2, 4, 12);
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(s => (float)expected.RateAt(s)).ToArray(), rates);
        Assert.AreEqual(0.005f, rates[0]);
        Assert.IsLessThan(0.0005f, rates[^1]);
    }

    [TestMethod]
    public void Weight_decay_shrinks_the_weights()
    {
        double Norm(float weightDecay)
        {
            var ml = new MLContext(seed: 1);
            var options = TinyModels.Sru(epochs: 4);
            options.WeightDecay = weightDecay;
            using var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 1)).Model;
            return Math.Sqrt(model.Network.parameters().Sum(p => p.square().sum().item<float>()));
        }

        double plain = Norm(0), decayed = Norm(0.5f);
        Assert.IsLessThan(plain * 0.97, decayed, $"norm {decayed} with decay, {plain} without");
    }

    private static float[] Rates(RecurrentTrainerOptions options)
    {
        var steps = new List<TrainingProgress>();
        options.Progress = ProgressRecorder.Into(steps, TrainingProgressKind.Step);
        var ml = new MLContext(seed: 1);
        ml.MulticlassClassification.Trainers.Sru((SruTrainer.Options)options).Fit(OrderedMarkers.Load(ml, 100, seed: 1));
        return steps.Select(r => r.LearningRate).ToArray();
    }
}
