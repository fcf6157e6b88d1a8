using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// An encoder that reads a batch of sequences padded at the end to the longest: [T, B, I] and each sequence's own length
/// → the summary [B, W] the head reads, the same for each sequence as if it were scored alone.
/// </summary>
internal interface ISequenceEncoder
{
    /// <param name="sequences">[T, B, I], time-major, padded at the end.</param>
    /// <param name="lengths">Each sequence's own length [B], 1 to T; null when every sequence has all T steps.</param>
    Tensor Encode(Tensor sequences, int[]? lengths);
}
