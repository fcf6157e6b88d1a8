namespace Sru.MnistSample.Output;

/// <summary>Checks, before any data is loaded or any training starts, that a directory the command will write into is usable.</summary>
internal static class OutputDirectory
{
    /// <summary>Null when <paramref name="directory"/> exists and a file can be created in it; otherwise what is wrong, naming <paramref name="option"/> and the path.</summary>
    public static string? Check(string directory, string option)
    {
        if (!Directory.Exists(directory))
            return $"{option}: the directory '{directory}' does not exist.";
        try
        {
            string probe = Path.Combine(directory, $".sru-write-check-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                // Writable.
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{option}: cannot write into the directory '{directory}': {e.Message}";
        }
    }

    /// <summary>
    /// The plots directory, created if its parent exists (so "--plots plots" just works, but a mistyped parent path is
    /// an error rather than a new tree), and checked writable. Exit code 2 otherwise.
    /// </summary>
    public static string PreparePlots(string directory)
    {
        string full = Path.GetFullPath(directory);
        string? parent = Path.GetDirectoryName(full);
        if (!Directory.Exists(full))
        {
            if (parent is not null && !Directory.Exists(parent))
                throw Cli.SampleException.Usage($"--plots: the directory '{parent}' (in which '{directory}' would be created) does not exist.");
            try
            {
                Directory.CreateDirectory(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Cli.SampleException.Usage($"--plots: cannot create the directory '{directory}': {e.Message}");
            }
        }
        return Check(full, "--plots") is { } problem ? throw Cli.SampleException.Usage(problem) : full;
    }
}
