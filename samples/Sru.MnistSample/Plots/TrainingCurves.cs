using System.Globalization;
using Microsoft.ML.Sru;
using ScottPlot;
using Sru.MnistSample.Training;

namespace Sru.MnistSample.Plots;

/// <summary>
/// Loss and accuracy over a training run: every batch (faint) with its moving average, each epoch's mean as a
/// labelled marker, and the validation set's value per epoch.
/// </summary>
internal static class TrainingCurves
{
    /// <summary>Writes <c>loss.png</c> and <c>accuracy.png</c> into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Save(TrainingHistory history, string title, string directory)
    {
        return
        [
            SaveOne(history, title, new Curve("loss", "cross-entropy loss", p => p.Loss, p => p.ValidationLoss, v => v.ToString("F3", CultureInfo.InvariantCulture)),
                Alignment.UpperRight, Path.Combine(directory, "loss.png")),
            // Accuracy in percent, as the console prints it.
            SaveOne(history, title, new Curve("accuracy", "accuracy (%)", p => 100 * p.Accuracy, p => 100 * p.ValidationAccuracy, v => v.ToString("F1", CultureInfo.InvariantCulture) + " %"),
                Alignment.LowerRight, Path.Combine(directory, "accuracy.png")),
        ];
    }

    /// <summary>What one plot shows: the training figure of a report, its validation figure, and how a value is written.</summary>
    private sealed record Curve(string Name, string Axis, Func<TrainingProgress, float> Train, Func<TrainingProgress, float?> Validation, Func<double, string> Label);

    private static string SaveOne(TrainingHistory history, string title, Curve curve, Alignment legend, string path)
    {
        var plot = new Plot();
        if (history.Steps.Count > 0)
        {
            double[] x = history.Steps.Select(p => (double)TrainingHistory.GlobalStep(p)).ToArray();
            double[] y = history.Steps.Select(p => (double)curve.Train(p)).ToArray();
            var raw = plot.Add.ScatterLine(x, y);
            raw.LegendText = "batch (train)";
            raw.Color = Colors.SteelBlue.WithAlpha(0.25);
            int window = Math.Max(5, x.Length / 40);
            if (x.Length > window)
            {
                var smooth = plot.Add.ScatterLine(x, MovingAverage(y, window));
                smooth.LegendText = $"moving average of {window} batches";
                smooth.Color = Colors.SteelBlue;
                smooth.LineWidth = 2;
            }
        }
        // Epoch figures sit at the epoch's last step, so they line up with the batches they summarise.
        AddEpochSeries(plot, history.Epochs, p => curve.Train(p), "epoch mean (train)", Colors.DarkBlue, curve.Label);
        var validated = history.Epochs.Where(p => curve.Validation(p) is not null).ToList();
        if (validated.Count > 0)
            AddEpochSeries(plot, validated, p => curve.Validation(p)!.Value, "validation", Colors.OrangeRed, curve.Label);
        plot.Title($"{title}: {curve.Name}");
        plot.XLabel("step");
        plot.YLabel(curve.Axis);
        // Loss falls and accuracy rises: each legend goes where its curves end up away from it.
        plot.ShowLegend(legend);
        plot.SavePng(path, 900, 500);
        return path;
    }

    /// <summary>The mean of each value and up to <paramref name="window"/> − 1 before it (shorter at the start).</summary>
    private static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window)
                sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }

    // Markers with their value written beside them; joined by a line only when there are several epochs, so a
    // single epoch reads as one labelled figure, not as a spike.
    private static void AddEpochSeries(Plot plot, IReadOnlyList<TrainingProgress> epochs, Func<TrainingProgress, float> value, string label, Color color, Func<double, string> format)
    {
        if (epochs.Count == 0)
            return;
        double[] x = epochs.Select(p => (double)TrainingHistory.GlobalStep(p)).ToArray();
        double[] y = epochs.Select(p => (double)value(p)).ToArray();
        var series = plot.Add.Scatter(x, y);
        series.LegendText = label;
        series.Color = color;
        series.MarkerSize = 10;
        series.LineWidth = epochs.Count > 1 ? 2 : 0;
        for (int i = 0; i < x.Length; i++)
        {
            var text = plot.Add.Text($"epoch {epochs[i].Epoch}: {format(y[i])}", x[i], y[i]);
            text.LabelFontColor = color;
            text.LabelFontSize = 12;
            text.LabelAlignment = Alignment.LowerRight;
            text.OffsetY = -6;
            text.OffsetX = -6;
        }
    }
}
