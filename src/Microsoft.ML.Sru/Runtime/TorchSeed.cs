using TorchSharp;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Seeds libtorch's global random generator for the length of a scope. Why: a network's initial weights are drawn from
/// that generator, so a training run seeds it from the <see cref="MLContext"/>'s seed before it builds its network.
/// Process-wide: there is one generator per process, so two trainings building networks on different threads must
/// not interleave (each would get weights from the other's sequence); the scope holds a process-wide lock. Anything
/// else that draws from libtorch's generator meanwhile, the app's own code included, shifts the sequence.
/// </summary>
internal static class TorchSeed
{
    private static readonly Lock Gate = new();

    /// <summary>Takes the lock and seeds the generator; the generator is this caller's until the scope is disposed.</summary>
    public static Lock.Scope Seeded(long seed)
    {
        Lock.Scope scope = Gate.EnterScope();
        try
        {
            torch.manual_seed(seed);
        }
        catch
        {
            scope.Dispose();
            throw;
        }
        return scope;
    }
}
