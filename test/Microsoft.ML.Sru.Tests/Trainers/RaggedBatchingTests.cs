using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>Rows of unequal lengths cut into batches of rows of similar length.</summary>
[TestClass]
public sealed class RaggedBatchingTests
{
    [TestMethod]
    [DataRow(1000, 8)]
    [DataRow(1003, 8)]
    [DataRow(5, 8)]
    [DataRow(450, 1)]
    public void An_epoch_has_every_row_once_in_full_batches_but_the_last(int rows, int batchSize)
    {
        int[] lengths = RandomLengths(rows, seed: rows);
        var (order, starts) = LengthBuckets.Shuffle(lengths, batchSize, new Random(1));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, rows).ToArray(), order);
        Assert.AreEqual((rows + batchSize - 1) / batchSize, starts.Length);
        for (int b = 0; b < starts.Length; b++)
        {
            int end = b + 1 < starts.Length ? starts[b + 1] : rows;
            Assert.AreEqual(b + 1 < starts.Length ? batchSize : rows - (starts.Length - 1) * batchSize, end - starts[b], $"batch {b}");
        }
    }

    [TestMethod]
    public void The_same_seed_gives_the_same_epoch_and_the_next_epoch_differs()
    {
        int[] lengths = RandomLengths(1000, seed: 2);
        var random = new Random(7);
        var first = LengthBuckets.Shuffle(lengths, 8, random);
        var second = LengthBuckets.Shuffle(lengths, 8, random);
        var again = LengthBuckets.Shuffle(lengths, 8, new Random(7));
        CollectionAssert.AreEqual(first.Order, again.Order);
        CollectionAssert.AreEqual(first.BatchStarts, again.BatchStarts);
        CollectionAssert.AreNotEqual(first.Order, second.Order);
    }

    [TestMethod]
    public void Batches_hold_rows_of_similar_length()
    {
        // Lengths 1 to 500: a random batch of 8 spans about 7/9 of the range, a bucketed one a few steps.
        int[] lengths = RandomLengths(4000, seed: 3);
        var (order, starts) = LengthBuckets.Shuffle(lengths, 8, new Random(1));
        double bucketed = MeanSpread(order, starts, lengths);
        int[] random = Enumerable.Range(0, lengths.Length).ToArray();
        new Random(1).Shuffle(random);
        double unsorted = MeanSpread(random, starts, lengths);
        Assert.IsTrue(bucketed < unsorted / 10, $"mean longest − shortest in a batch: {bucketed:F1} bucketed, {unsorted:F1} unsorted");
        // The batches are shuffled, not in order of length.
        double[] firstLengths = starts.Select(s => (double)lengths[order[s]]).ToArray();
        Assert.IsTrue(Enumerable.Range(1, firstLengths.Length - 1).Count(i => firstLengths[i] < firstLengths[i - 1]) > firstLengths.Length / 4, "batch order shuffled");
    }

    private static double MeanSpread(int[] order, int[] starts, int[] lengths) => starts.Select((start, b) =>
    {
        int end = b + 1 < starts.Length ? starts[b + 1] : order.Length;
        int[] batch = order[start..end].Select(row => lengths[row]).ToArray();
        return batch.Max() - batch.Min();
    }).Average();

    private static int[] RandomLengths(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => random.Next(1, 501)).ToArray();
    }
}
