using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The initial weights of an <see cref="SruLayer"/>. Every layer starts from U(±√(3/fan-in)) weights (unit variance of U)
/// and a reset-gate bias of <see cref="SruCellSpec.HighwayBias"/>, with x' scaled by α when rescaling; then
/// <list type="bullet">
/// <item>the 2017 form (the default): forget-gate bias +2, so that the cell carries early steps to the last one
/// (docs/results.md, the blog post's run, measures what it adds);</item>
/// <item>with cell-state weights: the official SRU 2.x recipe (its reset_parameters): forget-gate bias 0,
/// v ~ U(±√3)·√½ and the gates' weight blocks ·√½, the z block ·√(1 − dropout) under dropout, all weights ·0.1
/// with layer norm.</item>
/// </list>
/// </summary>
internal static class SruInitialization
{
    private const double ClassicForgetBias = 2.0;

    public static void Apply(SruCellSpec cell, int blocks, float dropout, Parameter? projection, Parameter weight, Parameter bias, Parameter? cellWeights)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        long fanIn = weight.shape[0], output = bias.shape[0] / 2, hidden = output / cell.Directions;
        if (projection is not null)
            Uniform(projection, Math.Sqrt(3.0 / projection.shape[0]));
        Uniform(weight, Math.Sqrt(3.0 / fanIn));
        // [fan-in, D, k, H]: each block of each direction.
        var blockView = weight.view(fanIn, cell.Directions, blocks, hidden);
        torch.Tensor Block(int b) => blockView.select(2, b);

        bias.narrow(0, output, output).fill_(cell.HighwayBias);
        if (cell.Rescale && cell.UseHighway && blocks == 4)
            Block(3).mul_(cell.SkipScale);

        if (cellWeights is null)
        {
            bias.narrow(0, 0, output).fill_(ClassicForgetBias);
            return;
        }

        bias.narrow(0, 0, output).fill_(0);
        if (dropout > 0)
            Block(0).mul_(Math.Sqrt(1 - dropout));
        if (cell.LayerNorm != SruLayerNorm.None)
            weight.mul_(0.1);
        Uniform(cellWeights, Math.Sqrt(3.0));
        cellWeights.mul_(Math.Sqrt(0.5));
        Block(1).mul_(Math.Sqrt(0.5));
        Block(2).mul_(Math.Sqrt(0.5));
    }

    private static void Uniform(Parameter parameter, double range) => parameter.uniform_(-range, range);
}
