using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sru.MnistSample.Data;

namespace Sru.MnistSample.Models;

/// <summary>A model scored on test rows: ML.NET's metrics, the classes of the score slots, and how fast it scored.</summary>
internal sealed record TestSetEvaluation(MulticlassClassificationMetrics Metrics, ScoreClasses Classes, long Rows, TimeSpan Time)
{
    /// <summary>Rows scored and evaluated per second.</summary>
    public double RowsPerSecond => Rows / Math.Max(Time.TotalSeconds, 1e-9);

    public static TestSetEvaluation Run(MLContext ml, ITransformer model, IDataView test, DatasetName dataset)
    {
        var clock = Stopwatch.StartNew();
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        clock.Stop();
        long rows = metrics.ConfusionMatrix.Counts.Sum(row => (long)row.Sum());
        return new TestSetEvaluation(metrics, ScoreClasses.Of(model, test.Schema, dataset), rows, clock.Elapsed);
    }

    /// <summary>The test images the model got wrong, in test-set order, with the true and predicted label.</summary>
    public static IReadOnlyList<(float[] Pixels, uint Label, uint Predicted)> Misclassified(MLContext ml, ITransformer model, IDataView test)
    {
        var images = ml.Data.CreateEnumerable<MnistImage>(test, reuseRowObject: false);
        var predictions = ml.Data.CreateEnumerable<MnistPrediction>(model.Transform(test), reuseRowObject: false);
        return images.Zip(predictions)
            .Where(pair => pair.First.Label != pair.Second.PredictedLabel)
            .Select(pair => (pair.First.Features, pair.First.Label, pair.Second.PredictedLabel))
            .ToList();
    }
}
