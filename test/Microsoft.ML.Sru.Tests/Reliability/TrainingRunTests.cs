using System.Text.RegularExpressions;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Trainers;
using Microsoft.ML.Sru.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// A training run that diverges stops with an error naming the epoch and step and never returns a model;
/// a cancelled run stops before the next batch.
/// </summary>
[TestClass]
public sealed class TrainingRunTests
{
    [TestMethod]
    [DataRow(1e38f)]
    [DataRow(float.MaxValue)]
    public void Features_large_enough_to_overflow_stop_training_naming_epoch_and_step(float value)
    {
        // Finite, so not skipped as bad rows, but X·W overflows: the first loss is infinite or NaN.
        var ml = new MLContext(seed: 1);
        var rows = OrderedMarkers.Generate(200, seed: 1).Select(r => new KeyRow { Features = Enumerable.Repeat(value, OrderedMarkers.FeatureCount).ToArray(), Label = r.Label });
        var options = TinyModels.Sru();
        options.LearningRate = 10;
        options.GradientClipNorm = 0;
        // Raw values reach the network: normalized ones are clipped and cannot overflow.
        options.InputNormalization = InputNormalization.None;

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Matches(e.Message, new Regex(@"^Training diverged: the loss became (NaN|Infinity|-Infinity) at epoch 1, step 1\. Lower LearningRate or set GradientClipNorm\.$"));
    }

    [TestMethod]
    public void One_overflowing_row_stops_training_at_the_step_of_its_batch()
    {
        var ml = new MLContext(seed: 2);
        var rows = OrderedMarkers.Generate(320, seed: 2).Select(r => new KeyRow { Features = r.Features, Label = r.Label }).ToList();
        Array.Fill(rows[123].Features, float.MaxValue);
        var steps = new List<int>();
        ml.Log += (_, e) =>
        {
            var match = Regex.Match(e.Message, @"Epoch 1, step (\d+)/10:");
            if (match.Success)
                lock (steps)
                    steps.Add(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        };
        var options = TinyModels.Sru();
        options.LogEveryNSteps = 1;
        // Raw values reach the network: normalized ones are clipped and cannot overflow.
        options.InputNormalization = InputNormalization.None;

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(ml.Data.LoadFromEnumerable(rows)));

        var failed = Regex.Match(e.Message, @"at epoch 1, step (\d+)\.");
        Assert.IsTrue(failed.Success, e.Message);
        int step = int.Parse(failed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(step is >= 1 and <= 10, e.Message);
        CollectionAssert.AreEqual(Enumerable.Range(1, step - 1).ToList(), steps, "every step before the poisoned batch completed and was logged, and none after");
    }

    [TestMethod]
    public void Weights_that_become_NaN_on_an_epochs_last_step_stop_training_instead_of_returning_the_model()
    {
        // The loss of a step is computed before its update; an update that breaks the weights on the last step of
        // training would otherwise go unseen. A recurrence whose forward is exact but whose gradient is NaN does that.
        IHostEnvironment env = new MLContext(seed: 3);
        IHost host = env.Register("test");
        using IChannel channel = host.Start("test");
        IDataView data = OrderedMarkers.Load(new MLContext(seed: 3), 64, seed: 3);
        TrainingSet set = TrainingSet.Read(host, RecurrentTask.Multiclass, data.Schema["Label"], data.Schema["Features"], data, classCount: 3, SequenceInput.Fixed(OrderedMarkers.Steps, OrderedMarkers.StepSize));
        var options = TinyModels.Sru();
        options.BatchSize = 64;
        using SequenceClassifier network = TinyModels.Spec.Build();
        foreach (SruLayer layer in network.SruLayers)
            layer.Recurrence = new NaNGradientRecurrence();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new TrainingLoop(host, channel, options, TrainingPlan.For(options, set.RowCount, set.Input.Kind), CPU, seed: 3).Run(network, set));

        Assert.AreEqual("Training diverged: the weights became NaN or infinite at epoch 1, step 1 (the epoch's last). Lower LearningRate or set GradientClipNorm.", e.Message);
    }

