using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The element-wise part of an SRU layer: the seam where the plain-ops reference and a fused kernel
/// are interchangeable.
/// </summary>
internal interface ISruRecurrence
{
    /// <param name="u">[T, B, k, H]: z, f, r (and x') blocks of X·W.</param>
    /// <param name="bias">[2H]: b_f then b_r.</param>
    /// <param name="skip">[T, B, H] highway input, or null for no highway.</param>
    /// <returns>h: [T, B, H].</returns>
    Tensor Forward(Tensor u, Tensor bias, Tensor? skip);
}
