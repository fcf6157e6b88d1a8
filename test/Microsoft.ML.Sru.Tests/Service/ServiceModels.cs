using System.Collections.Concurrent;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Tests.Trainers;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Service;

/// <summary>
/// Model zips for the service tests, trained once each on <see cref="OrderedMarkers"/> (32 features, 3 classes) in
/// the MNIST sample's pipeline (label to key, trainer, predicted key back to the label), and the model's own scores
/// to compare the service's answers with.
/// </summary>
internal static class ServiceModels
{
    public enum Kind { Sru, Lstm, Gru, Sdca }

    private static readonly ConcurrentDictionary<(Kind, int), Lazy<byte[]>> Zips = new();

    /// <summary>The zip of a model of <paramref name="kind"/>; another <paramref name="seed"/> gives other weights.</summary>
    public static byte[] Zip(Kind kind, int seed = 1) =>
        Zips.GetOrAdd((kind, seed), key => new Lazy<byte[]>(() => Train(key.Item1, key.Item2))).Value;

    /// <summary>A fitted transformer that reads Features but is no classifier (it writes no Score): a model the service must refuse.</summary>
    public static byte[] NotAClassifier()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(OrderedMarkers.Generate(20, seed: 3));
        ITransformer model = ml.Transforms.NormalizeMinMax("Features").Fit(data);
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        return zip.ToArray();
    }

    /// <summary>The first half of a good zip: what a copy cut short leaves.</summary>
    public static byte[] Truncated() => Zip(Kind.Sru)[..(Zip(Kind.Sru).Length / 2)];

    /// <summary>Score vectors the model in <paramref name="zip"/> gives <paramref name="rows"/> through its own PredictionEngine.</summary>
    public static float[][] Scores(byte[] zip, IEnumerable<OrderedMarkers.Row> rows)
    {
        ITransformer model = TinyModels.Load(zip);
        var engine = new MLContext(seed: 1).Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        float[][] scores = rows.Select(row => engine.Predict(row).Score.ToArray()).ToArray();
        engine.Dispose();
        return scores;
    }

    private static byte[] Train(Kind kind, int seed)
    {
        var ml = new MLContext(seed: seed);
        IDataView train = ml.Data.LoadFromEnumerable(OrderedMarkers.Generate(300, seed));
        IEstimator<ITransformer> trainer = kind switch
        {
            Kind.Sru => ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru()),
            Kind.Lstm => ml.MulticlassClassification.Trainers.Lstm(TinyModels.Lstm()),
            Kind.Gru => ml.MulticlassClassification.Trainers.Gru(TinyModels.Gru()),
            _ => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5),
        };
        ITransformer model = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(trainer)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        using var zip = new MemoryStream();
        ml.Model.Save(model, train.Schema, zip);
        (model as IDisposable)?.Dispose();
        return zip.ToArray();
    }
}
