using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sru.Runtime.Interop;

/// <summary>
/// Reaches the <see cref="MLContext"/> behind an ML.NET catalog. Why: a catalog keeps its environment internal
/// (<c>CatalogUtils.GetEnvironment</c>), and an extension method on a catalog needs it to create a trainer on that
/// context, or to log to its <see cref="MLContext.Log"/> (ML.NET's <c>ChannelMessage</c> constructor is internal too).
/// What it affects: nothing beyond the catalog's own context. Also used by the datasets assembly
/// (Microsoft.ML.Sru.Datasets, <c>LoadMnist</c>), which is compiled against the public ML.NET API only.
/// </summary>
internal static class MlNetCatalogs
{
    /// <summary>The environment (the <see cref="MLContext"/>) a trainers catalog belongs to.</summary>
    public static IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogUtils.GetEnvironment(catalog);
    }

    /// <summary>The environment (the <see cref="MLContext"/>) a data catalog belongs to.</summary>
    public static IHostEnvironment EnvironmentOf(DataOperationsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogUtils.GetEnvironment(catalog);
    }

    /// <summary>
    /// Opens a channel named <paramref name="source"/> on the catalog's context; the returned action sends each line to
    /// <see cref="MLContext.Log"/> as an information message, until the channel is disposed.
    /// </summary>
    public static IChannel OpenLog(DataOperationsCatalog catalog, string source, out Action<string> info)
    {
        IChannel channel = EnvironmentOf(catalog).Register(source).Start(source);
        info = line => channel.Send(new ChannelMessage(ChannelMessageKind.Info, MessageSensitivity.None, line));
        return channel;
    }
}
