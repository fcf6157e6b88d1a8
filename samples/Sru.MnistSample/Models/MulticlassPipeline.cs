using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
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
        LabelToKey(ml).Append(trainer).Append(KeyToLabel(ml));

    /// <summary>
    /// The same pipeline fitted with a validation set, which <see cref="RecurrentTrainerBase.Fit(IDataView, IDataView)"/>
    /// scores each epoch: the label mapping learnt on the training rows is applied to both, then the trainer is fitted.
    /// </summary>
    public static ITransformer Fit(MLContext ml, RecurrentTrainerBase trainer, IDataView train, IDataView validation)
    {
        ITransformer labelToKey = LabelToKey(ml).Fit(train);
        IDataView keyedTrain = labelToKey.Transform(train);
        ITransformer classifier = trainer.Fit(keyedTrain, labelToKey.Transform(validation));
        ITransformer keyToLabel = KeyToLabel(ml).Fit(classifier.Transform(keyedTrain));
        return new TransformerChain<ITransformer>(labelToKey, classifier, keyToLabel);
    }

    private static ValueToKeyMappingEstimator LabelToKey(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);

    private static KeyToValueMappingEstimator KeyToLabel(MLContext ml) => ml.Transforms.Conversion.MapKeyToValue("PredictedLabel");
}
