using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>TorchSharp's <c>nn.LSTM</c> as an encoder: [T, B, I] → the last step's output [B, H].</summary>
internal sealed class LstmEncoder : TorchRnnEncoder
{
#pragma warning disable IDE1006 // Field name is the state-dict key.
    private readonly LSTM lstm;
#pragma warning restore IDE1006

    public LstmEncoder(int inputSize, int hiddenSize, int numberOfLayers) : base(nameof(LstmEncoder))
    {
        lstm = nn.LSTM(inputSize, hiddenSize, numLayers: numberOfLayers);
        RegisterComponents();
    }

    public override void InitializeAsTensorFlow1(int inputSize, int hiddenSize) =>
        TensorFlowInitialization.TorchRnn(Layers, isLstm: true, inputSize, hiddenSize);

    private protected override nn.Module RecurrentModule => lstm;

    private protected override int Gates => 4;

    private protected override Tensor FusedLayer(Tensor x, Tensor inputWeights, Tensor hiddenWeights, Tensor inputBias, Tensor hiddenBias, long steps) =>
        RnnLayerFunction<LstmCell>.apply(x, inputWeights, hiddenWeights, inputBias, hiddenBias, steps);

    private protected override Tensor AllSteps(Tensor input)
    {
        var (output, hn, cn) = lstm.forward(input);
        hn.Dispose();
        cn.Dispose();
        return output;
    }

    private protected override Tensor OwnLastSteps(nn.utils.rnn.PackedSequence input)
    {
        var (output, hn, cn) = lstm.call(input);
        output.Dispose();
        cn.Dispose();
        return hn[-1];
    }
}
