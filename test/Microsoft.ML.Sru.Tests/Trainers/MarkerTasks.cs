using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// <see cref="OrderedMarkers"/>' sequences with a binary and a regression label that only the order of the steps gives:
/// whether marker A comes before marker B (true for about half the rows), and marker A's position scaled far from
/// [0, 1] (100 + 10 × step, so 100 to 170), which a regression model must learn in the label's units.
/// </summary>
internal static class MarkerTasks
{
    /// <summary>The order of the markers as <see cref="OrderedMarkers"/>' class, its key-typed label.</summary>
    public const string Multiclass = "multiclass";
    public const string Binary = "binary";
    public const string Regression = "regression";

    public sealed class BinaryRow
    {
        [VectorType(OrderedMarkers.FeatureCount)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public bool Label { get; set; }
    }

    public sealed class RegressionRow
    {
        [VectorType(OrderedMarkers.FeatureCount)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public float Label { get; set; }
    }

    public sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    public sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }

    public static List<BinaryRow> GenerateBinary(int count, int seed) =>
        OrderedMarkers.Generate(count, seed).Select(row => new BinaryRow { Features = row.Features, Label = Position(row, 0) < Position(row, 1) }).ToList();

    public static List<RegressionRow> GenerateRegression(int count, int seed) =>
        OrderedMarkers.Generate(count, seed).Select(row => new RegressionRow { Features = row.Features, Label = 100 + 10 * Position(row, 0) }).ToList();

    /// <summary>The rows of <paramref name="task"/> as an IDataView.</summary>
    public static IDataView Load(MLContext ml, string task, int count, int seed) => task switch
    {
        Multiclass => OrderedMarkers.Load(ml, count, seed),
        Binary => ml.Data.LoadFromEnumerable(GenerateBinary(count, seed)),
        Regression => ml.Data.LoadFromEnumerable(GenerateRegression(count, seed)),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "no such task"),
    };

    /// <summary>The step at which marker <paramref name="marker"/> (its value at that position of the step) is set.</summary>
    private static int Position(OrderedMarkers.Row row, int marker) =>
        Enumerable.Range(0, OrderedMarkers.Steps).First(step => row.Features[step * OrderedMarkers.StepSize + marker] == 1f);

    /// <summary>The Score column of scored rows: one value per row for binary and regression models.</summary>
    public static float[] Scores(IDataView scored) => scored.GetColumn<float>("Score").ToArray();
}
