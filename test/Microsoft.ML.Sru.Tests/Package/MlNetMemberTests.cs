using Mono.Cecil;

namespace Microsoft.ML.Sru.Tests.Package;

/// <summary>
/// The library reaches ML.NET members that are not public (README, "ML.NET internals"), which a new ML.NET may change
/// without notice. Every type, method and field the built library references in a Microsoft.ML.* assembly must
/// exist, with the same signature, in every ML.NET version the package accepts (Directory.Build.props).
/// </summary>
[TestClass]
[TestCategory("Package")]
public sealed class MlNetMemberTests
{
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(5);

    private string _directory = null!;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> CheckedVersions => BuildSettings.MlNetCheckedVersions.Select(v => new object[] { v });

    private static string Library => Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.Sru.dll");

    [TestInitialize]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("sru-mlnet-").FullName;

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    [DynamicData(nameof(CheckedVersions))]
    public void Every_MLNET_member_the_library_references_exists_in_each_checked_version(string version)
    {
        using MlNetAssemblies assemblies = MlNetAssemblies.Restore(version, _directory, RestoreTimeout, TestContext.CancellationToken);
        StringAssert.Contains(assemblies.Paths["Microsoft.ML.Core"], Path.Combine("microsoft.ml", version), "The restore did not give the version asked for.");

        IReadOnlyList<string> missing = MissingReferences(Library, assemblies, out int count);
        TestContext.WriteLine($"{count} references into ML.NET resolved against Microsoft.ML {version}.");
        // Core and Data alone hold dozens of the members the library needs; a count near zero means the scan is broken.
        Assert.IsGreaterThan(50, count);
        Assert.IsEmpty(missing, $"Missing in Microsoft.ML {version}:\n{string.Join("\n", missing)}");
    }

    [TestMethod]
    public void A_referenced_member_that_ML_NET_no_longer_has_is_reported_by_name()
    {
        using MlNetAssemblies assemblies = MlNetAssemblies.Restore(BuildSettings.MlNetVersion, _directory, RestoreTimeout, TestContext.CancellationToken);
        string changed = Path.Combine(_directory, "changed");
        Directory.CreateDirectory(changed);

        // Renames, in a copy of Microsoft.ML.Data, the first method the library calls there: as if a new version dropped it.
        string name;
        using (var library = ModuleDefinition.ReadModule(Library, new ReaderParameters { AssemblyResolver = assemblies }))
        {
            MethodDefinition target = library.GetMemberReferences().OfType<MethodReference>()
                .Where(m => AssemblyOf(m.DeclaringType) == "Microsoft.ML.Data")
                .Select(m => m.Resolve())
                .First(m => m != null && m.Module.Assembly.Name.Name == "Microsoft.ML.Data" && !m.IsConstructor);
            name = $"{target.DeclaringType.FullName}::{target.Name}";
            using var data = AssemblyDefinition.ReadAssembly(assemblies.Paths["Microsoft.ML.Data"], new ReaderParameters { AssemblyResolver = assemblies });
            MethodDefinition copy = data.MainModule.GetTypes().Single(t => t.FullName == target.DeclaringType.FullName)
                .Methods.Single(m => m.FullName == target.FullName);
            copy.Name += "Removed";
            data.Write(Path.Combine(changed, "Microsoft.ML.Data.dll"));
        }
        assemblies.Override("Microsoft.ML.Data", Path.Combine(changed, "Microsoft.ML.Data.dll"));

        IReadOnlyList<string> missing = MissingReferences(Library, assemblies, out _);
        Assert.IsTrue(missing.Any(m => m.Contains(name, StringComparison.Ordinal)), $"{name} was not reported; reported:\n{string.Join("\n", missing)}");
    }

    /// <summary>The library's type and member references into Microsoft.ML.* assemblies that do not resolve, by full name.</summary>
    private static IReadOnlyList<string> MissingReferences(string library, IAssemblyResolver assemblies, out int count)
    {
        using var module = ModuleDefinition.ReadModule(library, new ReaderParameters { AssemblyResolver = assemblies });
        var missing = new List<string>();
        count = 0;
        foreach (TypeReference type in module.GetTypeReferences().Where(t => IsMlNet(AssemblyOf(t))))
        {
            count++;
            if (TryResolve(type.Resolve) is { } why)
                missing.Add($"type {type.FullName} ({AssemblyOf(type)}){why}");
        }
        foreach (MemberReference member in module.GetMemberReferences().Where(m => IsMlNet(AssemblyOf(m.DeclaringType))))
        {
            count++;
            Func<IMemberDefinition?> resolve = member switch
            {
                MethodReference method => method.Resolve,
                FieldReference field => field.Resolve,
                _ => throw new AssertFailedException($"Unexpected kind of reference: {member.FullName}"),
            };
            if (TryResolve(resolve) is { } why)
                missing.Add($"{member.FullName} ({AssemblyOf(member.DeclaringType)}){why}");
        }
        return missing;
    }

    /// <summary>Null when the reference resolves, else why not.</summary>
    private static string? TryResolve(Func<IMemberDefinition?> resolve)
    {
        try
        {
            return resolve() == null ? "" : null;
        }
        catch (AssemblyResolutionException e)
        {
            return $": assembly {e.AssemblyReference.Name} not found";
        }
    }

    private static bool IsMlNet(string? assembly) =>
        assembly != null && (assembly == "Microsoft.ML" || assembly.StartsWith("Microsoft.ML.", StringComparison.Ordinal)) && assembly != "Microsoft.ML.Sru";

    /// <summary>The assembly a type reference points into (through generic instances, arrays and nesting), or null for this module's own types.</summary>
    private static string? AssemblyOf(TypeReference type)
    {
        TypeReference element = type.GetElementType();
        while (element.DeclaringType != null)
            element = element.DeclaringType;
        return element.Scope is AssemblyNameReference reference ? reference.Name : null;
    }
}
