using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Runs a producer on a thread of its own, a bounded queue ahead of the consumer, so that (for training data) reading
/// and building the next batches overlaps training on the current one. Here with the library's other threads: a thread
/// is a process-wide resource. The producer's error reaches the consumer when it gets there;
/// a consumer that stops early (early stopping, an error, cancellation) stops the producer and waits for it.
/// </summary>
internal static class BackgroundProducer
{
    /// <summary>The items <paramref name="produce"/> sends to its sink, at most <paramref name="capacity"/> of them waiting.</summary>
    public static IEnumerable<T> Run<T>(Action<Action<T>, CancellationToken> produce, int capacity)
    {
        using var queue = new BlockingCollection<T>(capacity);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                produce(item => queue.Add(item, stop.Token), stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        })
        {
            IsBackground = true,
            Name = "Sru training data reader",
        };
        reader.Start();
        try
        {
            foreach (T item in queue.GetConsumingEnumerable())
                yield return item;
            reader.Join();
            if (failure is not null)
                ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }
    }
}
