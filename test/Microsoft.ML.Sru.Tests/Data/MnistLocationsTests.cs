namespace Microsoft.ML.Sru.Tests.Data;

[TestClass]
public sealed class MnistLocationsTests
{
    [TestMethod]
    public void The_cache_is_under_XDG_CACHE_HOME_when_it_is_an_absolute_path()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("The XDG layout applies on Linux.");
        var env = new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = "/var/cache/me", ["HOME"] = "/home/me" };

        Assert.AreEqual("/var/cache/me/sru-mlnet/mnist", MnistLocations.CacheDirectory(MnistVariant.Digits, env.GetValueOrDefault));
        Assert.AreEqual("/var/cache/me/sru-mlnet/fashion-mnist", MnistLocations.CacheDirectory(MnistVariant.Fashion, env.GetValueOrDefault));
    }

    [TestMethod]
    public void Otherwise_the_cache_is_under_the_home_directory()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("The XDG layout applies on Linux.");
        var relative = new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = "relative/cache", ["HOME"] = "/home/me" };
        var unset = new Dictionary<string, string?> { ["HOME"] = "/home/me" };

        Assert.AreEqual("/home/me/.cache/sru-mlnet/mnist", MnistLocations.CacheDirectory(MnistVariant.Digits, relative.GetValueOrDefault));
        Assert.AreEqual("/home/me/.cache/sru-mlnet/fashion-mnist", MnistLocations.CacheDirectory(MnistVariant.Fashion, unset.GetValueOrDefault));
    }

    [TestMethod]
    public void Each_variant_has_its_own_directory_variable_and_fetch_sources()
    {
        Assert.AreEqual("SRU_MNIST_DIR", MnistLocations.DirectoryVariable(MnistVariant.Digits));
        Assert.AreEqual("SRU_FASHION_MNIST_DIR", MnistLocations.DirectoryVariable(MnistVariant.Fashion));

        var digits = MnistLocations.DefaultSources(MnistVariant.Digits);
        var fashion = MnistLocations.DefaultSources(MnistVariant.Fashion);

        Assert.IsTrue(digits.Take(digits.Count - 1).All(s => s is HttpMirrorSource && s.Description.Contains("https://", StringComparison.Ordinal)));
        Assert.IsInstanceOfType<NpmPackageSource>(digits[^1]);
        Assert.IsTrue(fashion.Take(fashion.Count - 1).All(s => s is HttpMirrorSource && s.Description.Contains("https://", StringComparison.Ordinal)));
        Assert.IsInstanceOfType<DirectoryFileSource>(fashion[^1]);
        StringAssert.Contains(fashion[^1].Description, "/usr/share/datasets/fashion-mnist");
    }

    [TestMethod]
    public void The_default_acquisition_reads_the_directory_variable_of_its_variant()
    {
        using var dir = new TempDirectory();
        byte[] labels = IdxTestFiles.Labels(1, 2, 3);
        dir.Write("t10k-labels-idx1-ubyte", labels);
        var env = new Dictionary<string, string?> { ["SRU_FASHION_MNIST_DIR"] = dir.Path, ["HOME"] = dir.Combine("home") };
        var spec = new MnistFileSpec("t10k-labels-idx1-ubyte", 1, IdxTestFiles.Sha256(labels));

        using var acquisition = MnistLocations.CreateDefault(MnistVariant.Fashion, null, null, env.GetValueOrDefault);

        Assert.AreEqual(dir.Combine("t10k-labels-idx1-ubyte"), acquisition.Acquire(spec).Path);
    }

    [TestMethod]
    public void The_pinned_files_are_named_by_split()
    {
        var (images, labels) = MnistChecksums.For(MnistVariant.Digits, MnistSplit.Test);
        Assert.AreEqual("t10k-images-idx3-ubyte", images.Name);
        Assert.AreEqual(3, images.Dimensions);
        Assert.AreEqual("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", labels.Sha256);
        var (fashionImages, _) = MnistChecksums.For(MnistVariant.Fashion, MnistSplit.Train);
        Assert.AreEqual("train-images-idx3-ubyte", fashionImages.Name);
        Assert.AreNotEqual(MnistChecksums.For(MnistVariant.Digits, MnistSplit.Train).Images.Sha256, fashionImages.Sha256);
    }
}
