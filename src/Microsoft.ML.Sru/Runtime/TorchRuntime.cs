using System.Reflection;
using TorchSharp;

namespace Microsoft.ML.Sru.Runtime;

/// <summary>
/// The one place that touches TorchSharp first, so that a TorchSharp that cannot be used surfaces as one exception
/// that says why and what to do, instead of a long TypeInitializationException trace or, for a TorchSharp of another
/// version, a native call with the wrong arguments (<see cref="TensorPool"/> calls an entry point outside TorchSharp's API).
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<TorchSharpLoadException?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The TorchSharp version the library was built against and the package depends on exactly (Directory.Build.props).</summary>
    public static Version ExpectedTorchSharpVersion { get; } = Version.Parse(
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TorchSharpVersion").Value!);

    /// <summary>
    /// Throws <see cref="TorchSharpLoadException"/> when the loaded TorchSharp is not <see cref="ExpectedTorchSharpVersion"/>
    /// or its native libraries cannot be loaded.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw failure.InnerException is { } cause ? new TorchSharpLoadException(failure.Message, cause) : new TorchSharpLoadException(failure.Message);
    }

    /// <summary>Why a TorchSharp assembly of <paramref name="loaded"/> version cannot be used, or null when it is the expected one.</summary>
    public static string? DescribeVersionMismatch(Version? loaded, string location)
    {
        string expected = ThreePart(ExpectedTorchSharpVersion);
        if (loaded != null && ThreePart(loaded) == expected)
            return null;
        string found = loaded == null ? "without a version" : ThreePart(loaded);
        return $"Sru.MLNet (Microsoft.ML.Sru) needs TorchSharp {expected}, but TorchSharp {found} was loaded (from '{location}'). "
            + $"The library calls a native TorchSharp entry point that is known to match only in {expected}: reference TorchSharp and "
            + $"TorchSharp-cpu {expected} (the versions the Sru.MLNet package depends on), or remove the app's own reference to another version.";

        static string ThreePart(Version version) => $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}";
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

    private static TorchSharpLoadException? TryLoad()
    {
        // Before any native call: TorchSharp's managed assembly alone says which build this is.
        Assembly torchSharp = typeof(torch).Assembly;
        if (DescribeVersionMismatch(torchSharp.GetName().Version, torchSharp.Location) is { } mismatch)
            return new TorchSharpLoadException(mismatch);
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
        {
            return new TorchSharpLoadException(Describe(e), e);
        }
    }

    private static string Describe(Exception failure)
    {
        string detail = failure.GetBaseException().Message;
        string hint = OperatingSystem.IsLinux()
            ? "On Linux with GCC 12's libstdc++ (Debian 12, Ubuntu 22.04) the build marks GLIBCXX_3.4.32 optional in the output's copy of libLibTorchSharp.so; "
              + "make sure the app was built or published with the Sru.MLNet package or a project reference to Microsoft.ML.Sru (its build targets apply the fix), "
              + "that it references a TorchSharp backend package (TorchSharp-cpu), and that libLibTorchSharp.so and the libtorch libraries are in the output folder."
            : "Make sure the app references a TorchSharp backend package (TorchSharp-cpu, or a CUDA build) so that the native libtorch libraries are in the output folder.";
        return $"TorchSharp's native libraries could not be loaded: {detail} {hint}";
    }
}
