using Microsoft.ML.Sru.Runtime.Interop;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Replaces a file so that readers, and a process killed at any moment, see either the old content or the whole
/// new content, never a part: the bytes go to a temporary file in the same folder (a rename is atomic only within
/// one file system), are flushed to the disk, and the temporary file is renamed over the target; then the folder
/// itself is flushed (on Linux and macOS), so that the rename survives a power cut too.
/// </summary>
internal static class AtomicFile
{
    /// <summary>How the name of a temporary file ends; a file with it is never a finished one.</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>
    /// Called between the two halves of <see cref="WriteAllBytes"/>'s bytes, with the target's path. Tests that kill
    /// a writing process use it to widen the window in which the kill finds a half-written temporary file.
    /// </summary>
    internal static Action<string>? MidWriteHook { get; set; }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/> atomically (see the class).</summary>
    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, stream =>
        {
            int half = bytes.Length / 2;
            stream.Write(bytes, 0, half);
            if (MidWriteHook is { } hook)
            {
                stream.Flush();
                hook(path);
            }
            stream.Write(bytes, half, bytes.Length - half);
        });

    /// <summary>
    /// Replaces <paramref name="path"/> atomically with what <paramref name="write"/> writes to the stream it is given.
    /// When <paramref name="write"/> throws, the target is untouched and the temporary file is deleted.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{directory}' does not exist.");
        string temporary = TemporaryPath(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        FlushDirectory(directory);
    }

    /// <summary>The temporary files <see cref="Write"/> would leave beside files named <paramref name="pattern"/> (a search pattern) if killed.</summary>
    public static IEnumerable<string> LeftoverTemporaryFiles(string directory, string pattern) =>
        Directory.EnumerateFiles(directory, "." + pattern + ".*" + PartialSuffix);

    /// <summary>A unique name beside <paramref name="full"/>, hidden (leading dot) and marked as partial.</summary>
    private static string TemporaryPath(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{PartialSuffix}");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure matters more; the temporary name marks the file as unfinished.
        }
    }

    /// <summary>Makes the folder's new entry (the rename) durable. Windows has no such call for folders, and NTFS journals renames.</summary>
    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        try
        {
            int descriptor = LibC.Open(directory, 0 /* O_RDONLY */);
            if (descriptor < 0)
                return;
            _ = LibC.Fsync(descriptor);
            _ = LibC.Close(descriptor);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to ask: the file's own content is already on the disk.
        }
    }
}
