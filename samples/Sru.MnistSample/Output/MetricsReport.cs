using System.Globalization;
using Microsoft.ML.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Output;

/// <summary>What <c>evaluate</c> prints: overall metrics, per-class metrics and ML.NET's confusion table.</summary>
internal static class MetricsReport
{
    public static void WriteSummary(TestSetEvaluation evaluation)
    {
        MulticlassClassificationMetrics m = evaluation.Metrics;
        Terminal.Result(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy: {m.MicroAccuracy:P2} (micro), {m.MacroAccuracy:P2} (macro); log-loss {m.LogLoss:F4}, log-loss reduction {m.LogLossReduction:F4}; {evaluation.Rows:N0} rows in {evaluation.Time.TotalSeconds:F2} s ({evaluation.RowsPerSecond:N0} rows/s)."));
    }

    public static void WriteFull(TestSetEvaluation evaluation)
    {
        WriteSummary(evaluation);
        MulticlassClassificationMetrics m = evaluation.Metrics;
        ConfusionMatrix confusion = m.ConfusionMatrix;
        var table = new ResultTable("Per class", "class", "precision", "recall", "F1", "log-loss", "rows");
        for (int i = 0; i < confusion.NumberOfClasses; i++)
        {
            double precision = confusion.PerClassPrecision[i];
            double recall = confusion.PerClassRecall[i];
            double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
            table.AddRow(
                i < evaluation.Classes.Names.Count ? evaluation.Classes.Names[i] : i.ToString(CultureInfo.InvariantCulture),
                precision.ToString("P2", CultureInfo.InvariantCulture),
                recall.ToString("P2", CultureInfo.InvariantCulture),
                f1.ToString("F4", CultureInfo.InvariantCulture),
                m.PerClassLogLoss[i].ToString("F4", CultureInfo.InvariantCulture),
                confusion.Counts[i].Sum().ToString("N0", CultureInfo.InvariantCulture));
        }
        table.Write();
        // ML.NET's text has its own "Confusion table" title.
        Terminal.Verbatim(confusion.GetFormattedConfusionTable());
    }
}
