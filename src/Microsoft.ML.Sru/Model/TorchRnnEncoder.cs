using TorchSharp;
using TorchSharp.Modules;
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
    public abstract void InitializeAsTensorFlow1(int inputSize, int hiddenSize);

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
        // One direction only: a step's output depends on no later step, so each row's own last step is what it is
        // alone, and the pads after it (which no loss reads) pass no gradient back. Bucketed batches have few of them.
        if (UsesFusedLayers(sequences))
        {
            using Tensor all = FusedAllSteps(sequences);
            return PaddedSteps.OwnLast(all, lengths);
        }
        // Packed, the module never reads a pad; masking step by step instead would run nn.LSTM/nn.GRU once per step.
        using Tensor sizes = tensor(lengths.Select(length => (long)length).ToArray());
        using nn.utils.rnn.PackedSequence packed = nn.utils.rnn.pack_padded_sequence(sequences, sizes, batch_first: false, enforce_sorted: false);
        return OwnLastSteps(packed);
    }

    /// <summary>The module whose parameters (weight_ih_l0, …) the fused layers train.</summary>
    private protected abstract nn.Module RecurrentModule { get; }

    /// <summary>Gate blocks per layer: 4 for LSTM, 3 for GRU.</summary>
    private protected abstract int Gates { get; }

    /// <summary>One layer on the fused kernels: x [T·B, I] → h [T, B, H] (see <see cref="Kernels.RnnLayerFunction{TCell}"/>).</summary>
    private protected abstract Tensor FusedLayer(Tensor x, Tensor inputWeights, Tensor hiddenWeights, Tensor inputBias, Tensor hiddenBias, long steps);

    public sealed override Tensor forward(Tensor input)
    {
        Tensor output = UsesFusedLayers(input) ? FusedAllSteps(input) : AllSteps(input);
        return output.select(0, output.shape[0] - 1);
    }

    /// <summary>One layer's parameters by what they are, as nn.LSTM/nn.GRU keep them: W_ih [G·H, I], W_hh [G·H, H], b_ih and b_hh [G·H].</summary>
    public sealed record LayerWeights(Tensor InputWeights, Tensor HiddenWeights, Tensor InputBias, Tensor HiddenBias);

    /// <summary>Every layer's parameters, first layer first: what training's fused layers, the managed scorer and the ONNX writer read.</summary>
    public IReadOnlyList<LayerWeights> Layers
    {
        get
        {
            var parameters = RecurrentModule.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
            var layers = new List<LayerWeights>();
            for (int layer = 0; parameters.TryGetValue($"weight_ih_l{layer}", out Tensor? inputWeights); layer++)
            {
                layers.Add(new LayerWeights(inputWeights, parameters[$"weight_hh_l{layer}"],
                    parameters[$"bias_ih_l{layer}"], parameters[$"bias_hh_l{layer}"]));
            }
            return layers;
        }
    }

    private bool UsesFusedLayers(Tensor input) => FusedRnnPath.AppliesTo(input, training, Layers[0].HiddenWeights.shape[1], Gates);

    /// <summary>What <see cref="AllSteps"/> computes, layer by layer on the fused kernels, with the module's own parameters.</summary>
    private Tensor FusedAllSteps(Tensor input)
    {
        long steps = input.shape[0], batch = input.shape[1];
        Tensor h = input;
        foreach (LayerWeights layer in Layers)
        {
            Tensor rows = h.reshape(steps * batch, h.shape[2]);
            h = FusedLayer(rows.is_contiguous() ? rows : rows.contiguous(), Contiguous(layer.InputWeights), Contiguous(layer.HiddenWeights),
                Contiguous(layer.InputBias), Contiguous(layer.HiddenBias), steps);
        }
        return h;
    }

    private static Tensor Contiguous(Tensor tensor) => tensor.is_contiguous() ? tensor : tensor.contiguous();
}
