namespace Microsoft.ML.Sru.Tests.Build;

/// <summary>The build-time fix that lets TorchSharp 0.107 load on GCC 12's libstdc++, on copies of the real library.</summary>
[TestClass]
public sealed class LibTorchSharpElfPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";
    private const ushort Weak = 0x2;

    private string _directory = null!;

    [TestInitialize]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("sru-elf-").FullName;

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    /// <summary>A copy of the build output's libLibTorchSharp.so with the version requirement made strict again, as shipped.</summary>
    private string UnpatchedCopy()
    {
        string built = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(built), $"{built} is missing from the build output.");
        byte[] image = File.ReadAllBytes(built);
        long offset = ElfVersionPatcher.FindVernauxFlagsOffset(image, Version, out _);
        Assert.IsGreaterThan(0L, offset, "The library no longer asks for GLIBCXX_3.4.32.");
        image[offset] = (byte)(image[offset] & ~Weak);
        string copy = Path.Combine(_directory, "libLibTorchSharp.so");
        File.WriteAllBytes(copy, image);
        return copy;
    }

    private static ushort FlagsOf(string path)
    {
        byte[] image = File.ReadAllBytes(path);
        long offset = ElfVersionPatcher.FindVernauxFlagsOffset(image, Version, out _);
        return (ushort)(image[offset] | image[offset + 1] << 8);
    }

    [TestMethod]
    public void Patching_sets_only_the_weak_flag_of_that_version_and_keeps_the_timestamp()
    {
        string path = UnpatchedCopy();
        var stamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        byte[] before = File.ReadAllBytes(path);

        Assert.AreEqual(ElfPatchResult.Patched, ElfVersionPatcher.MakeVersionOptional(path, Version));

        byte[] after = File.ReadAllBytes(path);
        Assert.HasCount(before.Length, after);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.HasCount(1, changed, "exactly one byte changes");
        Assert.AreEqual(Weak, (ushort)(FlagsOf(path) & Weak));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(path));
        Assert.IsEmpty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [TestMethod]
    public void Patching_twice_changes_nothing_the_second_time()
    {
        string path = UnpatchedCopy();
        Assert.AreEqual(ElfPatchResult.Patched, ElfVersionPatcher.MakeVersionOptional(path, Version));
        byte[] once = File.ReadAllBytes(path);
        Assert.AreEqual(ElfPatchResult.AlreadyOptional, ElfVersionPatcher.MakeVersionOptional(path, Version));
        CollectionAssert.AreEqual(once, File.ReadAllBytes(path));
    }

    [TestMethod]
    public void A_version_the_library_does_not_require_is_left_alone()
    {
        string path = UnpatchedCopy();
        byte[] before = File.ReadAllBytes(path);
        Assert.AreEqual(ElfPatchResult.VersionNotRequired, ElfVersionPatcher.MakeVersionOptional(path, "GLIBCXX_9.9.99"));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
    }

    [TestMethod]
    public void A_file_that_is_not_the_expected_ELF_is_left_unchanged()
    {
        string text = Path.Combine(_directory, "not-elf.so");
        File.WriteAllText(text, "this is not a shared library, just text long enough to look like a header.............");
        string truncated = Path.Combine(_directory, "truncated.so");
        File.WriteAllBytes(truncated, File.ReadAllBytes(UnpatchedCopy()).AsSpan(0, 200).ToArray());
        string empty = Path.Combine(_directory, "empty.so");
        File.WriteAllBytes(empty, Array.Empty<byte>());

        foreach (string path in new[] { text, truncated, empty })
        {
            byte[] before = File.ReadAllBytes(path);
            Assert.AreEqual(ElfPatchResult.NotElf, ElfVersionPatcher.MakeVersionOptional(path, Version), path);
            CollectionAssert.AreEqual(before, File.ReadAllBytes(path), path);
        }
    }

    [TestMethod]
    public void The_build_output_copy_is_patched_exactly_when_this_machine_lacks_the_version() =>
        AssertPatchedExactlyWhereNeeded(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

    /// <summary>Checks a build output's copy of libLibTorchSharp.so (also used for the apps that consume the package).</summary>
    internal static void AssertPatchedExactlyWhereNeeded(string built)
    {
        Assert.IsTrue(File.Exists(built), $"{built} is missing from the build output.");
        string? libstdcxx = ElfVersionPatcher.FindSystemLibStdCxx();
        bool machineHasVersion = libstdcxx is not null && ElfVersionPatcher.FileContainsVersion(libstdcxx, Version);
        Assert.AreEqual(!machineHasVersion, (FlagsOf(built) & Weak) != 0,
            $"{built}: libstdc++ at {libstdcxx ?? "(none)"} {(machineHasVersion ? "has" : "lacks")} {Version}");
    }

    /// <summary>Whether the file's requirement of the version is marked optional.</summary>
    internal static bool IsOptional(string path) => (FlagsOf(path) & Weak) != 0;
}
