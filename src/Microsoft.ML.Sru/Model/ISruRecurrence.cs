using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The compute of an SRU layer, its projection U = X·W and its element-wise recurrence: the seam where the
/// plain-ops reference and the fused kernels are interchangeable.
/// </summary>
internal interface ISruRecurrence
{
    /// <summary>U = X·W for all time steps at once: input [T·B, I] · weight [I, k·H] → [T·B, k·H].</summary>
    Tensor Project(Tensor input, Tensor weight);

    /// <param name="u">[T, B, k, H]: z, f, r (and x') blocks of X·W.</param>
    /// <param name="bias">[2H]: b_f then b_r.</param>
    /// <param name="skip">[T, B, H] highway input, or null for no highway.</param>
    /// <returns>h: [T, B, H].</returns>
    Tensor Forward(Tensor u, Tensor bias, Tensor? skip);
}
