using TorchSharp;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The linear head of a network in managed arrays, for the managed scorers (<see cref="ManagedInference"/>): the
/// summary of a sequence → class probabilities (softmax) for a multiclass head, the one output (logit or value) otherwise.
/// </summary>
internal sealed class InferenceHead
{
    private readonly float[] _weight;
    private readonly float[] _bias;
    private readonly int _inputs;
    private readonly int _outputs;
    private readonly bool _softmax;

    /// <summary>The head of <paramref name="spec"/>'s network, from its state dict (head.weight [outputs, inputs], head.bias).</summary>
    public InferenceHead(IReadOnlyDictionary<string, torch.Tensor> state, NetworkSpec spec)
    {
        _weight = TensorValues.ToArray(state["head.weight"]);
        _bias = TensorValues.ToArray(state["head.bias"]);
        _inputs = spec.OutputWidth;
        _outputs = spec.HeadWidth;
        _softmax = spec.Task == RecurrentTaskKind.MulticlassClassification;
    }

    /// <summary>The head's outputs for one row's <paramref name="summary"/> into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<float> summary, Span<float> scores)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < _outputs; c++)
        {
            float logit = _bias[c] + Dot(_weight.AsSpan(c * _inputs, _inputs), summary);
            scores[c] = logit;
            max = MathF.Max(max, logit);
        }
        if (!_softmax)
            return;
        float sum = 0;
        for (int c = 0; c < _outputs; c++)
        {
            scores[c] = MathF.Exp(scores[c] - max);
            sum += scores[c];
        }
        for (int c = 0; c < _outputs; c++)
            scores[c] /= sum;
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }
}
