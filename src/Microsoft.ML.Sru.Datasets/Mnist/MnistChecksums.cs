namespace Microsoft.ML.Sru;

/// <summary>
/// The published files of MNIST and Fashion-MNIST, each pinned by the SHA-256 of its decompressed content:
/// a file from any source (a user's directory, the cache, a mirror, a package) is used only when it matches.
/// </summary>
internal static class MnistChecksums
{
    private static readonly Dictionary<(MnistVariant, string), string> Sha256 = new()
    {
        [(MnistVariant.Digits, "train-images-idx3-ubyte")] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [(MnistVariant.Digits, "train-labels-idx1-ubyte")] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [(MnistVariant.Digits, "t10k-images-idx3-ubyte")] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [(MnistVariant.Digits, "t10k-labels-idx1-ubyte")] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        [(MnistVariant.Fashion, "train-images-idx3-ubyte")] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        [(MnistVariant.Fashion, "train-labels-idx1-ubyte")] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        [(MnistVariant.Fashion, "t10k-images-idx3-ubyte")] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        [(MnistVariant.Fashion, "t10k-labels-idx1-ubyte")] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    };

    /// <summary>The image file and the label file of one split of one variant.</summary>
    public static (MnistFileSpec Images, MnistFileSpec Labels) For(MnistVariant variant, MnistSplit split)
    {
        string prefix = split switch
        {
            MnistSplit.Train => "train",
            MnistSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown MNIST split."),
        };
        if (variant is not (MnistVariant.Digits or MnistVariant.Fashion))
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown MNIST variant.");
        string images = prefix + "-images-idx3-ubyte", labels = prefix + "-labels-idx1-ubyte";
        return (new MnistFileSpec(images, 3, Sha256[(variant, images)]), new MnistFileSpec(labels, 1, Sha256[(variant, labels)]));
    }
}
