using System.Globalization;
using Microsoft.ML.Data;
using ScottPlot;

namespace Sru.MnistSample.Plots;

/// <summary>ML.NET's confusion matrix as a heat map: true class down, predicted class across, each cell's count written in it.</summary>
internal static class ConfusionMatrixPlot
{
    public static string Save(ConfusionMatrix matrix, IReadOnlyList<string> classNames, string title, string path)
    {
        int n = matrix.NumberOfClasses;
        // Shaded by the share of the true class's rows, so a rare class's mistakes show as clearly as a common one's.
        var share = new double[n, n];
        for (int truth = 0; truth < n; truth++)
        {
            double rowTotal = matrix.Counts[truth].Sum();
            for (int predicted = 0; predicted < n; predicted++)
                share[truth, predicted] = rowTotal > 0 ? matrix.Counts[truth][predicted] / rowTotal : 0;
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(share);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap).Label = "share of the true class";
        // The heat map draws row 0 at the top: cell (truth, predicted) is centred on x = predicted, y = n − 1 − truth.
        for (int truth = 0; truth < n; truth++)
        {
            for (int predicted = 0; predicted < n; predicted++)
            {
                var text = plot.Add.Text(matrix.Counts[truth][predicted].ToString("0", CultureInfo.InvariantCulture), predicted, n - 1 - truth);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 12 ? 9 : 13;
                text.LabelFontColor = share[truth, predicted] > 0.5 ? Colors.Black : Colors.White;
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        string[] names = Enumerable.Range(0, n).Select(i => i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => n - 1 - p).ToArray(), names);
        plot.Title(title);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.SavePng(path, 760, 640);
        return path;
    }
}
