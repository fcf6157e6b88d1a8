using Microsoft.ML.Data;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Reliability;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>The SRU 2.x options of <see cref="SruTrainer.Options"/>: validation, training, and the model zip.</summary>
[TestClass]
public sealed class SruOptionsTests
{
    /// <summary>Each option on its own, then all of them together (names for the test report).</summary>
    public static IEnumerable<object[]> Configurations()
    {
        yield return ["Bidirectional", (Action<SruTrainer.Options>)(o => o.Bidirectional = true)];
        yield return ["UseCellStateWeights", (Action<SruTrainer.Options>)(o => o.UseCellStateWeights = true)];
        yield return ["Activation", (Action<SruTrainer.Options>)(o => o.Activation = SruActivation.Identity)];
        yield return ["HighwayBias", (Action<SruTrainer.Options>)(o => o.HighwayBias = -2)];
        yield return ["Rescale", (Action<SruTrainer.Options>)(o => { o.Rescale = true; o.HighwayBias = -1; })];
        yield return ["Dropout", (Action<SruTrainer.Options>)(o => o.Dropout = 0.2f)];
        yield return ["LayerNorm before", (Action<SruTrainer.Options>)(o => o.LayerNorm = SruLayerNorm.BeforeRecurrence)];
        yield return ["LayerNorm after", (Action<SruTrainer.Options>)(o => o.LayerNorm = SruLayerNorm.AfterRecurrence)];
        yield return ["ProjectionSize", (Action<SruTrainer.Options>)(o => o.ProjectionSize = 3)];
        yield return ["all but layer norm and projection", (Action<SruTrainer.Options>)AllRecurrenceOptions];
        yield return ["all", (Action<SruTrainer.Options>)(o =>
        {
            AllRecurrenceOptions(o);
            o.LayerNorm = SruLayerNorm.AfterRecurrence;
            o.ProjectionSize = 3;
        })];
    }

    private static void AllRecurrenceOptions(SruTrainer.Options o)
    {
        o.Bidirectional = true;
        o.UseCellStateWeights = true;
        o.Activation = SruActivation.Identity;
        o.HighwayBias = -2;
        o.Rescale = true;
        o.Dropout = 0.1f;
    }

    private static SruTrainer.Options TwoLayers(Action<SruTrainer.Options> change)
    {
        SruTrainer.Options options = TinyModels.Sru(epochs: 2);
        // Two layers, so that dropout (between layers) and the second layer's input width take part.
        options.NumberOfLayers = 2;
        change(options);
        return options;
    }

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void A_model_trained_with_the_option_saves_and_loads_with_identical_scores_and_predictions(string name, Action<SruTrainer.Options> change)
    {
        var ml = new MLContext(seed: 11);
        SruTrainer.Options options = TwoLayers(change);
        var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(OrderedMarkers.Load(ml, 300, seed: 11));
        using var zip = new MemoryStream();
        ml.Model.Save(model, null, zip);
        ITransformer loaded = TinyModels.Load(zip.ToArray());

        // The spec came through the zip whole.
        NetworkSpec saved = model.Model.Spec, read = ((RecurrentPredictionTransformer)loaded).Model.Spec;
        Assert.AreEqual(saved, read, name);
        Assert.AreEqual(options.ToCellSpec(), read.SruCell, name);

        float[][] before = TinyModels.Scores(model), after = TinyModels.Scores(loaded);
        Assert.IsTrue(TinyModels.SameScores(before, after), $"{name}: Transform scores differ after the round trip");
        Assert.IsTrue(before.All(row => Math.Abs(row.Sum() - 1) < 1e-4), name);

        var engineBefore = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        var engineAfter = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(loaded);
        foreach (OrderedMarkers.Row row in OrderedMarkers.Generate(20, seed: 12))
            CollectionAssert.AreEqual(engineBefore.Predict(row).Score, engineAfter.Predict(row).Score, name);
    }

    [TestMethod]
    [DynamicData(nameof(Configurations))]
    public void Transform_scores_agree_with_the_TorchSharp_network(string name, Action<SruTrainer.Options> change)
    {
        // Transform (in batches through the managed scorer, or TorchSharp where it does not apply) against the TorchSharp
        // network scoring all rows at once.
        var ml = new MLContext(seed: 13);
        var model = ml.MulticlassClassification.Trainers.Sru(TwoLayers(change)).Fit(OrderedMarkers.Load(ml, 200, seed: 13));
        List<OrderedMarkers.Row> rows = OrderedMarkers.Generate(30, seed: 14);
        float[][] single = RecurrentTrainerTests.Scores(model.Transform(ml.Data.LoadFromEnumerable(rows)));

        float[] features = rows.SelectMany(r => r.Features).ToArray();
        model.Model.InputScaling.Apply(features);
        var batch = new float[rows.Count * 3];
        model.Model.TorchScorer.Score(features, rows.Count, batch);
        for (int i = 0; i < rows.Count; i++)
            for (int c = 0; c < 3; c++)
                Assert.AreEqual(batch[i * 3 + c], single[i][c], 2e-5, $"{name}: row {i}, class {c}");
    }

    [TestMethod]
    public void The_default_options_are_the_2017_form()
    {
        var options = new SruTrainer.Options();
        Assert.AreEqual(SruCellSpec.Classic, options.ToCellSpec());
        Assert.IsTrue(options.UseHighway);
    }

    [TestMethod]
    public void Invalid_SRU_options_are_rejected_naming_the_option()
    {
        var ml = new MLContext();
        (Action<SruTrainer.Options> change, string option)[] cases =
        {
            (o => o.Activation = (SruActivation)7, "Activation"),
            (o => o.LayerNorm = (SruLayerNorm)(-1), "LayerNorm"),
            (o => o.HighwayBias = float.NaN, "HighwayBias"),
            (o => o.HighwayBias = 21, "HighwayBias"),
            (o => o.HighwayBias = float.NegativeInfinity, "HighwayBias"),
            (o => o.Dropout = -0.1f, "Dropout"),
            (o => o.Dropout = 1, "Dropout"),
            (o => o.Dropout = float.NaN, "Dropout"),
            (o => o.ProjectionSize = -1, "ProjectionSize"),
            (o => o.ProjectionSize = (1 << 16) + 1, "ProjectionSize"),
            (o => { o.Rescale = true; o.UseHighway = false; }, "Rescale"),
        };
        foreach (var (change, option) in cases)
        {
            var options = new SruTrainer.Options();
            change(options);
            var e = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.Sru(options), option);
            Assert.AreEqual(option, e.ParamName);
            StringAssert.Contains(e.Message, option);
        }

        // The ends of the ranges are accepted.
        var edge = new SruTrainer.Options { HighwayBias = -20, Dropout = 0.99f, ProjectionSize = 1 << 16 };
        Assert.IsNotNull(ml.MulticlassClassification.Trainers.Sru(edge));
    }

    [TestMethod]
    public void A_stored_out_of_range_SRU_option_is_refused_when_loading()
    {
        // A model description whose dropout is 2 (no trainer writes it): the loader names it.
        var spec = TinyModels.Spec with { SruCell = SruCellSpec.Classic with { Dropout = 2 } };
        StringAssert.Contains(spec.FindProblem()?.ToString(), "SRU dropout 2");
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            ModelSpecFormat.Write(writer, spec, RecurrentModelFormat.FormatVersion);
        stream.Position = 0;
        var e = Assert.Throws<FormatException>(() => ModelSpecFormat.Read(new BinaryReader(stream), RecurrentModelFormat.FormatVersion));
        StringAssert.Contains(e.Message, "SRU dropout 2");
    }
}
