using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// Synthetic sequences only a recurrent model can classify: three marker steps (A, B, C) sit at random
/// distinct positions among noise steps, and the class is the marker that comes first. Every row
/// holds the same markers, so the order of the steps is all that tells the classes apart.
/// </summary>
internal static class OrderedMarkers
{
    public const int Steps = 8;
    public const int StepSize = 4;
    public const int FeatureCount = Steps * StepSize;

    public sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = Array.Empty<float>();

        public uint Label { get; set; }
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();

        public uint PredictedLabel { get; set; }
    }

    public static List<Row> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (int n = 0; n < count; n++)
        {
            var features = new float[FeatureCount];
            for (int i = 0; i < FeatureCount; i++)
                features[i] = (float)(random.NextDouble() * 0.2);
            int[] positions = Enumerable.Range(0, Steps).OrderBy(_ => random.Next()).Take(3).ToArray();
            for (int marker = 0; marker < 3; marker++)
                features[positions[marker] * StepSize + marker] = 1f;
            int first = Array.IndexOf(positions, positions.Min());
            rows.Add(new Row { Features = features, Label = (uint)first });
        }
        return rows;
    }

    /// <summary>The data as an IDataView with the label mapped to a key, as a user's pipeline would.</summary>
    public static IDataView Load(MLContext ml, int count, int seed) => Load(ml, Generate(count, seed));

    /// <summary>Given rows as an IDataView with the label mapped to a key.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<Row> rows)
    {
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        // Keys sorted by value, so that every split maps label n to key n + 1.
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(raw).Transform(raw);
    }
}
