using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace Sru.MnistSample.Models;

/// <summary>The standard ML.NET multiclass pipeline around a trainer, as a user would write it.</summary>
internal static class MulticlassPipeline
{
    /// <summary>
    /// Label to key (by value, so the Score slots are in label order), the trainer, and the predicted key back to
    /// its value.
    /// </summary>
    public static IEstimator<ITransformer> Around(MLContext ml, IEstimator<ITransformer> trainer) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(trainer)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
}
