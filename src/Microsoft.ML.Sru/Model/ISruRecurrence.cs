using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The compute of an SRU layer, its projection U = X·W and its element-wise recurrence: the seam where the
/// plain-ops reference and the fused kernels are interchangeable. D is 1, or 2 for a bidirectional layer
/// (direction 1 runs from the last step to the first).
/// </summary>
internal interface ISruRecurrence
{
    /// <summary>U = X·W for all time steps at once: input [T·B, I] · weight [I, D·k·H] → [T·B, D·k·H].</summary>
    Tensor Project(Tensor input, Tensor weight);

    /// <param name="u">[T, B, D, k, H]: z, f, r (and x') blocks of X·W.</param>
    /// <param name="bias">[2·D·H]: b_f of every direction, then b_r.</param>
    /// <param name="cellWeights">[2·D·H] v_f then v_r, for the SRU 2.x gates σ(u + v⊙c_{t−1} + b); null for the 2017 gates.</param>
    /// <param name="skip">[T, B, D, H] highway input, or null for no highway.</param>
    /// <param name="activation">g in h = r⊙g(c) + (1 − r)⊙skip.</param>
    /// <returns>h: [T, B, D, H].</returns>
    Tensor Forward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip, SruActivation activation);
}
