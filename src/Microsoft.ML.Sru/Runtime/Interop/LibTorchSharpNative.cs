using System.Runtime.InteropServices;

namespace Microsoft.ML.Sru.Runtime.Interop;

/// <summary>
/// Entry points of TorchSharp's native library (libLibTorchSharp) that TorchSharp's managed API does not expose.
/// Why: <see cref="TensorPool"/> needs a tensor over memory it owns with a deleter that gives the memory back to the
/// pool; TorchSharp makes such tensors for its own arrays but offers no public way to pass a deleter.
/// What it affects: nothing global; but the signature is TorchSharp's private one, known to match only the TorchSharp
/// build the library is compiled against, which is why the package depends on exactly that TorchSharp version and
/// <see cref="TorchRuntime.EnsureLoaded"/> refuses any other at start-up.
/// </summary>
internal static unsafe partial class LibTorchSharpNative
{
    /// <summary>torch::from_blob with a deleter, as TorchSharp's own array-backed tensors are made (THSTensor_new in TorchSharp 0.107.0).</summary>
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_new")]
    public static partial nint NewTensor(void* data, delegate* unmanaged[Cdecl]<void*, void> deleter, long* sizes, int dimensions,
        sbyte dataType, sbyte tensorType, int deviceType, int deviceIndex, byte requiresGrad);
}
