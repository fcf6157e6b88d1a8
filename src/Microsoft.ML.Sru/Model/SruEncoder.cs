using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A stack of <see cref="SruLayer"/>s: [T, B, I] → a summary [B, D·H] for the head: the last step's output, or for a
/// bidirectional stack the forward direction's output at the last step beside the backward direction's at the first
/// (each direction's state after reading the whole sequence).
/// </summary>
internal sealed class SruEncoder : nn.Module<Tensor, Tensor>, ISequenceEncoder
{
    private readonly int _hiddenSize;
    private readonly bool _bidirectional;

#pragma warning disable IDE1006 // Field name is the state-dict key.
    private readonly ModuleList<SruLayer> layers;
#pragma warning restore IDE1006

    public SruEncoder(NetworkSpec spec) : base(nameof(SruEncoder))
    {
        _hiddenSize = spec.HiddenSize;
        _bidirectional = spec.SruCell.Bidirectional;
        layers = new ModuleList<SruLayer>();
        for (int i = 0; i < spec.NumberOfLayers; i++)
            layers.Add(new SruLayer($"layer{i}", SruLayerPlan.For(spec, i)));
        RegisterComponents();
    }

    public IEnumerable<SruLayer> Layers => layers;

    public Tensor Encode(Tensor sequences, int[]? lengths)
    {
        if (lengths is null)
            return forward(sequences);
        // The last step is each sequence's own, so every layer runs every step; pads stay out of the states.
        Tensor h = sequences;
        foreach (SruLayer layer in layers)
            h = layer.Forward(h, lengths);
        return Summary(PaddedSteps.OwnLast(h, lengths), h);
    }

    public override Tensor forward(Tensor input)
    {
        Tensor h = input;
        // A layer whose last step alone is read computes only that step's h.
        foreach (SruLayer layer in layers)
            h = layer.Plan.OnlyLastStepRead ? layer.ForwardLastStep(h) : layer.forward(h);
        return layers[layers.Count - 1].Plan.OnlyLastStepRead ? h : Summary(h.select(0, h.shape[0] - 1), h);
    }

    /// <summary>What the head reads from the last layer's output <paramref name="h"/> [T, B, D·H], given each row's last step.</summary>
    private Tensor Summary(Tensor last, Tensor h) =>
        !_bidirectional ? last : cat(new[] { last.narrow(1, 0, _hiddenSize), h.select(0, 0).narrow(1, _hiddenSize, _hiddenSize) }, 1);
}
