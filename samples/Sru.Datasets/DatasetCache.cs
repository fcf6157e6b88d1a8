namespace Sru.Datasets;

/// <summary>
/// Where fetched datasets are kept: <c>$XDG_CACHE_HOME/sru-mlnet/&lt;name&gt;</c>, else <c>~/.cache/sru-mlnet/&lt;name&gt;</c>
/// (beside the MNIST cache the library keeps).
/// </summary>
internal static class DatasetCache
{
    public static string Directory(string name)
    {
        string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sru-mlnet", name);
    }
}
