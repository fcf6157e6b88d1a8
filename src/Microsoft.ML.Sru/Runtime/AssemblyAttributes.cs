using System.Runtime.CompilerServices;

// The trainer and persistence plumbing ML.NET's own trainers use is internal to these assemblies.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
