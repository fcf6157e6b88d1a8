using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Tests.Build;

namespace Microsoft.ML.Sru.Tests.Package;

/// <summary>
/// Packs the library and the datasets package as users get them and builds apps outside the repository that consume them:
/// one referencing it directly (on the lowest ML.NET the package accepts, and on every newer checked one),
/// one through a project reference (the buildTransitive path). Each app builds with warnings as errors,
/// trains, saves, reloads and predicts, which needs TorchSharp to load, so on Debian 12 it needs the
/// package's build fix. The package gets a version unique to this run so that the machine's NuGet cache
/// cannot serve a stale copy; that cache entry is deleted afterwards.
/// </summary>
[TestClass]
[TestCategory("Package")]
public sealed class PackageTests
{
    private const string PackageId = "Sru.MLNet";
    private const string ProjectName = "Microsoft.ML.Sru";
    private const string DatasetsPackageId = "Sru.MLNet.Datasets";
    private const string DatasetsProjectName = "Microsoft.ML.Sru.Datasets";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    private static string _root = null!;
    private static string _version = null!;
    private static string? _globalPackages;

    public TestContext TestContext { get; set; } = null!;

    private static string Feed => Path.Combine(_root, "feed");

    private static string Consumers => Path.Combine(_root, "consumers");

