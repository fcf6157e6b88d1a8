namespace Sru.ScoringService.Models;

/// <summary>
/// The model being served. A request takes a <see cref="ModelLease"/> on whichever model is current and scores on
/// it to the end; <see cref="Publish"/> switches atomically, and the model it replaces is disposed once its last
/// lease is returned.
/// </summary>
public sealed class ModelHolder : IDisposable
{
    private LoadedModel? _current;
    private ModelRefusal? _lastRefusal;

    /// <summary>The model being served, or null before the first good file was loaded (for reporting, not for scoring).</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>The last model file refused, with the reason.</summary>
    public ModelRefusal? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>A lease on the current model, or null when none is loaded.</summary>
    public ModelLease? TryAcquire()
    {
        while (Volatile.Read(ref _current) is { } model)
        {
            if (model.TryHold())
                return new ModelLease(model);
            // Retired between the read and the hold: a newer model is current by now.
        }
        return null;
    }

    /// <summary>Serves <paramref name="model"/> from now on; the previous model is disposed when its running requests end.</summary>
    public void Publish(LoadedModel model) => Interlocked.Exchange(ref _current, model)?.Release();

    public void Refused(ModelRefusal refusal) => Volatile.Write(ref _lastRefusal, refusal);

    public void Dispose() => Interlocked.Exchange(ref _current, null)?.Release();
}

/// <summary>A model file the service would not serve, and why.</summary>
public sealed record ModelRefusal(DateTime AtUtc, string Sha256, string Reason);

/// <summary>One hold on a model: the model is not disposed before the lease is.</summary>
public sealed class ModelLease(LoadedModel model) : IDisposable
{
    private int _released;

    public LoadedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
            Model.Release();
    }
}
