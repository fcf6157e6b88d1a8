using System.Diagnostics.CodeAnalysis;
using Microsoft.ML.Sru.Tests.Data;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// Data-file cases not covered in test/Microsoft.ML.Sru.Tests/Data (which covers wrong magic, wrong dimensions,
/// truncation, absurd sizes, count mismatch, corrupt or truncated gzip, checksum mismatch in the cache and in a
/// user's directory, and a download that breaks off): a download cancelled halfway.
/// </summary>
[TestClass]
public sealed class DataFileTests
{
    private const string Name = "t10k-labels-idx1-ubyte";
    private static readonly byte[] Good = IdxTestFiles.Labels(7, 2, 1, 0, 4, 1, 4, 9, 5, 9);
    private static readonly MnistFileSpec Spec = new(Name, 1, IdxTestFiles.Sha256(Good));

    [TestMethod]
    public void A_download_cancelled_halfway_leaves_nothing_in_the_cache_and_the_next_run_fetches_the_file()
    {
        using var cache = new TempDirectory();
        using var cancellation = new CancellationTokenSource();
        var log = new List<string>();
        var halfway = new CancellingSource(IdxTestFiles.Gzip(Good), cancellation);

        using (var acquisition = new MnistAcquisition("MNIST", null, null, "SRU_MNIST_DIR", cache.Path, [halfway], log.Add))
            Assert.Throws<OperationCanceledException>(() => acquisition.Acquire(Spec, cancellation.Token));

        Assert.IsTrue(halfway.Wrote > 0, "the source wrote part of the file before the cancellation");
        Assert.IsEmpty(Directory.GetFileSystemEntries(cache.Path), string.Join(", ", Directory.GetFileSystemEntries(cache.Path)));

        var complete = new CancellingSource(IdxTestFiles.Gzip(Good), cancellation: null);
        using (var acquisition = new MnistAcquisition("MNIST", null, null, "SRU_MNIST_DIR", cache.Path, [complete], log.Add))
            CollectionAssert.AreEqual(Good[8..], acquisition.Acquire(Spec).Data);
        CollectionAssert.AreEqual(new[] { Name }, Directory.GetFiles(cache.Path).Select(Path.GetFileName).ToArray());
    }

    /// <summary>Writes half of a file, then cancels and throws as a cancelled download does; or writes all of it.</summary>
    private sealed class CancellingSource(byte[] content, CancellationTokenSource? cancellation) : IMnistFileSource
    {
        public string Description => "halfway mirror";

        public int Wrote { get; private set; }

        public bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure)
        {
            int count = cancellation is null ? content.Length : content.Length / 2;
            destination.Write(content, 0, count);
            destination.Flush();
            Wrote = count;
            if (cancellation is not null)
            {
                cancellation.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
            }
            failure = null;
            return true;
        }
    }
}
