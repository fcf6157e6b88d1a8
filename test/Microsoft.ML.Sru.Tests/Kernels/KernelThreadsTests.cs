using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML.Sru.Tests.Kernels;

[TestClass]
public sealed class KernelThreadsTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void Every_part_runs_once_and_all_have_finished_on_return(int parts)
    {
        for (int round = 0; round < 200; round++)
        {
            var runs = new int[parts];
            KernelThreads.For(parts, part =>
            {
                Thread.SpinWait(200);
                Interlocked.Increment(ref runs[part]);
            });
            CollectionAssert.AreEqual(Enumerable.Repeat(1, parts).ToArray(), runs, $"round {round}");
        }
    }

    // Two parts take the dedicated worker (unless another test holds it); three always take the thread pool. Both paths
    // must run every part even when one throws.
    [TestMethod]
    [DataRow(2, 0)]
    [DataRow(2, 1)]
    [DataRow(3, 0)]
    [DataRow(3, 2)]
    public void An_exception_in_one_part_reaches_the_caller_after_every_other_part_ends(int parts, int failing)
    {
        int finished = 0;
        var e = Assert.Throws<AggregateException>(() => KernelThreads.For(parts, part =>
        {
            if (part == failing)
                throw new InvalidOperationException($"part {part}");
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        }));
        Assert.AreEqual($"part {failing}", e.InnerExceptions.Single().Message);
        Assert.AreEqual(parts - 1, finished, "the other parts ran to their end before the call returned");
        // The worker is free again.
        int ran = 0;
        KernelThreads.For(2, _ => Interlocked.Increment(ref ran));
        Assert.AreEqual(2, ran);
    }

    [TestMethod]
    public void Calls_from_several_threads_at_once_and_nested_calls_all_complete()
    {
        long total = 0;
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < 100; i++)
                KernelThreads.For(2, outer => KernelThreads.For(2, inner => Interlocked.Increment(ref total)));
        });
        Assert.AreEqual(8 * 100 * 2 * 2, total);
    }
}
