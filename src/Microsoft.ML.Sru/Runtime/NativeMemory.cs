using System.Runtime.InteropServices;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// Hands memory freed during an epoch back to the OS. libtorch's per-step buffers are freed with glibc's
/// free, which keeps them in its arenas; without a trim the working set climbs for several epochs before it
/// levels off. Runs once per epoch, so its cost (milliseconds) does not show in training time.
/// </summary>
internal static partial class NativeMemory
{
    public static void TrimAfterEpoch()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