    [ClassInitialize]
    public static void PackTheLibrary(TestContext context)
    {
        _root = Directory.CreateTempSubdirectory("sru-package-").FullName;
        _version = $"0.0.0-ci.{DateTime.UtcNow.Ticks}";
        try
        {
            // --no-build packs what the test build has just built, so nothing in the repository is rebuilt
            // or rewritten under the other tests; the intermediate nuspec goes to the temporary folder too.
            string repository = RepositoryRoot();
            string configuration = typeof(PackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            foreach (string project in new[] { ProjectName, DatasetsProjectName })
            {
                var clock = Stopwatch.StartNew();
                DotnetCommand.Run(repository, StepTimeout, context.CancellationToken,
                    "pack", Path.Combine("src", project, project + ".csproj"), "-c", configuration, "--no-build", "-nodeReuse:false",
                    $"-p:Version={_version}", $"-p:MlNetVersion={BuildSettings.MlNetVersion}", $"-p:NuspecOutputPath={Path.Combine(_root, "nuspec", project)}{Path.DirectorySeparatorChar}", "-o", Feed);
                context.WriteLine($"pack {project}: {clock.Elapsed.TotalSeconds:0.0} s");
            }

            CopyDirectory(Path.Combine(AppContext.BaseDirectory, "Package", "Consumer"), Consumers);
            // Adds the folder to the machine's sources rather than replacing them: Microsoft.ML and
            // TorchSharp still come from wherever this machine gets its packages.
            File.WriteAllText(Path.Combine(Consumers, "nuget.config"), new XDocument(
                new XElement("configuration",
                    new XElement("packageSources",
                        new XElement("add", new XAttribute("key", "sru-under-test"), new XAttribute("value", Feed))))).ToString());
            _globalPackages = GlobalPackagesFolder(context.CancellationToken);
        }
        catch
        {
            DeleteTemporaryFiles();
            throw;
        }
    }

    [ClassCleanup]
    public static void DeleteTemporaryFiles()
    {
        // Only this run's version: the folder above may hold other runs' versions in use right now.
        foreach (string id in new[] { PackageId, DatasetsPackageId })
        {
            string? cachedPackage = _globalPackages == null ? null : Path.Combine(_globalPackages, id.ToLowerInvariant(), _version);
            if (cachedPackage != null && Directory.Exists(cachedPackage))
                Directory.Delete(cachedPackage, recursive: true);
        }
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    [TestMethod]
    public void The_package_holds_the_library_its_docs_readme_licence_and_build_fix_and_depends_only_on_runtime_packages()
    {
        string[] files = Entries(Path.Combine(Feed, $"{PackageId}.{_version}.nupkg"));
        string listing = string.Join("\n", files);
        foreach (string expected in new[]
        {
            "lib/net10.0/Microsoft.ML.Sru.dll", "lib/net10.0/Microsoft.ML.Sru.xml", "README.md", "LICENSE",
            // NuGet imports build/<package ID>.targets only.
            $"build/{PackageId}.targets", "build/LibTorchSharpElfPatch.cs",
            $"buildTransitive/{PackageId}.targets", "buildTransitive/LibTorchSharpElfPatch.cs",
        })
            CollectionAssert.Contains(files, expected, listing);
        Assert.IsFalse(files.Any(f => f.Contains("Publicizer", StringComparison.OrdinalIgnoreCase) || f.Contains("Cecil", StringComparison.OrdinalIgnoreCase)),
            $"The build-time tool was packed:\n{listing}");
        CollectionAssert.Contains(Entries(Path.Combine(Feed, $"{PackageId}.{_version}.snupkg")), "lib/net10.0/Microsoft.ML.Sru.pdb");

        XElement metadata = Nuspec(Path.Combine(Feed, $"{PackageId}.{_version}.nupkg"), PackageId);
        XNamespace ns = metadata.Name.Namespace;
        string[] dependencies = metadata.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "Microsoft.ML", "Microsoft.ML.DataView", "TorchSharp", "TorchSharp-cpu" }, dependencies, string.Join(", ", dependencies));
        Assert.AreEqual("MIT", (string?)metadata.Element(ns + "license"));
        Assert.AreEqual("README.md", (string?)metadata.Element(ns + "readme"));
        Assert.AreEqual("git", (string?)metadata.Element(ns + "repository")?.Attribute("type"));
        string description = (string?)metadata.Element(ns + "description") ?? "";
        foreach (string model in new[] { "SRU", "LSTM", "GRU" })
            StringAssert.Contains(description, model);
        string tags = (string?)metadata.Element(ns + "tags") ?? "";
        foreach (string tag in new[] { "ML.NET", "SRU", "LSTM", "GRU" })
            CollectionAssert.Contains(tags.Split(' '), tag, tags);
        Assert.IsFalse(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "releaseNotes")), "No release notes.");
    }

    [TestMethod]
    public void The_package_accepts_every_checked_MLNET_version_and_exactly_the_TorchSharp_whose_native_entry_point_it_calls()
    {
        XElement metadata = Nuspec(Path.Combine(Feed, $"{PackageId}.{_version}.nupkg"), PackageId);
        string Range(string id) => (string)metadata.Descendants(metadata.Name.Namespace + "dependency").Single(d => (string)d.Attribute("id")! == id).Attribute("version")!;

        // The range's lower bound, the version the library was built against (the lowest checked one unless
        // -p:MlNetVersion says otherwise), is what an app that adds only this package gets; the bound is exclusive.
        string[] checkedVersions = BuildSettings.MlNetCheckedVersions;
        Assert.AreEqual($"[{BuildSettings.MlNetVersion}, {BuildSettings.MlNetVersionBound})", Range("Microsoft.ML"));
        Assert.IsTrue(checkedVersions.All(v => Version.Parse(v) < Version.Parse(BuildSettings.MlNetVersionBound)), string.Join(", ", checkedVersions));
        string torchSharp = $"[{TorchRuntime.ExpectedTorchSharpVersion.ToString(3)}]";
        Assert.AreEqual(torchSharp, Range("TorchSharp"));
        Assert.AreEqual(torchSharp, Range("TorchSharp-cpu"));
    }

    [TestMethod]
    public void The_library_package_holds_no_dataset_code()
    {
        string[] types = TypeNames(Path.Combine(Feed, $"{PackageId}.{_version}.nupkg"), $"lib/net10.0/{ProjectName}.dll");
        // A count near zero would mean the scan read nothing.
        Assert.IsGreaterThan(100, types.Length);
        string[] dataset = types.Where(t => t.Contains("Mnist", StringComparison.Ordinal) || t.Contains(".Idx", StringComparison.Ordinal)
            || t.EndsWith("FileSource", StringComparison.Ordinal) || t.EndsWith("DatasetCache", StringComparison.Ordinal)).ToArray();
        Assert.IsEmpty(dataset, $"The library package holds dataset code: {string.Join(", ", dataset)}");
    }

    [TestMethod]
    public void The_datasets_package_holds_LoadMnist_and_depends_on_exactly_the_same_library_version_and_nothing_else()
    {
        string package = Path.Combine(Feed, $"{DatasetsPackageId}.{_version}.nupkg");
        string[] files = Entries(package);
        foreach (string expected in new[] { $"lib/net10.0/{DatasetsProjectName}.dll", $"lib/net10.0/{DatasetsProjectName}.xml", "README.md", "LICENSE" })
            CollectionAssert.Contains(files, expected, string.Join("\n", files));
        string[] types = TypeNames(package, $"lib/net10.0/{DatasetsProjectName}.dll");
        foreach (string expected in new[] { "Microsoft.ML.MnistCatalog", "Microsoft.ML.Sru.MnistDataset", "Microsoft.ML.Sru.MnistAcquisition" })
            CollectionAssert.Contains(types, expected);

        XElement metadata = Nuspec(package, DatasetsPackageId);
        XNamespace ns = metadata.Name.Namespace;
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => $"{(string)d.Attribute("id")!} {(string)d.Attribute("version")!}").ToArray();
        // Exactly: the assembly calls one of the library's internal members (Runtime/Interop/MlNetCatalogs).
        CollectionAssert.AreEqual(new[] { $"{PackageId} [{_version}]" }, dependencies, string.Join(", ", dependencies));
        Assert.AreEqual("MIT", (string?)metadata.Element(ns + "license"));
        StringAssert.Contains((string?)metadata.Element(ns + "description") ?? "", "MNIST");
    }

    /// <summary>Every checked ML.NET version above the lowest, which the app that does not name one gets.</summary>
    public static IEnumerable<object[]> NewerMlNetVersions => BuildSettings.MlNetCheckedVersions.Skip(1).Select(v => new object[] { v });

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void An_app_referencing_the_package_trains_saves_reloads_and_predicts() => BuildAndRun("Direct", BuildSettings.MlNetVersion);

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    [DynamicData(nameof(NewerMlNetVersions))]
    public void An_app_on_a_newer_checked_MLNET_builds_with_warnings_as_errors_and_trains_saves_reloads_and_predicts(string mlNetVersion) =>
        BuildAndRun("Direct", mlNetVersion, pinMlNet: true);

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void An_app_getting_the_package_through_a_project_reference_gets_the_TorchSharp_fix_too() => BuildAndRun("Indirect", BuildSettings.MlNetVersion);

    /// <summary>
    /// Builds the app (with warnings as errors, so a version conflict such as NU1608 fails) and runs it; it must run on
    /// <paramref name="mlNetVersion"/>: the app's own reference when <paramref name="pinMlNet"/>, else what the package brings.
    /// </summary>
    private void BuildAndRun(string app, string mlNetVersion, bool pinMlNet = false)
    {
        string directory = Path.Combine(Consumers, app);
        if (pinMlNet)
        {
            // A folder of its own (beside the others, so that ../Program.cs still resolves): its obj/ and bin/ are separate.
            string pinned = Path.Combine(Consumers, $"{app}.MlNet{mlNetVersion}");
            CopyDirectory(directory, pinned);
            directory = pinned;
        }
        var clock = Stopwatch.StartNew();
        DotnetCommand.Run(directory, StepTimeout, TestContext.CancellationToken,
            ["build", "-c", "Release", "-nodeReuse:false", $"-p:SruPackageVersion={_version}", .. pinMlNet ? new[] { $"-p:MlNetVersion={mlNetVersion}" } : []]);
        TestContext.WriteLine($"{app} on ML.NET {mlNetVersion}: restore and build: {clock.Elapsed.TotalSeconds:0.0} s");

        // The package's targets are imported from its buildTransitive folder, for direct and indirect references alike.
        string imports = File.ReadAllText(Path.Combine(directory, "obj", $"{app}.csproj.nuget.g.targets"));
        StringAssert.Contains(imports, $"{PackageId.ToLowerInvariant()}/{_version}/buildTransitive/{PackageId}.targets");

        string output = Path.Combine(directory, "bin", "Release", "net10.0");
        if (OperatingSystem.IsLinux())
        {
            LibTorchSharpElfPatchTests.AssertPatchedExactlyWhereNeeded(Path.Combine(output, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
            string cached = Path.Combine(_globalPackages!, "torchsharp", TorchRuntime.ExpectedTorchSharpVersion.ToString(3), "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            Assert.IsFalse(LibTorchSharpElfPatchTests.IsOptional(cached), $"The NuGet cache's copy was modified: {cached}");
        }

        clock.Restart();
        string printed = DotnetCommand.Run(directory, StepTimeout, TestContext.CancellationToken, Path.Combine(output, app + ".dll"), directory);
        TestContext.WriteLine($"{app} run: {clock.Elapsed.TotalSeconds:0.0} s\n{printed}");
        Assert.AreEqual(mlNetVersion, Regex.Match(printed, @"^MLNET (\S+)", RegexOptions.Multiline).Groups[1].Value, printed);
        StringAssert.Contains(printed, $"MNIST-API {DatasetsProjectName}");
        StringAssert.Contains(printed, "SAVED ");
        Match correct = Regex.Match(printed, @"CORRECT (\d+)/(\d+)");
        Assert.IsTrue(correct.Success, printed);
        Assert.IsGreaterThanOrEqualTo(50, int.Parse(correct.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            $"The reloaded model predicted too few of {correct.Groups[2].Value} rows right:\n{printed}");
    }

    /// <summary>The full names of the types an assembly inside the package defines.</summary>
    private static string[] TypeNames(string package, string entryName)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        ZipArchiveEntry entry = archive.GetEntry(entryName) ?? throw new AssertFailedException($"{package} has no {entryName}.");
        using var copy = new MemoryStream();
        using (Stream stream = entry.Open())
            stream.CopyTo(copy);
        copy.Position = 0;
        using var module = Mono.Cecil.ModuleDefinition.ReadModule(copy);
        return module.GetTypes().Select(t => t.FullName).ToArray();
    }

    private static string[] Entries(string package)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    private static XElement Nuspec(string package, string id)
    {
        using ZipArchive archive = ZipFile.OpenRead(package);
        ZipArchiveEntry entry = archive.GetEntry($"{id}.nuspec") ?? throw new AssertFailedException($"{package} has no nuspec.");
        using Stream stream = entry.Open();
        XElement root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    /// <summary>Where restore puts packages on this machine (NUGET_PACKAGES, a nuget.config setting, or ~/.nuget/packages).</summary>
    private static string GlobalPackagesFolder(CancellationToken cancellationToken)
    {
        string listed = DotnetCommand.Run(Consumers, StepTimeout, cancellationToken, "nuget", "locals", "global-packages", "--list");
        Match match = Regex.Match(listed, @"global-packages:\s*(\S.*?)\s*$", RegexOptions.Multiline);
        Assert.IsTrue(match.Success, $"Unexpected output of dotnet nuget locals: {listed}");
        return match.Groups[1].Value;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sru.MLNet.sln")))
                return directory.FullName;
        }
        throw new AssertFailedException($"No Sru.MLNet.sln above {AppContext.BaseDirectory}.");
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
