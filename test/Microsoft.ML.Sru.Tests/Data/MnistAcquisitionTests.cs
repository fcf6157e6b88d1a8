namespace Microsoft.ML.Sru.Tests.Data;

[TestClass]
public sealed class MnistAcquisitionTests
{
    private const string Name = "t10k-images-idx3-ubyte";
    private static readonly byte[] Good = IdxTestFiles.Images(4, 3, 3);
    private static readonly MnistFileSpec Spec = new(Name, 3, IdxTestFiles.Sha256(Good));

    public TestContext TestContext { get; set; } = null!;

    private static MnistAcquisition Acquisition(string? user, string? environment, string? cache, IReadOnlyList<IMnistFileSource> sources, List<string>? log = null) =>
        new("MNIST", user, environment, "SRU_MNIST_DIR", cache, sources, line => log?.Add(line));

    [TestMethod]
    public void The_data_directory_argument_comes_before_everything_else()
    {
        using var user = new TempDirectory();
        using var env = new TempDirectory();
        using var cache = new TempDirectory();
        string path = user.Write(Name, Good);
        env.Write(Name, Good);
        cache.Write(Name, Good);
        var calls = new List<string>();

        using var acquisition = Acquisition(user.Path, env.Path, cache.Path, [new FakeFileSource("mirror", calls, new() { [Name] = Good })]);
        IdxFile file = acquisition.Acquire(Spec);

        Assert.AreEqual(path, file.Path);
        Assert.IsEmpty(calls);
    }

    [TestMethod]
    public void Then_the_environment_variable_directory_then_the_cache()
    {
        using var user = new TempDirectory();
        using var env = new TempDirectory();
        using var cache = new TempDirectory();
        string fromEnv = env.Write(Name + ".gz", IdxTestFiles.Gzip(Good));
        string fromCache = cache.Write(Name, Good);
        var calls = new List<string>();
        var log = new List<string>();

        using (var acquisition = Acquisition(user.Path, env.Path, cache.Path, [new FakeFileSource("mirror", calls)], log))
            Assert.AreEqual(fromEnv, acquisition.Acquire(Spec).Path, "the user's directory lacks it, so the variable's is next");
        Assert.IsTrue(log.Any(l => l.Contains(user.Path, StringComparison.Ordinal) && l.Contains("not found", StringComparison.Ordinal)), string.Join("\n", log));

        File.Delete(fromEnv);
        using (var acquisition = Acquisition(user.Path, env.Path, cache.Path, [new FakeFileSource("mirror", calls)]))
            Assert.AreEqual(fromCache, acquisition.Acquire(Spec).Path);
        Assert.IsEmpty(calls);
    }

    [TestMethod]
    public void Fetch_sources_are_tried_in_order_until_one_delivers_and_the_file_is_cached_decompressed()
    {
        using var cache = new TempDirectory();
        string cacheDirectory = cache.Combine("nested/mnist");
        var calls = new List<string>();
        var log = new List<string>();
        IMnistFileSource[] sources =
        [
            new FakeFileSource("first mirror", calls),
            new FakeFileSource("second mirror", calls, new() { [Name] = IdxTestFiles.Gzip(Good) }),
            new FakeFileSource("package", calls, new() { [Name] = Good }),
        ];

        using var acquisition = Acquisition(null, null, cacheDirectory, sources, log);
        IdxFile file = acquisition.Acquire(Spec);

        CollectionAssert.AreEqual(new[] { "first mirror:" + Name, "second mirror:" + Name }, calls);
        string cached = Path.Combine(cacheDirectory, Name);
        Assert.AreEqual(cached, file.Path);
        CollectionAssert.AreEqual(Good, File.ReadAllBytes(cached), "the cache holds the decompressed file, whose SHA-256 is the pinned one");
        CollectionAssert.AreEqual(new[] { Name }, Directory.GetFiles(cacheDirectory).Select(Path.GetFileName).ToArray(), "no temporary file is left");
        foreach (string line in log)
            TestContext.WriteLine(line);
        Assert.IsTrue(log.Any(l => l.Contains("first mirror failed", StringComparison.Ordinal)));
        Assert.IsTrue(log.Any(l => l.Contains("cached as", StringComparison.Ordinal)));

        // Next time it comes from the cache.
        calls.Clear();
        using var again = Acquisition(null, null, cacheDirectory, sources);
        Assert.AreEqual(cached, again.Acquire(Spec).Path);
        Assert.IsEmpty(calls);
    }

