using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>Raw access to a tensor's memory for the C# kernels.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The address of a contiguous CPU tensor's first element; valid while the tensor is alive.</summary>
    public static float* Pointer(Tensor tensor)
    {
        fixed (byte* data = tensor.bytes)
            return (float*)data;
    }
}
