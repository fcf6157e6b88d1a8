using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Sru;

/// <summary>Copies a download to its destination, logging how far it got about once a second and once at the end.</summary>
internal static class DownloadProgress
{
    /// <summary>Largest download accepted, so that a misbehaving server cannot fill the disk.</summary>
    public const long MaxDownloadBytes = 256L << 20;

    /// <summary>Copies everything from <paramref name="source"/>; returns the number of bytes copied.</summary>
    public static long Copy(Stream source, Stream destination, string what, long? totalBytes, Action<string> log, CancellationToken cancellationToken, Action? onChunk = null, TimeSpan? interval = null)
    {
        var every = interval ?? TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var buffer = new byte[1 << 16];
        long copied = 0;
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            copied += read;
            if (copied > MaxDownloadBytes)
                throw new IOException($"{what} is larger than {MaxDownloadBytes >> 20} MiB; no MNIST file is, so the download was stopped.");
            destination.Write(buffer, 0, read);
            onChunk?.Invoke();
            if (clock.Elapsed - lastReport >= every)
            {
                lastReport = clock.Elapsed;
                log($"  {what}: {Describe(copied, totalBytes)}");
            }
        }
        log($"  {what}: {Describe(copied, totalBytes)}, done in {clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s.");
        return copied;
    }

    private static string Describe(long copied, long? total) => total is > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{copied / 1048576.0:F1} of {total.Value / 1048576.0:F1} MiB ({100.0 * copied / total.Value:F0}%)")
        : string.Create(CultureInfo.InvariantCulture, $"{copied / 1048576.0:F1} MiB");
}
