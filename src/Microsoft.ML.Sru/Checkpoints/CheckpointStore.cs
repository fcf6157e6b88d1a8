using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML.Sru.Checkpoints;

/// <summary>
/// The checkpoint files of one run in <see cref="RecurrentTrainerOptions.CheckpointDirectory"/>: named by the number of
/// steps done (<c>checkpoint-000000001234.srucheckpoint</c>), so that names sort by age; each serialized on the training
/// thread and written atomically (<see cref="AtomicFile"/>) in the background while training goes on, the oldest deleted
/// once more than <see cref="RecurrentTrainerOptions.KeepCheckpoints"/> exist.
/// One run at a time may use a directory.
/// </summary>
internal sealed class CheckpointStore : IDisposable
{
    private const string Prefix = "checkpoint-", Extension = ".srucheckpoint";
    private const string Pattern = Prefix + "*" + Extension;

    private readonly string _directory;
    private readonly int _keep;
    private readonly IChannel _channel;
    private Task<Written>? _pending;

    public CheckpointStore(string directory, int keep, IChannel channel)
    {
        _directory = Path.GetFullPath(directory);
        _keep = keep;
        _channel = channel;
        Directory.CreateDirectory(_directory);
        // A process killed while writing leaves its temporary file; it never became a checkpoint.
        foreach (string partial in AtomicFile.LeftoverTemporaryFiles(_directory, Pattern))
        {
            File.Delete(partial);
            _channel.Info("Deleted '{0}', a checkpoint whose writing was interrupted.", partial);
        }
    }

    /// <summary>The newest checkpoint that reads and verifies, or null when there is none.</summary>
    /// <exception cref="InvalidOperationException">There are checkpoints, but none of them reads.</exception>
    public TrainingCheckpoint? FindLatest()
    {
        var failures = new List<string>();
        foreach (string path in Files().Reverse())
        {
            try
            {
                return TrainingCheckpoint.Read(path);
            }
            catch (Exception e) when (e is FormatException or EndOfStreamException or IOException or UnauthorizedAccessException)
            {
                // Written atomically, a checkpoint can only be damaged from outside; the one before it continues the run as well.
                _channel.Warning("Checkpoint '{0}' cannot be read ({1}); trying the one before it.", path, e.Message);
                failures.Add($"'{path}': {e.Message}");
            }
        }
        if (failures.Count > 0)
            throw new InvalidOperationException($"No checkpoint in '{_directory}' can be read: {string.Join("; ", failures)}. Set ResumeFromCheckpoint = false to start over (replacing them).");
        return null;
    }

    /// <summary>Deletes every checkpoint of this directory: the run starts over.</summary>
    public void DeleteAll()
    {
        foreach (string path in Files())
        {
            File.Delete(path);
            _channel.Info("Deleted checkpoint '{0}': ResumeFromCheckpoint is false, so training starts over.", path);
        }
    }

    /// <summary>
    /// Serializes the checkpoint after <paramref name="stepsDone"/> steps of the run on the calling (training) thread, then
    /// writes it in the background, where the disk's flushes do not hold training up, and deletes the oldest beyond the
    /// number to keep. Waits first for the previous checkpoint's write; a write that failed throws here or in
    /// <see cref="Complete"/>.
    /// </summary>
    public void Write(long stepsDone, Func<byte[]> serialize)
    {
        var clock = Stopwatch.StartNew();
        byte[] bytes = serialize();
        TimeSpan serializing = clock.Elapsed;
        Complete();
        TimeSpan blocked = clock.Elapsed;
        string path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{stepsDone:D12}{Extension}"));
        _pending = Task.Run(() =>
        {
            var writing = Stopwatch.StartNew();
            WriteFile(path, bytes);
            return new Written(path, bytes.Length, serializing, blocked, writing.Elapsed);
        });
    }

    /// <summary>Waits for the checkpoint being written, logs it, and throws if its write failed.</summary>
    public void Complete()
    {
        Task<Written>? pending = _pending;
        _pending = null;
        if (pending is null)
            return;
        Written done = pending.GetAwaiter().GetResult();
        _channel.Trace("Checkpoint '{0}' written: {1:N0} bytes, {2:F1} ms on the training thread ({3:F1} ms serializing), {4:F1} ms writing.",
            done.Path, done.Bytes, done.Blocked.TotalMilliseconds, done.Serializing.TotalMilliseconds, done.Writing.TotalMilliseconds);
    }

    /// <summary>Waits for a write still running when training ends with an exception, so that no write outlives the run; its own failure is only logged.</summary>
    public void Dispose()
    {
        try
        {
            Complete();
        }
        catch (IOException e)
        {
            _channel.Warning("{0}", e.Message);
        }
    }

    private void WriteFile(string path, byte[] bytes)
    {
        try
        {
            AtomicFile.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Training stops: a run asked to be resumable must not go on for hours without being so.
            throw new IOException($"Could not write the checkpoint '{path}' (CheckpointDirectory): {e.Message}", e);
        }
        foreach (string old in Files().SkipLast(_keep))
        {
            try
            {
                File.Delete(old);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The next write tries again; a few extra files do no harm.
            }
        }
    }

    private sealed record Written(string Path, long Bytes, TimeSpan Serializing, TimeSpan Blocked, TimeSpan Writing);

    /// <summary>This directory's checkpoint files, oldest first.</summary>
    private string[] Files() =>
        Directory.EnumerateFiles(_directory, Pattern).Order(StringComparer.Ordinal).ToArray();
}
