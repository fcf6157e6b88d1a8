namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells the runtime to skip visibility checks from this assembly into the named one. The runtime
/// recognises the attribute by name; no framework assembly defines it.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
