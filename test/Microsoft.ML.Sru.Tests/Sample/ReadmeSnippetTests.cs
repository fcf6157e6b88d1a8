using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML.Sru.Tests.Package;

namespace Microsoft.ML.Sru.Tests.Sample;

/// <summary>
/// The README's C# programs (its csharp blocks that start with a using directive) compile as a new console app
/// would have them, with warnings as errors, against the library and ML.NET assemblies this test was built with.
/// </summary>
[TestClass]
[TestCategory("Sample")]
[TestCategory("Readme")]
public sealed partial class ReadmeSnippetTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Every_csharp_program_in_the_readme_compiles_without_warnings()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md")).ReplaceLineEndings("\n");
        var programs = CSharpProgram().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        // The quick start, the CSV example and the synthetic sequences.
        Assert.IsGreaterThanOrEqualTo(3, programs.Count, "C# programs in the README");
        StringAssert.Contains(programs[0], "ml.Log += ", "the quick start shows progress");

        string root = Directory.CreateTempSubdirectory("sru-readme-").FullName;
        try
        {
            for (int i = 0; i < programs.Count; i++)
            {
                string directory = Directory.CreateDirectory(Path.Combine(root, $"program{i}")).FullName;
                File.WriteAllText(Path.Combine(directory, "Program.cs"), programs[i]);
                File.WriteAllText(Path.Combine(directory, $"program{i}.csproj"), Project().ToString());
                DotnetCommand.Run(directory, BuildTimeout, TestContext.CancellationToken, "build", "-c", "Release", "-nodeReuse:false");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A console app as 'dotnet new console' makes it, referencing the assemblies built beside this test.</summary>
    private static XElement Project()
    {
        var references = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(path => Path.GetFileName(path) is var name
                && (name.StartsWith("Microsoft.ML.", StringComparison.Ordinal) || name.StartsWith("TorchSharp", StringComparison.Ordinal))
                && !name.Contains(".Tests", StringComparison.Ordinal))
            .Select(path => new XElement("Reference", new XAttribute("Include", path)));
        return new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("OutputType", "Exe"),
                new XElement("TargetFramework", $"net{Environment.Version.Major}.0"),
                new XElement("ImplicitUsings", "enable"),
                new XElement("Nullable", "enable"),
                new XElement("TreatWarningsAsErrors", "true")),
            new XElement("ItemGroup", references));
    }

    [GeneratedRegex("```csharp\n(using [\\w.]+;[^`]*?)```")]
    private static partial Regex CSharpProgram();
}
