using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>A stack of <see cref="SruLayer"/>s: [T, B, I] → the last step's output [B, H].</summary>
internal sealed class SruEncoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Field name is the state-dict key.
    private readonly ModuleList<SruLayer> layers;
#pragma warning restore IDE1006

    public SruEncoder(int inputSize, int hiddenSize, int numberOfLayers, bool useHighway) : base(nameof(SruEncoder))
    {
        layers = new ModuleList<SruLayer>();
        for (int i = 0; i < numberOfLayers; i++)
            layers.Add(new SruLayer($"layer{i}", i == 0 ? inputSize : hiddenSize, hiddenSize, useHighway));
        RegisterComponents();
    }

    public IEnumerable<SruLayer> Layers => layers;

    public override Tensor forward(Tensor input)
    {
        Tensor h = input;
        foreach (SruLayer layer in layers)
            h = layer.forward(h);
        return h.select(0, h.shape[0] - 1);
    }
}
