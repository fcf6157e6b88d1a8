using Microsoft.ML.Data;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Onnx;

/// <summary>
/// Pipelines ending in the binary classification and regression catalogs' trainers export with ConvertToOnnx and give
/// Transform's Score, Probability and PredictedLabel in ONNX Runtime and through ApplyOnnxModel, input scaling and the
/// regression head's label units included; models of variable-length rows or tokens still refuse the export, for every task.
/// </summary>
[TestClass]
public sealed class TaskOnnxExportTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DynamicData(nameof(TaskTrainerTests.CellsAndTasks), typeof(TaskTrainerTests))]
    public void A_trained_binary_or_regression_pipeline_exports_and_gives_the_Transform_columns(string cell, string task)
    {
        var ml = new MLContext(seed: 1);
        RecurrentTrainerOptions options = TinyModels.For(cell, epochs: 10);
        options.NumberOfLayers = 2;
        options.FeatureColumnName = "Readings";
        // A step before the trainer: the export walks through the scored view back to it.
        var model = ml.Transforms.CopyColumns("Readings", "Features")
            .Append(CellTrainers.Trainer(ml, options, task))
            .Fit(MarkerTasks.Load(ml, task, 300, seed: 1));
        IDataView test = MarkerTasks.Load(ml, task, 200, seed: 2);
        RecurrentPredictionTransformer trained = model.LastTransformer;
        Assert.AreNotEqual(InputNormalization.None, trained.Model.InputNormalization, "the input scaling the graph must hold");

        float largest = OnnxParity.AssertMatchesTransform(ml, model, test);

        float[] scores = MarkerTasks.Scores(model.Transform(test));
        if (task == MarkerTasks.Regression)
            Assert.IsTrue(scores.Average() is > 100 and < 170, $"mean Score {scores.Average()}: in the label's units (100 to 170)");
        else
            Assert.IsTrue(scores.Any(s => s > 0) && scores.Any(s => s <= 0), "both classes predicted");
        TestContext.WriteLine($"{cell} {task}: largest Score/Probability difference {largest:G3}");
        trained.Dispose();
    }

    public static IEnumerable<object[]> InputsAndTasks =>
        new[] { "variable", "tokens" }.SelectMany(input => new[] { "multiclass", MarkerTasks.Binary, MarkerTasks.Regression }.Select(task => new object[] { input, task }));

    /// <summary>The graph unrolls a known number of steps over fixed-size vectors; ML.NET's converter refuses the rest whole.</summary>
    [TestMethod]
    [DynamicData(nameof(InputsAndTasks))]
    public void A_model_of_variable_length_rows_or_tokens_refuses_the_export(string input, string task)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = input == "tokens" ? Tokens(ml, task) : VariableLength(ml, task);
        RecurrentTrainerOptions options = SequenceInputTests.Small("SRU", epochs: 1, features: input == "tokens" ? "Tokens" : "Features");
        using var model = (RecurrentPredictionTransformer)CellTrainers.Trainer(ml, options, task).Fit(data);
        using var stream = new MemoryStream();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Model.ConvertToOnnx(model, data, stream));

        StringAssert.Contains(e.Message, "can not be fully converted");
        TestContext.WriteLine(e.Message);
    }

    /// <summary>Rows of 2 to 30 steps with the task's label: the class key, whether the class is 1, or the class as a number.</summary>
    private static IDataView VariableLength(MLContext ml, string task)
    {
        var rows = SequenceInputTests.VariableRows(100, seed: 1);
        return task switch
        {
            MarkerTasks.Binary => ml.Data.LoadFromEnumerable(rows.Select(r => new SequenceInputTests.TaskRow<bool> { Label = r.Label == 1, Features = r.Features })),
            MarkerTasks.Regression => ml.Data.LoadFromEnumerable(rows.Select(r => new SequenceInputTests.TaskRow<float> { Label = r.Label, Features = r.Features })),
            _ => SequenceInputTests.LoadVariable(ml, rows),
        };
    }

    /// <summary>Sentences as token keys (featurized before the model, so that the model is all the export is asked for).</summary>
    private static IDataView Tokens(MLContext ml, string task)
    {
        var rows = SequenceInputTests.TextRows(100, seed: 1);
        IDataView raw = task switch
        {
            MarkerTasks.Binary => ml.Data.LoadFromEnumerable(rows.Select(r => new SequenceInputTests.TaskRow<bool> { Label = r.Label == "apple", Text = r.Text })),
            MarkerTasks.Regression => ml.Data.LoadFromEnumerable(rows.Select(r => new SequenceInputTests.TaskRow<float> { Label = r.Text.Length, Text = r.Text })),
            _ => ml.Data.LoadFromEnumerable(rows),
        };
        IEstimator<ITransformer> featurizer = task == "multiclass" ? SequenceInputTests.TextFeaturizer(ml)
            : ml.Transforms.Text.TokenizeIntoWords("Tokens", "Text").Append(ml.Transforms.Conversion.MapValueToKey("Tokens"));
        return featurizer.Fit(raw).Transform(raw);
    }
}
