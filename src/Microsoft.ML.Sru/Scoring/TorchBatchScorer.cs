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

    public void Score(float[] features, int rows, float[] scores) => Score(features, rows, null, scores);

    public void ScorePadded(float[] features, int rows, int[] lengths, float[] scores) => Score(features, rows, lengths, scores);

    private void Score(float[] features, int rows, int[]? lengths, float[] scores)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        NetworkSpec spec = hold.Network.Spec;
        int rowWidth = (lengths is null ? spec.SequenceLength : PaddedSteps.Longest(lengths.AsSpan(0, rows))) * spec.InputWidth;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor x = torch.tensor(features.AsSpan(0, rows * rowWidth).ToArray(), new long[] { rows, rowWidth });
        Tensor outputs = hold.Network.Forward(x, lengths?[..rows]);
        if (hold.Network.Spec.Task == RecurrentTaskKind.MulticlassClassification)
            outputs = torch.nn.functional.softmax(outputs, 1);
        outputs.contiguous().data<float>().CopyTo(scores);
    }
}
