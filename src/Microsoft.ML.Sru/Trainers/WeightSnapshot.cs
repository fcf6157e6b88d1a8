using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// A copy of a network's weights (its whole state dict) taken during training, so that the best epoch's weights can be
/// put back at the end. The copies live on the network's device and are overwritten in place on each capture.
/// </summary>
internal sealed class WeightSnapshot : IDisposable
{
    private readonly (string Name, Tensor Live, Tensor Copy)[] _pairs;

    public WeightSnapshot(nn.Module network)
    {
        using var noGrad = no_grad();
        _pairs = network.state_dict().Select(entry => (entry.Key, entry.Value, Copy(entry.Value))).ToArray();
    }

    /// <summary>The captured weights by state-dict name, for a training checkpoint to write and restore.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Copies => _pairs.Select(pair => (pair.Name, pair.Copy)).ToArray();

    private static Tensor Copy(Tensor live)
    {
        using Tensor detached = live.detach();
        return detached.clone().DetachFromDisposeScope();
    }

    /// <summary>Copies the network's current weights into the snapshot.</summary>
    public void Capture()
    {
        using var noGrad = no_grad();
        foreach (var (_, live, copy) in _pairs)
            copy.copy_(live);
    }

    /// <summary>Puts the captured weights back into the network.</summary>
    public void Restore()
    {
        using var noGrad = no_grad();
        foreach (var (_, live, copy) in _pairs)
            live.copy_(copy);
    }

    public void Dispose()
    {
        foreach (var (_, _, copy) in _pairs)
            copy.Dispose();
    }
}
