namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A trained network's native tensors, shared by the model that owns them and the calls in progress on it. Each call
/// holds the network (<see cref="Acquire"/>) while it reads the weights; the tensors are freed when the owner has
/// disposed it and the last hold is released, so that disposing never pulls them away from a call on another thread,
/// and no call can start once disposed.
/// </summary>
internal sealed class SharedNetwork : IDisposable
{
    private readonly SequenceClassifier _network;
    private readonly string _ownerName;
    private int _disposed;

    // The owner's hold, released by Dispose, and one per call in progress.
    private int _holders = 1;

    /// <param name="network">The network; freed by this from now on.</param>
    /// <param name="ownerName">The object a use after disposal is reported of.</param>
    public SharedNetwork(SequenceClassifier network, string ownerName)
    {
        _network = network;
        _ownerName = ownerName;
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The network, for a use that needs no hold (it runs on the owner's thread, or copies nothing from the tensors).</summary>
    public SequenceClassifier Network
    {
        get
        {
            ThrowIfDisposed();
            return _network;
        }
    }

    public void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(_ownerName);
    }

    /// <summary>Holds the network until the returned hold is disposed; throws <see cref="ObjectDisposedException"/> once the owner is disposed.</summary>
    public Hold Acquire()
    {
        while (true)
        {
            int holders = Volatile.Read(ref _holders);
            if (holders == 0 || IsDisposed)
                throw new ObjectDisposedException(_ownerName, "The recurrent classifier was disposed: its weights are released and it cannot score or be saved. (Disposing a PredictionEngine or the transformer disposes the model.)");
            if (Interlocked.CompareExchange(ref _holders, holders + 1, holders) == holders)
                return new Hold(this);
        }
    }

    /// <summary>Releases the owner's hold: safe to call more than once and from any thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Release();
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
            _network.Dispose();
    }

    /// <summary>One call's hold on the network.</summary>
    public readonly struct Hold : IDisposable
    {
        private readonly SharedNetwork _owner;

        internal Hold(SharedNetwork owner)
        {
            _owner = owner;
        }

        public SequenceClassifier Network => _owner._network;

        public void Dispose() => _owner.Release();
    }
}
