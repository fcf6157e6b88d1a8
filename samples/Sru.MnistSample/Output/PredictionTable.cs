using System.Globalization;
using Sru.MnistSample.Data;
using Sru.MnistSample.Models;

namespace Sru.MnistSample.Output;

/// <summary>Predictions as a table: each input's predicted class, the top three probabilities, and the true class when known.</summary>
internal sealed class PredictionTable
{
    private readonly ResultTable _table;
    private readonly ScoreClasses _classes;
    private readonly DatasetName _dataset;

    public PredictionTable(string title, ScoreClasses classes, DatasetName dataset)
    {
        _table = new ResultTable(title, "input", "predicted", "top 3", "true class");
        _classes = classes;
        _dataset = dataset;
    }

    public void Add(string input, MnistPrediction prediction, uint? trueLabel)
    {
        string top3 = string.Join(", ", prediction.Score
            .Select((probability, slot) => (probability, slot))
            .OrderByDescending(s => s.probability)
            .Take(3)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{_classes.Names[s.slot]} {s.probability:P1}")));
        _table.AddRow(input, _dataset.ClassName(prediction.PredictedLabel), top3, trueLabel is uint label ? _dataset.ClassName(label) : "—");
    }

    public void Write() => _table.Write();
}
