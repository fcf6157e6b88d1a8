using Microsoft.ML.Sru.Runtime.Interop;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Hands memory freed during an epoch back to the OS. libtorch's per-step buffers are freed with glibc's
/// free, which keeps them in its arenas; without a trim the working set climbs for several epochs before it
/// levels off. Runs once per epoch, so its cost (milliseconds) does not show in training time.
/// Process-wide: both act on the C library's one heap (and the trim first forces a full garbage collection), which every thread and native library in the process shares;
/// each runs only when its option asks for it (<c>TuneNativeAllocator</c>, <c>TrimNativeMemoryEachEpoch</c>), and the
/// allocator setting stays for the process's life.
/// </summary>
internal static class NativeMemory
{
    private const int MmapThresholdParameter = -3, TrimThresholdParameter = -1;

    /// <summary>Buffers up to this size come from the heap rather than fresh mappings (glibc's own ceiling for the setting).</summary>
    private const int RetainedBufferBytes = 32 << 20;

    private static int s_allocatorTuned;

    /// <summary>
    /// Keeps libtorch's large per-step buffers in glibc's heap between steps instead of mapping and unmapping them
    /// (and faulting their pages in again) every step: raises M_MMAP_THRESHOLD and M_TRIM_THRESHOLD. Process-wide
    /// and kept for the process's life (glibc cannot restore its adaptive default), so it runs at most once.
    /// Returns false where it does not apply (not Linux, or a C library without mallopt).
    /// </summary>
    public static bool TuneAllocatorForTraining()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        if (Volatile.Read(ref s_allocatorTuned) != 0)
            return true;
        try
        {
            bool tuned = LibC.Mallopt(MmapThresholdParameter, RetainedBufferBytes) == 1 && LibC.Mallopt(TrimThresholdParameter, 2 * RetainedBufferBytes) == 1;
            if (tuned)
                Volatile.Write(ref s_allocatorTuned, 1);
            return tuned;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    public static void TrimAfterEpoch()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = LibC.MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim.
        }
    }
}
