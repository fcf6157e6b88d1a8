using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.Sru.Tests.Build;

/// <summary>
/// What the library does to the whole process, and every native entry point it calls, stays in Runtime/ (and
/// Runtime/Interop/), where each says why it is there and what it affects (docs/design.md lists them). Read from the
/// built library, so a new call elsewhere fails here with its place.
/// </summary>
[TestClass]
public sealed class RuntimeBoundaryTests
{
    private const string RuntimeNamespace = "Microsoft.ML.Sru.Runtime";
    private const string InteropNamespace = "Microsoft.ML.Sru.Runtime.Interop";

    /// <summary>Calls that change libtorch's or the process's state for everyone, by declaring type and name.</summary>
    private static readonly (string Type, string Method)[] ProcessWideCalls =
    [
        ("TorchSharp.torch", "set_num_threads"),
        ("TorchSharp.torch", "set_num_interop_threads"),
        ("TorchSharp.torch", "manual_seed"),
        ("TorchSharp.torch/random", "manual_seed"),
        ("System.Threading.Thread", ".ctor"),
        ("System.Threading.ThreadPool", "SetMinThreads"),
        ("System.Threading.ThreadPool", "SetMaxThreads"),
        ("System.Environment", "SetEnvironmentVariable"),
        ("System.AppContext", "SetSwitch"),
    ];

    private static string Library => Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.Sru.dll");

    [TestMethod]
    public void Every_native_entry_point_is_declared_in_Runtime_Interop()
    {
        using ModuleDefinition module = ModuleDefinition.ReadModule(Library);
        MethodDefinition[] imports = module.GetTypes().SelectMany(t => t.Methods).Where(m => m.IsPInvokeImpl).ToArray();

        // The THSTensor_new, mallopt, malloc_trim, open, fsync and close imports at least: none found means the scan is broken.
        Assert.IsGreaterThanOrEqualTo(6, imports.Length);
        CollectionAssert.Contains(imports.Select(m => m.PInvokeInfo.EntryPoint).ToArray(), "THSTensor_new");
        string[] outside = imports.Where(m => NamespaceOf(m.DeclaringType) != InteropNamespace)
            .Select(m => $"{m.DeclaringType.FullName}::{m.Name} ({m.PInvokeInfo.Module.Name}!{m.PInvokeInfo.EntryPoint})").ToArray();
        Assert.IsEmpty(outside, $"Native entry points outside {InteropNamespace}:\n{string.Join("\n", outside)}");
    }

    [TestMethod]
    public void Every_process_wide_call_is_made_from_Runtime()
    {
        using ModuleDefinition module = ModuleDefinition.ReadModule(Library);
        var callers = new List<(string Call, string Caller)>();
        foreach (MethodDefinition method in module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is MethodReference called
                    && ProcessWideCalls.Any(c => c.Type == called.DeclaringType.FullName && c.Method == called.Name))
                    callers.Add(($"{called.DeclaringType.FullName}::{called.Name}", $"{method.DeclaringType.FullName}::{method.Name}"));
            }
        }

        // libtorch's thread count and seed, and the kernels' worker thread, at least: none found means the scan is broken.
        foreach (string expected in new[] { "TorchSharp.torch::set_num_threads", "TorchSharp.torch::manual_seed", "System.Threading.Thread::.ctor" })
            CollectionAssert.Contains(callers.Select(c => c.Call).ToArray(), expected);
        string[] outside = callers.Where(c => !c.Caller.StartsWith(RuntimeNamespace + ".", StringComparison.Ordinal))
            .Select(c => $"{c.Call} called from {c.Caller}").ToArray();
        Assert.IsEmpty(outside, $"Process-wide calls outside {RuntimeNamespace}:\n{string.Join("\n", outside)}");
    }

    /// <summary>The namespace of a type, or of the type it is nested in (generated P/Invoke stubs are nested).</summary>
    private static string NamespaceOf(TypeDefinition type)
    {
        while (type.DeclaringType != null)
            type = type.DeclaringType;
        return type.Namespace;
    }
}
