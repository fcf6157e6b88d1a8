using TorchSharp;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Holds libtorch's intra-op thread count at one for a scope. libtorch's OpenMP workers keep spinning for a while
/// after every parallel op; the SRU's own kernels (<see cref="Model.Kernels.Sgemm512"/>) run their own threads, which
/// those spinning workers would keep off the cores. So an SRU trained on those kernels runs libtorch single-threaded:
/// what libtorch still does then (head, loss, optimizer, copies) is small.
/// The setting is process-wide, so scopes are counted: the first one opened saves the count and the last one closed
/// restores it, whatever order overlapping trainings end in. Process-wide: any libtorch computation running meanwhile,
/// the app's own included, runs on one thread too.
/// </summary>
internal sealed class TorchThreads : IDisposable
{
    private static readonly Lock Gate = new();
    private static int _open;
    private static int _saved;
    private bool _disposed;

    private TorchThreads()
    {
        lock (Gate)
        {
            if (_open++ == 0)
            {
                _saved = torch.get_num_threads();
                torch.set_num_threads(1);
            }
        }
    }

    /// <summary>libtorch on one thread until disposed (and until every other such scope is disposed).</summary>
    public static TorchThreads SingleThreaded() => new();

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            if (--_open == 0)
                torch.set_num_threads(_saved);
        }
    }
}
