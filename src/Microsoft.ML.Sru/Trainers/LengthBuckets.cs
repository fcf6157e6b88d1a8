namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// An epoch's batches of sequences of unequal lengths, each of rows of similar length so that little of a padded batch is
/// padding, and still shuffled: the rows are shuffled, cut into chunks of <see cref="BatchesPerChunk"/> batches, each chunk
/// sorted by length and cut into batches, and the batches' order shuffled. The same generator state gives the same epoch.
/// </summary>
internal static class LengthBuckets
{
    /// <summary>
    /// Batches per sorted chunk: large enough that rows of similar length meet, small enough that a batch's rows still come
    /// from a random few thousand and the batches of one epoch differ from the next's.
    /// </summary>
    public const int BatchesPerChunk = 50;

    /// <summary>
    /// The rows of an epoch, batch after batch, and where each batch starts in them (the last batch may be smaller).
    /// </summary>
    /// <param name="lengths">Each row's length in steps.</param>
    /// <param name="batchSize">Rows per batch, at least 1.</param>
    /// <param name="random">The run's generator; the call advances it.</param>
    public static (int[] Order, int[] BatchStarts) Shuffle(IReadOnlyList<int> lengths, int batchSize, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int rows = lengths.Count;
        int[] shuffled = Enumerable.Range(0, rows).ToArray();
        random.Shuffle(shuffled);

        int chunk = checked(batchSize * BatchesPerChunk);
        var batches = new List<int[]>((rows + batchSize - 1) / batchSize);
        for (int start = 0; start < rows; start += chunk)
        {
            // A stable sort: rows of one length keep their shuffled order.
            int[] sorted = shuffled.Skip(start).Take(chunk).OrderBy(row => lengths[row]).ToArray();
            for (int first = 0; first < sorted.Length; first += batchSize)
                batches.Add(sorted[first..Math.Min(first + batchSize, sorted.Length)]);
        }
        // Every batch full but the epoch's last: the last chunk's short batch, if any, goes at the end.
        int shortBatch = batches.FindIndex(batch => batch.Length < batchSize);
        int[]? last = null;
        if (shortBatch >= 0)
        {
            last = batches[shortBatch];
            batches.RemoveAt(shortBatch);
        }
        int[][] order = batches.ToArray();
        random.Shuffle(order);

        var rowsInOrder = new int[rows];
        var starts = new int[order.Length + (last is null ? 0 : 1)];
        int at = 0;
        for (int b = 0; b < order.Length; b++)
        {
            starts[b] = at;
            order[b].CopyTo(rowsInOrder, at);
            at += order[b].Length;
        }
        if (last is not null)
        {
            starts[^1] = at;
            last.CopyTo(rowsInOrder, at);
        }
        return (rowsInOrder, starts);
    }
}
