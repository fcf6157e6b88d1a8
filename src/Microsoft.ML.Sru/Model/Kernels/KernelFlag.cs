namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// A compile-time switch for the kernel's variants: generic code over a struct type argument is compiled per type, so
/// <c>if (T.IsOn)</c> costs nothing and each variant gets its own specialised loop with no branch inside.
/// </summary>
internal interface IKernelFlag
{
    static abstract bool IsOn { get; }
}

/// <summary>The variant is on.</summary>
internal readonly struct FlagOn : IKernelFlag
{
    public static bool IsOn => true;
}

/// <summary>The variant is off.</summary>
internal readonly struct FlagOff : IKernelFlag
{
    public static bool IsOn => false;
}
