using TorchSharp;

namespace Microsoft.ML.Sru.Model;

/// <summary>Copies of a network's weights in managed memory, for the managed scorer and the ONNX export.</summary>
internal static class TensorValues
{
    /// <summary>The tensor's values as float32, row-major.</summary>
    public static float[] ToArray(torch.Tensor tensor)
    {
        // The chain's intermediate tensors go with the scope.
        using var scope = torch.NewDisposeScope();
        return tensor.detach().to(torch.float32).cpu().contiguous().data<float>().ToArray();
    }
}
