namespace Microsoft.ML.Sru;

/// <summary>
/// Where fetched datasets are kept, one folder per dataset under one root: <c>$XDG_CACHE_HOME/sru-mlnet/&lt;name&gt;</c>
/// (an absolute XDG_CACHE_HOME only) or <c>~/.cache/sru-mlnet/&lt;name&gt;</c> on Linux, <c>LocalApplicationData/sru-mlnet/&lt;name&gt;</c>
/// on other systems. MNIST's folders are <c>mnist</c> and <c>fashion-mnist</c>.
/// </summary>
internal static class DatasetCache
{
    /// <summary>The folder for <paramref name="name"/>, or null when no home directory can be found.</summary>
    /// <param name="name">The dataset's folder name, such as <c>mnist</c>.</param>
    /// <param name="getEnvironmentVariable">Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/> when null.</param>
    public static string? Directory(string name, Func<string, string?>? getEnvironmentVariable = null)
    {
        getEnvironmentVariable ??= Environment.GetEnvironmentVariable;
        string? root;
        if (OperatingSystem.IsLinux())
        {
            string? xdg = getEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg))
            {
                root = xdg;
            }
            else
            {
                string? home = getEnvironmentVariable("HOME");
                if (string.IsNullOrEmpty(home))
                    home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                root = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
            }
        }
        else
        {
            root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        }
        return string.IsNullOrEmpty(root) ? null : Path.Combine(root, "sru-mlnet", name);
    }
}
