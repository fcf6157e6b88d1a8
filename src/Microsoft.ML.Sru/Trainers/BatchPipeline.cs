using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Runs a batch producer on a thread of its own, a bounded queue ahead of the consumer, so that reading and building the
/// next batches overlaps training on the current one. The producer's error reaches the consumer when it gets there;
/// a consumer that stops early (early stopping, an error, cancellation) stops the producer and waits for it.
/// </summary>
internal static class BatchPipeline
{
    /// <summary>The batches <paramref name="produce"/> sends to its sink, at most <paramref name="capacity"/> of them waiting.</summary>
    public static IEnumerable<TrainingBatch> Run(Action<Action<TrainingBatch>, CancellationToken> produce, int capacity)
    {
        using var queue = new BlockingCollection<TrainingBatch>(capacity);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                produce(batch => queue.Add(batch, stop.Token), stop.Token);
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
            foreach (TrainingBatch batch in queue.GetConsumingEnumerable())
                yield return batch;
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
