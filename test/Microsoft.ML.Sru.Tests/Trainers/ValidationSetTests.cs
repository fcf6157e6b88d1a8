using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Tests.Reliability;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// <c>Fit(trainData, validationData)</c>: validation figures every epoch in the log and the progress reports, early
/// stopping, keeping the best epoch's weights, and validation sets that do not match the training data.
/// </summary>
[TestClass]
public sealed class ValidationSetTests
{
    [TestMethod]
    public void Validation_loss_and_accuracy_are_reported_every_epoch_in_the_log_and_the_progress()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var reports = new List<TrainingProgress>();
        var options = TinyModels.Sru(epochs: 3);
        options.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);

        ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 1), OrderedMarkers.Load(ml, 100, seed: 2));

        var epochs = reports.Where(r => r.Kind == TrainingProgressKind.Epoch).ToArray();
        Assert.HasCount(3, epochs);
        Assert.IsTrue(epochs.All(r => r.ValidationLoss is > 0 and < 10 && r.ValidationAccuracy is >= 0 and <= 1), "every epoch has validation figures");
        Assert.IsTrue(reports.Where(r => r.Kind == TrainingProgressKind.Step).All(r => r.ValidationLoss is null), "steps have none");
        Assert.AreEqual(3, log.Count(l => l.Contains("validation loss", StringComparison.Ordinal) && l.Contains("validation accuracy", StringComparison.Ordinal)),
            string.Join("\n", log));
        Assert.IsTrue(log.Any(l => l.Contains("validating on 100 rows", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [TestMethod]
    public void Training_stops_after_the_patience_and_keeps_the_best_epochs_weights()
    {
        var ml = new MLContext(seed: 1);
        IDataView validation = Misleading(ml);
        var options = TinyModels.Sru(epochs: 20);
        options.EarlyStoppingPatience = 2;
        var epochs = new List<TrainingProgress>();
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);

        var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 1), validation);

        // The validation labels contradict the task, so its loss rises as the model learns: the best epoch is an early one.
        int best = BestEpoch(epochs);
        Assert.HasCount(best + 2, epochs, $"stopped two epochs after the best ({best}): {Describe(epochs)}");
        Assert.IsLessThan(20, epochs.Count);
        double logLoss = ml.MulticlassClassification.Evaluate(model.Transform(validation)).LogLoss;
        Assert.AreEqual(epochs[best - 1].ValidationLoss!.Value, logLoss, 1e-3, $"the model has epoch {best}'s weights: {Describe(epochs)}");
    }

    [TestMethod]
    public void Without_KeepBestModel_the_last_epochs_weights_are_kept()
    {
        var ml = new MLContext(seed: 1);
        IDataView validation = Misleading(ml);
        var options = TinyModels.Sru(epochs: 4);
        options.KeepBestModel = false;
        var epochs = new List<TrainingProgress>();
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);

        var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 1), validation);

        Assert.HasCount(4, epochs, "no early stopping by default");
        Assert.AreNotEqual(4, BestEpoch(epochs), $"the test needs a last epoch that is not the best: {Describe(epochs)}");
        double logLoss = ml.MulticlassClassification.Evaluate(model.Transform(validation)).LogLoss;
        Assert.AreEqual(epochs[^1].ValidationLoss!.Value, logLoss, 1e-3, Describe(epochs));
    }

    [TestMethod]
    public void Validation_rows_with_NaN_or_a_missing_label_are_skipped_with_a_warning()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var rows = OrderedMarkers.Generate(60, seed: 2);
        rows[3].Features[5] = float.NaN;
        rows[9].Features[0] = float.PositiveInfinity;
        IDataView validation = OrderedMarkers.Load(ml, rows);
        var options = TinyModels.Sru();
        var epochs = new List<TrainingProgress>();
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);

        ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 100, seed: 1), validation);

        Assert.IsTrue(warnings.Any(w => w.Contains("Skipped 2 validation rows with NaN or infinite values in column 'Features'.", StringComparison.Ordinal)),
            string.Join("\n", warnings));
        Assert.IsTrue(float.IsFinite(epochs.Single().ValidationLoss!.Value));
    }

    [TestMethod]
    public void A_validation_set_without_the_feature_column_is_named()
    {
        var ml = new MLContext(seed: 1);
        IDataView validation = ml.Transforms.DropColumns("Features").Fit(OrderedMarkers.Load(ml, 20, seed: 2)).Transform(OrderedMarkers.Load(ml, 20, seed: 2));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(ml, validation));

        Assert.AreEqual("Features", e.ParamName);
        StringAssert.Contains(e.Message, "validation set has no column 'Features'");
    }

    [TestMethod]
    public void A_validation_set_of_another_vector_size_is_named()
    {
        var ml = new MLContext(seed: 1);
        IDataView validation = OrderedMarkers.LoadHalfLength(ml, 20);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(ml, validation));

        Assert.AreEqual("Features", e.ParamName);
        StringAssert.Contains(e.Message, "validation set's feature column 'Features' is Vector<Single, 16>");
        StringAssert.Contains(e.Message, "Vector<Single, 32>");
    }

    [TestMethod]
    public void A_validation_label_with_another_key_count_is_named()
    {
        var ml = new MLContext(seed: 1);
        // Mapped on its own, a validation set with only two of the classes gets a two-valued key.
        IDataView validation = OrderedMarkers.Load(ml, OrderedMarkers.Generate(60, seed: 2).Where(r => r.Label != 2));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(ml, validation));

        Assert.AreEqual("Label", e.ParamName);
        StringAssert.Contains(e.Message, "validation set's label column 'Label' is Key<UInt32, 0-1>");
        StringAssert.Contains(e.Message, "MapValueToKey");
    }

    [TestMethod]
    public void A_validation_label_that_is_not_a_key_is_named()
    {
        var ml = new MLContext(seed: 1);
        IDataView validation = ml.Data.LoadFromEnumerable(OrderedMarkers.Generate(20, seed: 2));

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(ml, validation));

        Assert.AreEqual("Label", e.ParamName);
        StringAssert.Contains(e.Message, "'Label'");
    }

    [TestMethod]
    public void A_null_validation_set_is_rejected()
    {
        var ml = new MLContext(seed: 1);
        Assert.AreEqual("validationData", Assert.ThrowsExactly<ArgumentNullException>(() => Fit(ml, null!)).ParamName);
    }

    private static void Fit(MLContext ml, IDataView validation)
        => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(OrderedMarkers.Load(ml, 64, seed: 1), validation);

    /// <summary>Rows of the task whose labels are shifted by one class: the better a model learns the task, the worse it does on these.</summary>
    /// <summary>Labels that contradict the task: the validation loss rises as the model learns, so early stopping ends a run.</summary>
    internal static IDataView Misleading(MLContext ml)
        => OrderedMarkers.Load(ml, OrderedMarkers.Generate(150, seed: 2).Select(r => new OrderedMarkers.Row { Features = r.Features, Label = (r.Label + 1) % 3 }));

    internal static int BestEpoch(List<TrainingProgress> epochs) => epochs.MinBy(r => r.ValidationLoss!.Value)!.Epoch;

    private static string Describe(List<TrainingProgress> epochs)
        => string.Join(", ", epochs.Select(r => FormattableString.Invariant($"{r.Epoch}: {r.ValidationLoss:F4}")));
}
