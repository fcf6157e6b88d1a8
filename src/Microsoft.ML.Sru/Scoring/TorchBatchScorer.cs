using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>Scores through the TorchSharp network itself: the path of every cell the managed scorer does not cover.</summary>
internal sealed class TorchBatchScorer : IBatchScorer
{
    private readonly SharedNetwork _network;

    public TorchBatchScorer(SharedNetwork network)
    {
        _network = network;
    }

    public void Score(float[] features, int rows, float[] scores)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        int featureCount = hold.Network.Spec.FeatureCount;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor x = torch.tensor(features.AsSpan(0, rows * featureCount).ToArray(), new long[] { rows, featureCount });
        Tensor outputs = hold.Network.forward(x);
        if (hold.Network.Spec.Task == RecurrentTaskKind.MulticlassClassification)
            outputs = torch.nn.functional.softmax(outputs, 1);
        outputs.contiguous().data<float>().CopyTo(scores);
    }
}
