namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>Reports on the caller's thread (System.Progress posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
