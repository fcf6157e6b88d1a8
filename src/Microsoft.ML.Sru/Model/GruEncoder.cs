using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>TorchSharp's <c>nn.GRU</c> as an encoder: [T, B, I] → the last step's output [B, H].</summary>
internal sealed class GruEncoder : TorchRnnEncoder
{
#pragma warning disable IDE1006 // Field name is the state-dict key.
    private readonly GRU gru;
#pragma warning restore IDE1006

    public GruEncoder(int inputSize, int hiddenSize, int numberOfLayers) : base(nameof(GruEncoder))
    {
        gru = nn.GRU(inputSize, hiddenSize, numLayers: numberOfLayers);
        RegisterComponents();
    }

    public override void InitializeAsTensorFlow1(int inputSize, int hiddenSize) =>
        TensorFlowInitialization.TorchRnn(Layers, isLstm: false, inputSize, hiddenSize);

    private protected override nn.Module RecurrentModule => gru;

    private protected override int Gates => 3;

    private protected override Tensor FusedLayer(Tensor x, Tensor inputWeights, Tensor hiddenWeights, Tensor inputBias, Tensor hiddenBias, long steps) =>
        RnnLayerFunction<GruCell>.apply(x, inputWeights, hiddenWeights, inputBias, hiddenBias, steps);

    private protected override Tensor AllSteps(Tensor input)
    {
        var (output, hn) = gru.forward(input);
        hn.Dispose();
        return output;
    }

    private protected override Tensor OwnLastSteps(nn.utils.rnn.PackedSequence input)
    {
        var (output, hn) = gru.call(input);
        output.Dispose();
        return hn[-1];
    }
}
