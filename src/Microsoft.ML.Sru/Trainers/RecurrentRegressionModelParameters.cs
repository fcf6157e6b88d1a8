using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// A recurrent regression model: one value per row. It is a predictor of a float, as ML.NET's regression transformer
/// requires of the models it loads.
/// </summary>
internal sealed class RecurrentRegressionModelParameters : RecurrentModelParameters, IPredictorProducing<float>
{
    internal RecurrentRegressionModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling, SequenceInput input)
        : base(env, network, scaling, input)
    {
    }
}
