namespace Sru.MnistSample.Data;

/// <summary>
/// Shows what the library's data loader fetches, without --verbose: the lines of a file's look-up stay hidden while
/// the file is found locally, and from the moment it is not (not in the cache, or a bad cached copy) every line is
/// shown, so the user sees what is fetched, from where, the download's progress and where it is cached.
/// </summary>
internal sealed class FetchReport
{
    // The library's log lines that start and end a file's fetch (see MnistAcquisition).
    private static readonly string[] s_fetchStarts = ["not in the cache", "cached copy is bad", "no cache directory"];
    private const string FetchEnd = ": verified (SHA-256";

    private readonly string _dataset;
    private readonly Action<string> _write;
    private bool _fetching;
    private bool _announced;

    public FetchReport(string dataset, Action<string> write)
    {
        _dataset = dataset;
        _write = write;
    }

    public void Log(string line)
    {
        if (!_fetching && s_fetchStarts.Any(start => line.Contains(start, StringComparison.Ordinal)))
        {
            _fetching = true;
            if (!_announced)
            {
                _write($"Fetching {_dataset} (first use; later runs read the cache):");
                _announced = true;
            }
        }
        if (!_fetching)
            return;
        _write("  " + line.TrimStart());
        if (line.Contains(FetchEnd, StringComparison.Ordinal))
            _fetching = false;
    }
}
