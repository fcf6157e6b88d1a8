using System.Runtime.InteropServices;

namespace Microsoft.ML.Sru.Runtime.Interop;

/// <summary>
/// The C library calls the library makes on Linux and macOS. Callers catch <see cref="DllNotFoundException"/> and
/// <see cref="EntryPointNotFoundException"/> where no such library or function exists (Windows; musl has no mallopt).
/// </summary>
internal static partial class LibC
{
    /// <summary>
    /// glibc's allocator settings. Process-wide and kept for the process's life: <see cref="NativeMemory.TuneAllocatorForTraining"/>
    /// says which ones and why.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "mallopt")]
    public static partial int Mallopt(int parameter, int value);

    /// <summary>Returns freed heap memory to the OS (process-wide, no lasting effect); see <see cref="NativeMemory.TrimAfterEpoch"/>.</summary>
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    public static partial int MallocTrim(nuint pad);

    /// <summary>Opens a folder so that <see cref="Fsync"/> can make a rename in it durable (<see cref="AtomicFile"/>); no global effect.</summary>
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    public static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int descriptor);
}
