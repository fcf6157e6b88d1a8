using Microsoft.ML.Sru;
using ScottPlot;
using Sru.MnistSample.Training;

namespace Sru.MnistSample.Plots;

/// <summary>Loss and accuracy over a training run: every batch, each epoch's mean, and the validation set's value per epoch.</summary>
internal static class TrainingCurves
{
    /// <summary>Writes <c>loss.png</c> and <c>accuracy.png</c> into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Save(TrainingHistory history, string title, string directory)
    {
        return
        [
            SaveOne(history, title, "loss", "cross-entropy loss", p => p.Loss, p => p.ValidationLoss, Alignment.UpperRight, Path.Combine(directory, "loss.png")),
            SaveOne(history, title, "accuracy", "accuracy", p => p.Accuracy, p => p.ValidationAccuracy, Alignment.LowerRight, Path.Combine(directory, "accuracy.png")),
        ];
    }

    private static string SaveOne(TrainingHistory history, string title, string what, string axis,
        Func<TrainingProgress, float> train, Func<TrainingProgress, float?> validation, Alignment legend, string path)
    {
        var plot = new Plot();
        if (history.Steps.Count > 0)
        {
            var steps = plot.Add.ScatterLine(
                history.Steps.Select(p => (double)TrainingHistory.GlobalStep(p)).ToArray(),
                history.Steps.Select(p => (double)train(p)).ToArray());
            steps.LegendText = "batch (train)";
            steps.Color = Colors.SteelBlue.WithAlpha(0.45);
        }
        // Epoch figures sit at the epoch's last step, so they line up with the batches they summarise.
        AddEpochSeries(plot, history.Epochs, p => train(p), "epoch mean (train)", Colors.DarkBlue);
        var validated = history.Epochs.Where(p => validation(p) is not null).ToList();
        if (validated.Count > 0)
            AddEpochSeries(plot, validated, p => validation(p)!.Value, "validation", Colors.OrangeRed);
        plot.Title($"{title}: {what}");
        plot.XLabel("step");
        plot.YLabel(axis);
        // Loss falls and accuracy rises: each legend goes where its curves end up away from it.
        plot.ShowLegend(legend);
        plot.SavePng(path, 900, 500);
        return path;
    }

    private static void AddEpochSeries(Plot plot, IReadOnlyList<TrainingProgress> epochs, Func<TrainingProgress, float> value, string label, Color color)
    {
        if (epochs.Count == 0)
            return;
        var series = plot.Add.Scatter(
            epochs.Select(p => (double)TrainingHistory.GlobalStep(p)).ToArray(),
            epochs.Select(p => (double)value(p)).ToArray());
        series.LegendText = label;
        series.Color = color;
        series.MarkerSize = 9;
        series.LineWidth = 2;
    }
}
