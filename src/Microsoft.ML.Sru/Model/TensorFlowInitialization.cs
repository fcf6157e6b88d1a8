using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// <see cref="WeightInitialization.TensorFlow1"/>: TensorFlow 1.x's default initialisers, mapped onto this library's
/// parameter layouts. TensorFlow keeps one kernel per cell over [x, h] (fan-in I + H) where PyTorch keeps input and hidden
/// matrices apart, so both halves take the combined kernel's Glorot range.
/// </summary>
internal static class TensorFlowInitialization
{
    public static void Apply(SequenceClassifier network)
    {
        using var noGrad = no_grad();
        network.InitializeAsTensorFlow1();
    }

    /// <summary>tf.random_normal for the output layer's weights and bias.</summary>
    public static void Head(Linear head)
    {
        head.weight!.normal_(0, 1);
        head.bias!.normal_(0, 1);
    }

    /// <summary>An SRU layer's W [I, k·H] and gate biases [H] each, as <c>tf.get_variable</c> draws them.</summary>
    public static void SruLayer(Parameter weight, Parameter bias, long gateBiasSize)
    {
        GlorotUniform(weight, weight.shape[0], weight.shape[1]);
        // A 1-D variable's fan-in and fan-out are both its length.
        foreach (Tensor gate in bias.split(gateBiasSize))
            GlorotUniform(gate, gateBiasSize, gateBiasSize);
    }

    /// <summary>
    /// nn.LSTM (gates i, f, g, o) or nn.GRU (gates r, z, n) per layer, as TensorFlow's LSTMCell (one kernel [I+H, 4H],
    /// zero bias, forget gate +1) or GRUCell (gate kernel [I+H, 2H] with bias 1, candidate kernel [I+H, H] with bias 0)
    /// start.
    /// </summary>
    public static void TorchRnn(IReadOnlyList<TorchRnnEncoder.LayerWeights> layers, bool isLstm, long inputSize, long hiddenSize)
    {
        for (int layer = 0; layer < layers.Count; layer++)
        {
            long input = layer == 0 ? inputSize : hiddenSize, fanIn = input + hiddenSize;
            (Tensor inputWeights, Tensor hiddenWeights, Tensor inputBias, Tensor hiddenBias) = layers[layer];
            hiddenBias.zero_();
            if (isLstm)
            {
                GlorotUniform(inputWeights, fanIn, 4 * hiddenSize);
                GlorotUniform(hiddenWeights, fanIn, 4 * hiddenSize);
                inputBias.zero_();
                inputBias.narrow(0, hiddenSize, hiddenSize).fill_(1.0);
            }
            else
            {
                // Rows [r; z] are the gates, [n] the candidate.
                GlorotUniform(inputWeights.narrow(0, 0, 2 * hiddenSize), fanIn, 2 * hiddenSize);
                GlorotUniform(hiddenWeights.narrow(0, 0, 2 * hiddenSize), fanIn, 2 * hiddenSize);
                GlorotUniform(inputWeights.narrow(0, 2 * hiddenSize, hiddenSize), fanIn, hiddenSize);
                GlorotUniform(hiddenWeights.narrow(0, 2 * hiddenSize, hiddenSize), fanIn, hiddenSize);
                inputBias.zero_();
                inputBias.narrow(0, 0, 2 * hiddenSize).fill_(1.0);
            }
        }
    }

    private static void GlorotUniform(Tensor tensor, long fanIn, long fanOut)
    {
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        tensor.uniform_(-limit, limit);
    }
}
