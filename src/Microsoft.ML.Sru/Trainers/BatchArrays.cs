using System.Collections.Concurrent;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Feature arrays of batches handed back once their tensor is made (<see cref="TrainingBatch.ToFeatureTensor"/>) and given out
/// again for a batch of the same size. A batch of MNIST rows is about 100 KB, on the large-object heap, which only a
/// full collection frees: without reuse, an epoch of a million rows leaves gigabytes of them waiting for one.
/// </summary>
internal sealed class BatchArrays
{
    /// <summary>Arrays kept at most: the batches in flight (the ready queue and the one training) and a few spare.</summary>
    private const int MaxKept = 32;

    private readonly ConcurrentQueue<float[]> _free = new();

    /// <summary>An array of exactly <paramref name="length"/> values, reused or new; its contents are to be overwritten.</summary>
    public float[] Rent(int length)
    {
        while (_free.TryDequeue(out float[]? array))
        {
            if (array.Length == length)
                return array;
        }
        return new float[length];
    }

    public void Return(float[] array)
    {
        if (_free.Count < MaxKept)
            _free.Enqueue(array);
    }
}
