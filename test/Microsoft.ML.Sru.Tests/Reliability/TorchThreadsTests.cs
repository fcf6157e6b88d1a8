using Microsoft.ML.Sru.Runtime;
using TorchSharp;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>Overlapping single-threaded scopes (two SRU trainings in one process) restore libtorch's thread count once, whatever order they end in.</summary>
[TestClass]
[DoNotParallelize]
public sealed class TorchThreadsTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Overlapping_scopes_restore_the_count_when_the_last_one_ends(bool firstEndsFirst)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(2);
        try
        {
            var first = TorchThreads.SingleThreaded();
            var second = TorchThreads.SingleThreaded();
            Assert.AreEqual(1, torch.get_num_threads());

            (firstEndsFirst ? first : second).Dispose();
            Assert.AreEqual(1, torch.get_num_threads(), "the other scope is still open");
            (firstEndsFirst ? first : second).Dispose();
            Assert.AreEqual(1, torch.get_num_threads(), "disposing twice counts once");
            (firstEndsFirst ? second : first).Dispose();

            Assert.AreEqual(2, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }
}
