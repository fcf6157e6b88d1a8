using System.Reflection;

namespace Microsoft.ML.Sru.Tests.Package;

/// <summary>The dependency versions of Directory.Build.props, as the test project was built with them.</summary>
internal static class BuildSettings
{
    /// <summary>The ML.NET version this build compiled and runs against (-p:MlNetVersion).</summary>
    public static string MlNetVersion => Get("MlNetVersion");

    /// <summary>Every ML.NET version the library is checked against, lowest first; the package accepts the lowest up to <see cref="MlNetVersionBound"/>.</summary>
    public static string[] MlNetCheckedVersions => Get("MlNetCheckedVersions").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The exclusive upper bound of the package's Microsoft.ML range.</summary>
    public static string MlNetVersionBound => Get("MlNetVersionBound");

    private static string Get(string key) =>
        typeof(BuildSettings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no '{key}' metadata (see Microsoft.ML.Sru.Tests.csproj).");
}
