using TorchSharp;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// The one place that touches TorchSharp first, so that a native library that cannot load surfaces
/// as one exception that says why and what to do, instead of a long TypeInitializationException trace.
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws <see cref="TorchSharpLoadException"/> when TorchSharp's native libraries cannot be loaded.</summary>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw new TorchSharpLoadException(Describe(failure), failure);
    }

    /// <summary>Resolves a device name ("cpu", "cuda", "cuda:1"), falling back to the CPU only when asked to.</summary>
    public static torch.Device ResolveDevice(string deviceName, bool fallbackToCpu, Action<string> warn)
    {
        EnsureLoaded();
        var device = new torch.Device(deviceName);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
        {
            const string why = "no CUDA device is usable: this process has a CPU-only TorchSharp backend (TorchSharp-cpu) or no GPU";
            if (!fallbackToCpu)
                throw new InvalidOperationException(
                    $"Device '{deviceName}' was requested but {why}. Reference a CUDA build of TorchSharp (TorchSharp-cuda-linux or TorchSharp-cuda-windows) instead of TorchSharp-cpu, or set FallbackToCpu = true.");
            warn($"Device '{deviceName}' was requested but {why}; training on the CPU instead.");
            return torch.CPU;
        }
        return device;
    }

    private static Exception? TryLoad()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e;
        }
    }

    private static string Describe(Exception failure)
    {
        string detail = failure.GetBaseException().Message;
        string hint = OperatingSystem.IsLinux()
            ? "On Linux with GCC 12's libstdc++ (Debian 12, Ubuntu 22.04) the build marks GLIBCXX_3.4.32 optional in the output's copy of libLibTorchSharp.so; "
              + "make sure the app was built or published with the Microsoft.ML.Sru package or project reference (its build targets apply the fix), "
              + "that it references a TorchSharp backend package (TorchSharp-cpu), and that libLibTorchSharp.so and the libtorch libraries are in the output folder."
            : "Make sure the app references a TorchSharp backend package (TorchSharp-cpu, or a CUDA build) so that the native libtorch libraries are in the output folder.";
        return $"TorchSharp's native libraries could not be loaded: {detail} {hint}";
    }
}