    [TestMethod]
    public void Cancelling_stops_training_before_the_next_batch()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 640, seed: 1);
        var options = TinyModels.Sru(epochs: 100);
        options.LogEveryNSteps = 1;
        int stepsLogged = 0, stepsAfterCancel = -1;
        ml.Log += (_, e) =>
        {
            if (!Regex.IsMatch(e.Message, @"Epoch \d+, step \d+/\d+:"))
                return;
            if (Interlocked.Increment(ref stepsLogged) == 3)
            {
                RecurrentTrainerTests.CancelExecution(ml);
                stepsAfterCancel = 0;
            }
            else if (stepsAfterCancel >= 0)
            {
                Interlocked.Increment(ref stepsAfterCancel);
            }
        };

        Assert.Throws<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(data));

        Assert.AreEqual(0, stepsAfterCancel, "cancelled while step 3 was being logged: no further batch may run");
        Assert.AreEqual(3, stepsLogged);
    }

    [TestMethod]
    public void The_options_cancellation_token_stops_training_before_the_next_batch()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 640, seed: 1);
        using var cancellation = new CancellationTokenSource();
        var options = TinyModels.Sru(epochs: 100);
        int steps = 0;
        options.CancellationToken = cancellation.Token;
        options.Progress = new SynchronousProgress<TrainingProgress>(report =>
        {
            if (report.Kind == TrainingProgressKind.Step && ++steps == 3)
                cancellation.Cancel();
        });

        Assert.Throws<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(data));
        Assert.AreEqual(3, steps, "no batch ran after the token was cancelled");
    }

    [TestMethod]
    public void Cancelling_from_another_thread_stops_training_within_a_batch_or_two()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 640, seed: 1);
        var options = TinyModels.Sru(epochs: 100);
        options.LogEveryNSteps = 1;
        int stepsLogged = 0;
        using var running = new ManualResetEventSlim();
        ml.Log += (_, e) =>
        {
            if (Regex.IsMatch(e.Message, @"Epoch \d+, step \d+/\d+:") && Interlocked.Increment(ref stepsLogged) == 5)
                running.Set();
        };
        var fit = Task.Run(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(data));
        Assert.IsTrue(running.Wait(TimeSpan.FromMinutes(1)), "training did not start");

        RecurrentTrainerTests.CancelExecution(ml);
        int atCancel = Volatile.Read(ref stepsLogged);
        var e = Assert.Throws<AggregateException>(() => fit.Wait(TimeSpan.FromMinutes(1)));

        Assert.IsInstanceOfType<OperationCanceledException>(e.InnerException);
        // The batch in progress when the host was cancelled may finish; the next one must not start.
        Assert.IsLessThanOrEqualTo(atCancel + 1, Volatile.Read(ref stepsLogged));
    }

    /// <summary>A row with a three-class key label: LoadFromEnumerable reads a [KeyType(3)] value v as the key v + 1.</summary>
    private sealed class KeyRow
    {
        [VectorType(OrderedMarkers.FeatureCount)]
        public float[] Features { get; set; } = [];

        [KeyType(3)]
        public uint Label { get; set; }
    }

    /// <summary>The reference recurrence plus sqrt(0·z): the same forward values, a NaN gradient (∞ · 0).</summary>
    private sealed class NaNGradientRecurrence : ISruRecurrence
    {
        public Tensor Project(Tensor input, Tensor weight) => SruRecurrence.Reference.Project(input, weight);

        public Tensor Forward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip, SruActivation activation, int[]? lengths = null) =>
            SruRecurrence.Reference.Forward(u, bias, cellWeights, skip, activation, lengths) + (u.select(3, 0) * 0).sqrt();
    }
}
