using TorchSharp;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Sets libtorch's intra-op thread count for a scope and restores it afterwards. libtorch's OpenMP workers keep
/// spinning for a while after every parallel op; the SRU's own kernels (<see cref="Model.Kernels.Sgemm512"/>) run
/// their own threads, which those spinning workers would keep off the cores. So an SRU trained on those kernels runs
/// libtorch single-threaded: what libtorch still does then (head, loss, optimizer, copies) is small.
/// The setting is process-wide: another libtorch computation running at the same time shares it.
/// </summary>
internal sealed class TorchThreads : IDisposable
{
    private readonly int _previous;
    private bool _disposed;

    private TorchThreads(int threads)
    {
        _previous = torch.get_num_threads();
        torch.set_num_threads(threads);
    }

    /// <summary>libtorch on one thread until disposed.</summary>
    public static TorchThreads SingleThreaded() => new(1);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        torch.set_num_threads(_previous);
    }
}
