using Microsoft.ML.Sru.Runtime;
using TorchSharp;

namespace Microsoft.ML.Sru.Tests.Build;

/// <summary>The start-up check that the TorchSharp that loads is the build whose native entry points the library calls.</summary>
[TestClass]
public sealed class TorchSharpVersionTests
{
    [TestMethod]
    public void The_TorchSharp_this_build_loads_is_the_expected_version_and_passes_the_check()
    {
        Version loaded = typeof(torch).Assembly.GetName().Version!;
        Assert.AreEqual(TorchRuntime.ExpectedTorchSharpVersion.ToString(3), loaded.ToString(3));
        Assert.IsNull(TorchRuntime.DescribeVersionMismatch(loaded, typeof(torch).Assembly.Location));
        TorchRuntime.EnsureLoaded();
    }

    [TestMethod]
    [DataRow(0, 108, 0)]
    [DataRow(0, 107, 1)]
    [DataRow(0, 106, 0)]
    [DataRow(1, 107, 0)]
    public void Another_TorchSharp_version_is_refused_naming_both_versions_and_the_file(int major, int minor, int build)
    {
        string? message = TorchRuntime.DescribeVersionMismatch(new Version(major, minor, build, 0), "/app/TorchSharp.dll");

        Assert.IsNotNull(message);
        StringAssert.Contains(message, $"needs TorchSharp {TorchRuntime.ExpectedTorchSharpVersion.ToString(3)}");
        StringAssert.Contains(message, $"TorchSharp {major}.{minor}.{build} was loaded (from '/app/TorchSharp.dll')");
        StringAssert.Contains(message, "reference TorchSharp and TorchSharp-cpu");
    }

    [TestMethod]
    public void A_TorchSharp_without_a_version_is_refused()
    {
        StringAssert.Contains(TorchRuntime.DescribeVersionMismatch(null, "/app/TorchSharp.dll"), "TorchSharp without a version was loaded");
    }
}
