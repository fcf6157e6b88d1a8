using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Sru.ScoringService.Models;

/// <summary>
/// Loads the configured model file at start and again whenever it changes: on file-system events, debounced until
/// the file has been quiet for <see cref="ScoringOptions.DebounceMilliseconds"/>, and by polling its size and time
/// every <see cref="ScoringOptions.PollMilliseconds"/> (watchers can miss events). A file with the content being
/// served, or the content last refused, is not loaded again.
/// </summary>
public sealed partial class ModelFileWatcher(IOptions<ScoringOptions> options, ModelLoader loader, ModelHolder holder, ILogger<ModelFileWatcher> log)
    : BackgroundService
{
    private readonly ScoringOptions _options = options.Value;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private (long Length, DateTime TimeUtc)? _lastSeen;
    private bool _reportedMissing;
    private long _generation;

    private string ModelPath => Path.GetFullPath(_options.ModelPath);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using FileSystemWatcher? watcher = Watch();
        CheckFile();
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                poll.CancelAfter(_options.PollMilliseconds);
                try
                {
                    await _changes.Reader.ReadAsync(poll.Token);
                    await QuietAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The poll interval passed without an event.
                }
            }
            CheckFile();
        }
    }

    /// <summary>Waits until no change event has come for the debounce delay (a copy or rename raises several).</summary>
    private async Task QuietAsync(CancellationToken stoppingToken)
    {
        do
            await Task.Delay(_options.DebounceMilliseconds, stoppingToken);
        while (_changes.Reader.TryRead(out _));
    }

    private FileSystemWatcher? Watch()
    {
        string? directory = Path.GetDirectoryName(ModelPath);
        if (directory is null || !Directory.Exists(directory))
        {
            LogNoWatcher(ModelPath, "its directory does not exist");
            return null;
        }
        // No name filter: the rename that installs a new file must be seen whichever name the filter would match.
        var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        watcher.Changed += OnEvent;
        watcher.Created += OnEvent;
        watcher.Deleted += OnEvent;
        watcher.Renamed += OnEvent;
        watcher.Error += (_, e) => LogNoWatcher(ModelPath, e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        if (PathEquals(e.FullPath) || (e is RenamedEventArgs renamed && PathEquals(renamed.OldFullPath)))
            _changes.Writer.TryWrite(true);
    }

    private bool PathEquals(string path) => string.Equals(path, ModelPath, StringComparison.Ordinal);

    /// <summary>Loads the file if it is not what was last seen; never throws (the service keeps serving what it has).</summary>
    internal void CheckFile()
    {
        try
        {
            var file = new FileInfo(ModelPath);
            if (!file.Exists)
            {
                if (!_reportedMissing)
                    LogMissing(ModelPath, holder.Current?.Version.Name ?? "none");
                _reportedMissing = true;
                _lastSeen = null;
                return;
            }
            _reportedMissing = false;
            var seen = (file.Length, file.LastWriteTimeUtc);
            if (seen == _lastSeen)
                return;
            byte[] zip = File.ReadAllBytes(ModelPath);
            _lastSeen = seen;
            string sha = Convert.ToHexStringLower(SHA256.HashData(zip));
            if (sha == holder.Current?.Version.Sha256 || sha == holder.LastRefusal?.Sha256)
                return;
            Load(zip, sha, seen.LastWriteTimeUtc);
        }
        catch (IOException e)
        {
            // Being replaced or locked: the next event or poll tries again.
            LogUnreadable(ModelPath, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            LogUnreadable(ModelPath, e.Message);
        }
    }

    private void Load(byte[] zip, string sha, DateTime fileTimeUtc)
    {
        var clock = Stopwatch.StartNew();
        var version = new ModelVersion(fileTimeUtc, sha, Interlocked.Increment(ref _generation));
        LoadedModel? model = loader.Load(zip, version, out string? refusal);
        if (model is null)
        {
            holder.Refused(new ModelRefusal(DateTime.UtcNow, sha, refusal!));
            LogRefused(ModelPath, version.Name, refusal!, holder.Current?.Version.Name ?? "none");
            return;
        }
        string previous = holder.Current?.Version.Name ?? "none";
        holder.Publish(model);
        LogServing(model.Version.Name, ModelPath, model.FeatureLength, model.Classes.Count, clock.ElapsedMilliseconds, previous);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {Version} from {Path} ({FeatureLength} features, {ClassCount} classes; loaded and checked in {Milliseconds} ms; was {Previous}).")]
    private partial void LogServing(string version, string path, int featureLength, int classCount, long milliseconds, string previous);

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused model file {Path} ({Version}): {Reason} Still serving {Current}.")]
    private partial void LogRefused(string path, string version, string reason, string current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model file {Path} does not exist; still serving {Current}.")]
    private partial void LogMissing(string path, string current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model file {Path} could not be read ({Reason}); trying again at the next change or poll.")]
    private partial void LogUnreadable(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not watching {Path} for changes ({Reason}); polling only.")]
    private partial void LogNoWatcher(string path, string reason);
}
