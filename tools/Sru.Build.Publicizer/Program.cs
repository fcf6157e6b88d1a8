using Mono.Cecil;

// Usage: Sru.Build.Publicizer <outputDirectory> <assembly.dll>...
// Each assembly is written to the output directory with all types, methods and fields public.
// Only compile-time reference copies are produced; the real assemblies are loaded at run time.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Sru.Build.Publicizer <outputDirectory> <assembly.dll>...");
    return 2;
}

string outputDirectory = args[0];
Directory.CreateDirectory(outputDirectory);
var resolver = new DefaultAssemblyResolver();
foreach (string input in args.Skip(1))
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);

foreach (string input in args.Skip(1))
{
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (var type in assembly.MainModule.GetTypes())
        Publicize(type);

    string target = Path.Combine(outputDirectory, Path.GetFileName(input));
    string temporary = target + ".tmp";
    assembly.Write(temporary);
    File.Move(temporary, target, overwrite: true);
}
return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested)
        type.IsNestedPublic = true;
    else
        type.IsPublic = true;

    foreach (var method in type.Methods)
    {
        // Keep explicit interface implementations private: making them public would clash by name.
        if (method.IsPrivate && method.Overrides.Count > 0)
            continue;
        // Members meant for derived classes become protected, so that overrides outside the
        // assembly keep the accessibility C# expects of them.
        if (method.IsFamilyAndAssembly || method.IsFamilyOrAssembly)
            method.IsFamily = true;
        else if (!method.IsFamily)
            method.IsPublic = true;
    }

    foreach (var field in type.Fields)
    {
        // Compiler-generated backing fields would collide with their properties' names.
        if (field.Name.Contains('<') || type.Events.Any(e => e.Name == field.Name))
            continue;
        if (field.IsFamilyAndAssembly || field.IsFamilyOrAssembly)
            field.IsFamily = true;
        else if (!field.IsFamily)
            field.IsPublic = true;
    }
}
