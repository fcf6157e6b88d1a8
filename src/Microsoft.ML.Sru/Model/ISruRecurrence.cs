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
    /// <param name="lengths">Each sequence's own length [B] in a batch padded at the end, or null when all have T steps: on a pad
    /// c is not updated and h is zero, so padding changes neither the sequences' outputs nor the gradients.</param>
    /// <returns>h: [T, B, D, H].</returns>
    Tensor Forward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip, SruActivation activation, int[]? lengths = null);

    /// <summary>
    /// A whole one-direction layer, projection and recurrence, as one fused operation, where the implementation has one
    /// for these tensors; null where not (the caller then runs <see cref="Project"/> and <see cref="Forward"/>), which is
    /// what an implementation without one (the reference) gets by default.
    /// </summary>
    /// <param name="rows">X: [T·B, I], time-major.</param>
    /// <param name="weight">W: [I, k·H].</param>
    /// <param name="bias">[2·H].</param>
    /// <param name="cellWeights">[2·H], or null.</param>
    /// <param name="skip">The highway's input: none, U's fourth block, or (<see cref="Kernels.SruSkip.External"/>) X itself, I = H.</param>
    /// <param name="activation">g.</param>
    /// <param name="steps">T.</param>
    /// <param name="hidden">H.</param>
    /// <param name="lastStepOnly">Whether only the last step's h is wanted (a last layer whose other steps nobody reads).</param>
    /// <returns>h: [T, B, 1, H], or the last step's [B, 1, H] with <paramref name="lastStepOnly"/>; or null.</returns>
    Tensor? ForwardLayer(Tensor rows, Tensor weight, Tensor bias, Tensor? cellWeights, Kernels.SruSkip skip, SruActivation activation, long steps, int hidden,
        bool lastStepOnly = false) => null;
}
