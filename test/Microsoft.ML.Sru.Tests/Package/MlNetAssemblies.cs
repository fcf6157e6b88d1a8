using System.Text.Json;
using Mono.Cecil;

namespace Microsoft.ML.Sru.Tests.Package;

/// <summary>
/// The ML.NET assemblies of one version, as an app gets them: restores a throw-away project that references the
/// library's ML.NET packages at that version and reads the runtime assemblies from its restore result. Resolves
/// assembly names for Mono.Cecil from those assemblies and the running .NET's own, nothing else (in particular not
/// from this test's output folder, which holds the version the tests were built against).
/// </summary>
internal sealed class MlNetAssemblies : IAssemblyResolver
{
    private readonly Dictionary<string, string> _paths = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AssemblyDefinition> _loaded = new(StringComparer.OrdinalIgnoreCase);

    private MlNetAssemblies(string version) => Version = version;

    /// <summary>The Microsoft.ML version restored.</summary>
    public string Version { get; }

    /// <summary>Every restored package assembly by simple name.</summary>
    public IReadOnlyDictionary<string, string> Paths => _paths;

    /// <summary>
    /// Restores Microsoft.ML and Microsoft.ML.DataView at exactly <paramref name="version"/>, with the library's other
    /// Microsoft.ML.* dependencies at the versions it was built with, in <paramref name="workDirectory"/>.
    /// </summary>
    public static MlNetAssemblies Restore(string version, string workDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        var references = LibraryMlNetDependencies().Select(d =>
            d.Key is "Microsoft.ML" or "Microsoft.ML.DataView" ? (d.Key, $"[{version}]") : (d.Key, d.Value));
        File.WriteAllText(Path.Combine(workDirectory, "MlNet.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
            {string.Concat(references.Select(r => $"    <PackageReference Include=\"{r.Item1}\" Version=\"{r.Item2}\" />\n"))}  </ItemGroup>
            </Project>
            """);
        DotnetCommand.Run(workDirectory, timeout, cancellationToken, "restore", "-nodeReuse:false");

        var assemblies = new MlNetAssemblies(version);
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(workDirectory, "obj", "project.assets.json")));
        JsonElement root = assets.RootElement;
        string packageFolder = root.GetProperty("packageFolders").EnumerateObject().First().Name;
        JsonElement libraries = root.GetProperty("libraries");
        foreach (JsonProperty package in root.GetProperty("targets").EnumerateObject().Single().Value.EnumerateObject())
        {
            if (!package.Value.TryGetProperty("runtime", out JsonElement runtime))
                continue;
            string packagePath = libraries.GetProperty(package.Name).GetProperty("path").GetString()!;
            foreach (JsonProperty file in runtime.EnumerateObject().Where(f => f.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)))
                assemblies._paths[Path.GetFileNameWithoutExtension(file.Name)] = Path.Combine(packageFolder, packagePath, file.Name);
        }
        return assemblies;
    }

    /// <summary>Replaces one assembly by another file, e.g. a modified copy.</summary>
    public void Override(string name, string path)
    {
        if (_loaded.Remove(name, out AssemblyDefinition? old))
            old.Dispose();
        _paths[name] = path;
    }

    public AssemblyDefinition Resolve(AssemblyNameReference name) => Resolve(name, new ReaderParameters());

    public AssemblyDefinition Resolve(AssemblyNameReference name, ReaderParameters parameters)
    {
        if (_loaded.TryGetValue(name.Name, out AssemblyDefinition? loaded))
            return loaded;
        string? path = _paths.GetValueOrDefault(name.Name);
        if (path == null)
        {
            string framework = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), name.Name + ".dll");
            path = File.Exists(framework) ? framework : throw new AssemblyResolutionException(name);
        }
        loaded = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = this });
        _loaded[name.Name] = loaded;
        return loaded;
    }

    public void Dispose()
    {
        foreach (AssemblyDefinition assembly in _loaded.Values)
            assembly.Dispose();
        _loaded.Clear();
    }

    /// <summary>The library's Microsoft.ML.* package dependencies and versions, from this test's deps.json.</summary>
    private static Dictionary<string, string> LibraryMlNetDependencies()
    {
        string depsFile = Path.Combine(AppContext.BaseDirectory, typeof(MlNetAssemblies).Assembly.GetName().Name + ".deps.json");
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(depsFile));
        // The project's entry is named after its package ID; the one that lists the library's dependencies.
        JsonElement library = deps.RootElement.GetProperty("targets").EnumerateObject().First().Value.EnumerateObject()
            .Select(p => p.Value)
            .Single(p => p.TryGetProperty("runtime", out JsonElement runtime) && runtime.TryGetProperty("Microsoft.ML.Sru.dll", out _)
                && p.TryGetProperty("dependencies", out _));
        return library.GetProperty("dependencies").EnumerateObject()
            .Where(d => d.Name.StartsWith("Microsoft.ML", StringComparison.Ordinal))
            .ToDictionary(d => d.Name, d => d.Value.GetString()!);
    }
}
