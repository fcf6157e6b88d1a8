using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// One of TorchSharp's recurrent modules (<c>nn.LSTM</c>, <c>nn.GRU</c>) as an encoder: [T, B, I] → the last step's
/// output [B, H]. Subclasses hold the module in a field, whose name is its state-dict key, and run it.
/// </summary>
internal abstract class TorchRnnEncoder : nn.Module<Tensor, Tensor>, ISequenceEncoder
{
    private protected TorchRnnEncoder(string name) : base(name)
    {
    }

    /// <summary>Redraws the module's weights as TensorFlow 1.x's cell would start (see <see cref="TensorFlowInitialization.TorchRnn"/>).</summary>
    public abstract void InitializeAsTensorFlow1(int inputSize, int hiddenSize, int layers);

    /// <summary>Runs the stacked module from a zero state: the last layer's output at every step, [T, B, H].</summary>
    private protected abstract Tensor AllSteps(Tensor input);

    /// <summary>
    /// Runs the stacked module on a packed batch from a zero state: each sequence's last layer's state after its own last
    /// step, [B, H], in the batch's order.
    /// </summary>
    private protected abstract Tensor OwnLastSteps(nn.utils.rnn.PackedSequence input);

    public Tensor Encode(Tensor sequences, int[]? lengths)
    {
        if (lengths is null)
            return forward(sequences);
        // Packed, the module never reads a pad; masking step by step instead would run nn.LSTM/nn.GRU once per step.
        using Tensor sizes = tensor(lengths.Select(length => (long)length).ToArray());
        using nn.utils.rnn.PackedSequence packed = nn.utils.rnn.pack_padded_sequence(sequences, sizes, batch_first: false, enforce_sorted: false);
        return OwnLastSteps(packed);
    }

    public sealed override Tensor forward(Tensor input)
    {
        Tensor output = AllSteps(input);
        return output.select(0, output.shape[0] - 1);
    }
}
