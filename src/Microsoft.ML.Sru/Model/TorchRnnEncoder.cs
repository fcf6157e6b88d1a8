using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// One of TorchSharp's recurrent modules (<c>nn.LSTM</c>, <c>nn.GRU</c>) as an encoder: [T, B, I] → the last step's
/// output [B, H]. Subclasses hold the module in a field, whose name is its state-dict key, and run it.
/// </summary>
internal abstract class TorchRnnEncoder : nn.Module<Tensor, Tensor>
{
    private protected TorchRnnEncoder(string name) : base(name)
    {
    }

    /// <summary>Redraws the module's weights as TensorFlow 1.x's cell would start (see <see cref="TensorFlowInitialization.TorchRnn"/>).</summary>
    public abstract void InitializeAsTensorFlow1(int inputSize, int hiddenSize, int layers);

    /// <summary>Runs the stacked module from a zero state: the last layer's output at every step, [T, B, H].</summary>
    private protected abstract Tensor AllSteps(Tensor input);

    public sealed override Tensor forward(Tensor input)
    {
        Tensor output = AllSteps(input);
        return output.select(0, output.shape[0] - 1);
    }
}