    [TestMethod]
    public void A_bad_file_in_the_user_directory_is_reported_and_left_untouched()
    {
        using var user = new TempDirectory();
        using var cache = new TempDirectory();
        byte[] bad = IdxTestFiles.Images(4, 3, 3);
        bad[^1] ^= 1; // valid IDX, wrong checksum
        string path = user.Write(Name, bad);
        DateTime written = File.GetLastWriteTimeUtc(path);
        var calls = new List<string>();

        using var acquisition = Acquisition(user.Path, null, cache.Path, [new FakeFileSource("mirror", calls, new() { [Name] = Good })]);
        var e = Assert.ThrowsExactly<MnistDataException>(() => acquisition.Acquire(Spec));

        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "SHA-256");
        CollectionAssert.AreEqual(bad, File.ReadAllBytes(path));
        Assert.AreEqual(written, File.GetLastWriteTimeUtc(path));
        Assert.IsEmpty(calls, "a bad file the user named is the user's to fix, not a reason to download");
    }

    [TestMethod]
    public void A_truncated_file_in_the_environment_directory_is_reported_naming_it()
    {
        using var env = new TempDirectory();
        string path = env.Write(Name + ".gz", IdxTestFiles.Gzip(Good)[..30]);

        using var acquisition = Acquisition(null, env.Path, null, []);
        var e = Assert.ThrowsExactly<MnistDataException>(() => acquisition.Acquire(Spec));

        Assert.AreEqual(path, e.FilePath);
        Assert.IsTrue(File.Exists(path));
    }

    [TestMethod]
    [DataRow("wrong checksum")]
    [DataRow("truncated")]
    public void A_bad_cached_file_is_deleted_and_fetched_again(string damage)
    {
        using var cache = new TempDirectory();
        byte[] bad = damage == "truncated" ? Good[..^5] : Good.ToArray();
        if (damage != "truncated")
            bad[^1] ^= 1;
        string cached = cache.Write(Name, bad);
        var calls = new List<string>();
        var log = new List<string>();

        using var acquisition = Acquisition(null, null, cache.Path, [new FakeFileSource("mirror", calls, new() { [Name] = Good })], log);
        IdxFile file = acquisition.Acquire(Spec);

        Assert.AreEqual(cached, file.Path);
        CollectionAssert.AreEqual(Good, File.ReadAllBytes(cached));
        CollectionAssert.AreEqual(new[] { "mirror:" + Name }, calls);
        Assert.IsTrue(log.Any(l => l.Contains("cached copy is bad", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [TestMethod]
    public void An_interrupted_download_leaves_no_file_that_looks_complete()
    {
        using var cache = new TempDirectory();
        var calls = new List<string>();
        IMnistFileSource[] sources =
        [
            new FakeFileSource("dropping mirror", calls, new() { [Name] = IdxTestFiles.Gzip(Good) }) { BreakAfterBytes = 20 },
            new FakeFileSource("short package", calls, new() { [Name] = Good[..^10] }),
        ];

        using (var acquisition = Acquisition(null, null, cache.Path, sources))
        {
            var e = Assert.ThrowsExactly<MnistUnavailableException>(() => acquisition.Acquire(Spec));
            StringAssert.Contains(e.Message, "connection reset by peer");
            StringAssert.Contains(e.Message, "failed verification");
        }

        Assert.IsEmpty(Directory.GetFiles(cache.Path), string.Join(", ", Directory.GetFiles(cache.Path)));
    }

    [TestMethod]
    public void A_stale_partial_file_is_never_taken_for_the_file()
    {
        using var cache = new TempDirectory();
        string partial = cache.Write($".{Name}.0123456789abcdef.partial", Good[..^10]);
        var calls = new List<string>();

        using var acquisition = Acquisition(null, null, cache.Path, [new FakeFileSource("mirror", calls, new() { [Name] = Good })]);
        IdxFile file = acquisition.Acquire(Spec);

        Assert.AreEqual(Path.Combine(cache.Path, Name), file.Path);
        CollectionAssert.AreEqual(new[] { "mirror:" + Name }, calls);
        Assert.IsTrue(File.Exists(partial), "a recent partial file may belong to another process's download");
    }

    [TestMethod]
    public void When_nothing_works_one_exception_lists_every_place_and_source_tried()
    {
        using var user = new TempDirectory();
        using var cache = new TempDirectory();
        string missingEnv = cache.Combine("no-such-directory");
        var calls = new List<string>();
        IMnistFileSource[] sources = [new FakeFileSource("mirror A", calls), new FakeFileSource("package B", calls)];

        using var acquisition = Acquisition(user.Path, missingEnv, cache.Combine("cache"), sources);
        var e = Assert.ThrowsExactly<MnistUnavailableException>(() => acquisition.Acquire(Spec));
        TestContext.WriteLine(e.Message);

        Assert.AreEqual(Name, e.FileName);
        Assert.HasCount(5, e.Attempts);
        StringAssert.StartsWith(e.Attempts[0], "data directory " + user.Path);
        StringAssert.StartsWith(e.Attempts[1], "SRU_MNIST_DIR " + missingEnv);
        StringAssert.Contains(e.Attempts[1], "does not exist");
        StringAssert.StartsWith(e.Attempts[2], "cache ");
        StringAssert.Contains(e.Attempts[3], "mirror A has no " + Name);
        StringAssert.Contains(e.Attempts[4], "package B has no " + Name);
        foreach (string attempt in e.Attempts)
            StringAssert.Contains(e.Message, attempt);
        StringAssert.Contains(e.Message, "SRU_MNIST_DIR");
    }

    [TestMethod]
    public void Without_a_cache_directory_a_fetched_file_is_still_verified_and_used()
    {
        var calls = new List<string>();
        using var acquisition = Acquisition(null, null, null, [new FakeFileSource("mirror", calls, new() { [Name] = IdxTestFiles.Gzip(Good) })]);

        IdxFile file = acquisition.Acquire(Spec);

        CollectionAssert.AreEqual(IdxTestFiles.Pixels(4, 3, 3), file.Data);
    }

    [TestMethod]
    public void An_unusable_cache_directory_is_logged_and_the_file_fetched_into_a_temporary_one()
    {
        using var dir = new TempDirectory();
        string notADirectory = dir.Write("cache", new byte[] { 1 });
        var calls = new List<string>();
        var log = new List<string>();

        using var acquisition = Acquisition(null, null, notADirectory, [new FakeFileSource("mirror", calls, new() { [Name] = Good })], log);
        IdxFile file = acquisition.Acquire(Spec);

        CollectionAssert.AreEqual(IdxTestFiles.Pixels(4, 3, 3), file.Data);
        Assert.IsTrue(log.Any(l => l.Contains("cannot use the cache directory", StringComparison.Ordinal)), string.Join("\n", log));
        CollectionAssert.AreEqual(new byte[] { 1 }, File.ReadAllBytes(notADirectory));
    }

    [TestMethod]
    public void A_read_only_directory_source_copies_plain_or_gzipped_files()
    {
        using var dir = new TempDirectory();
        dir.Write(Name + ".gz", IdxTestFiles.Gzip(Good));
        var source = new DirectoryFileSource(dir.Path, "Debian package");
        var missing = new DirectoryFileSource(dir.Combine("absent"), "Debian package", "install it");
        using var copy = new MemoryStream();

        Assert.IsTrue(source.TryFetch(Name, copy, _ => { }, default, out _));
        CollectionAssert.AreEqual(IdxTestFiles.Gzip(Good), copy.ToArray());
        Assert.IsFalse(source.TryFetch("t10k-labels-idx1-ubyte", copy, _ => { }, default, out string? notThere));
        StringAssert.Contains(notThere, "t10k-labels-idx1-ubyte.gz");
        Assert.IsFalse(missing.TryFetch(Name, copy, _ => { }, default, out string? noDirectory));
        StringAssert.Contains(noDirectory, "install it");
    }
}
