using Microsoft.ML.Data;
using Microsoft.ML.Sru.Tests.Reliability;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary><c>Fit(trainData, initialModel)</c>: training more epochs from a saved model's weights, and models that do not fit.</summary>
[TestClass]
public sealed class ContinueTrainingTests
{
    [TestMethod]
    public void A_model_loaded_from_a_zip_trains_on_from_its_weights_and_stays_unchanged_itself()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 600, seed: 1);
        IDataView test = OrderedMarkers.Load(ml, 300, seed: 2);
        var first = new List<TrainingProgress>();
        var model = ml.MulticlassClassification.Trainers.Sru(Options(first)).Fit(train);
        double accuracyBefore = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        using var zip = new MemoryStream();
        ml.Model.Save(model, train.Schema, zip);

        var fresh = new MLContext(seed: 2);
        var loaded = (RecurrentPredictionTransformer)fresh.Model.Load(new MemoryStream(zip.ToArray()), out _);
        float[][] loadedScores = RecurrentTrainerTests.Scores(loaded.Transform(test));
        var second = new List<TrainingProgress>();
        var continued = fresh.MulticlassClassification.Trainers.Sru(Options(second)).Fit(train, loaded.Model);
        double accuracyAfter = ml.MulticlassClassification.Evaluate(continued.Transform(test)).MicroAccuracy;

        string losses = $"first run {string.Join(", ", first.Select(r => r.Loss))}; continued {string.Join(", ", second.Select(r => r.Loss))}";
        Assert.IsLessThan(first[^1].Loss, second[0].Loss, $"the continued run starts where the first ended, not from scratch: {losses}");
        Assert.IsLessThan(first[^1].Loss, second[^1].Loss, $"and its loss keeps falling: {losses}");
        Assert.IsGreaterThanOrEqualTo(accuracyBefore, accuracyAfter, "test accuracy does not drop");
        Assert.IsTrue(TinyModels.SameScores(loadedScores, RecurrentTrainerTests.Scores(loaded.Transform(test))), "the initial model is not changed");
        Assert.AreNotSame(loaded.Model, continued.Model);
    }

    [TestMethod]
    public void A_GRU_continues_with_a_validation_set()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 300, seed: 1), validation = OrderedMarkers.Load(ml, 100, seed: 2);
        var first = new List<TrainingProgress>();
        var model = ml.MulticlassClassification.Trainers.Gru(Options(first, TinyModels.Gru(epochs: 3))).Fit(train, validation);
        var second = new List<TrainingProgress>();

        var continued = ml.MulticlassClassification.Trainers.Gru(Options(second, TinyModels.Gru(epochs: 2))).Fit(train, validation, model.Model);

        Assert.AreEqual("GRU", continued.Model.CellType);
        Assert.IsLessThan(first[^1].ValidationLoss!.Value, second[^1].ValidationLoss!.Value,
            $"validation loss {string.Join(", ", first.Concat(second).Select(r => r.ValidationLoss))}");
    }

    [TestMethod]
    public void A_model_of_another_shape_is_refused_naming_each_difference()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 64, seed: 1);
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train).Model;
        var options = TinyModels.Sru();
        options.HiddenSize = 16;
        options.NumberOfLayers = 2;

        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(options).Fit(train, model));

        Assert.AreEqual("initialModel", e.ParamName);
        StringAssert.Contains(e.Message, "HiddenSize is 8 in the model but 16 in the options");
        StringAssert.Contains(e.Message, "NumberOfLayers is 1 in the model but 2 in the options");
    }

    [TestMethod]
    public void A_model_of_another_cell_is_refused()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 64, seed: 1);
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train).Model;

        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Lstm(TinyModels.Lstm()).Fit(train, model));

        StringAssert.Contains(e.Message, "the model's cell is SRU but this trainer trains LSTM");
    }

    [TestMethod]
    public void Data_with_another_class_count_or_feature_length_is_refused_naming_the_column()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(OrderedMarkers.Load(ml, 64, seed: 1)).Model;
        IDataView twoClasses = OrderedMarkers.Load(ml, OrderedMarkers.Generate(64, seed: 2).Where(r => r.Label != 2));
        IDataView shorter = OrderedMarkers.LoadHalfLength(ml, 20);

        var classes = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(twoClasses, model));
        var features = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(shorter, model));

        StringAssert.Contains(classes.Message, "the model scores 3 classes but label column 'Label' has 2");
        StringAssert.Contains(features.Message, "the model reads 32 feature values but column 'Features' has 16");
    }

    [TestMethod]
    public void A_disposed_or_null_model_is_refused()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 64, seed: 1);
        var model = ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train).Model;
        model.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train, model));
        Assert.AreEqual("initialModel", Assert.ThrowsExactly<ArgumentNullException>(
            () => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()).Fit(train, (RecurrentModelParameters)null!)).ParamName);
    }

    private static SruTrainer.Options Options(List<TrainingProgress> epochs) => Options(epochs, TinyModels.Sru(epochs: 3));

    /// <summary>The options with epoch reports going to <paramref name="epochs"/>.</summary>
    private static T Options<T>(List<TrainingProgress> epochs, T options) where T : RecurrentTrainerOptions
    {
        options.Progress = ProgressRecorder.Into(epochs, TrainingProgressKind.Epoch);
        return options;
    }
}
