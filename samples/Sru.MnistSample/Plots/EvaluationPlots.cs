using System.Globalization;
using Microsoft.ML;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Plots;

/// <summary>The pictures of a test-set evaluation: the confusion matrix and the misclassified images.</summary>
internal static class EvaluationPlots
{
    /// <summary>Writes <c>confusion-matrix.png</c> and <c>misclassified.png</c>; returns their paths.</summary>
    public static IReadOnlyList<string> Save(MLContext ml, ITransformer model, IDataView test, TestSetEvaluation evaluation, DatasetName dataset, string title, string directory)
    {
        string confusion = ConfusionMatrixPlot.Save(evaluation.Metrics.ConfusionMatrix, evaluation.Classes.Names,
            $"{title}: confusion matrix", Path.Combine(directory, "confusion-matrix.png"));
        var wrong = TestSetEvaluation.Misclassified(ml, model, test)
            .Select(w => (w.Pixels, $"{Short(dataset.ClassName(w.Label))} → {Short(dataset.ClassName(w.Predicted))}"))
            .ToList();
        string heading = string.Create(CultureInfo.InvariantCulture,
            $"{title}: {(wrong.Count > 100 ? "the first 100" : "all")} of {wrong.Count:N0} misclassified test images, captioned true → predicted class");
        string grid = DigitGrid.Save(wrong, heading, Path.Combine(directory, "misclassified.png"));
        return [confusion, grid];
    }

    // Fashion class names are long for a 84-pixel caption: "Ankle boot" → "Ankle".
    private static string Short(string name) => name.Split(' ', '/')[0];
}
