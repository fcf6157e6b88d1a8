using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>Reading a padded, time-major batch at each sequence's own steps.</summary>
internal static class PaddedSteps
{
    /// <summary>Each sequence's own last step of <paramref name="steps"/> [T, B, W]: [B, W].</summary>
    public static Tensor OwnLast(Tensor steps, int[] lengths)
    {
        long batch = steps.shape[1], width = steps.shape[2];
        using Tensor last = tensor(lengths.Select(length => (long)length - 1).ToArray(), device: steps.device);
        return steps.transpose(0, 1).gather(1, last.view(batch, 1, 1).expand(batch, 1, width)).squeeze(1);
    }

    /// <summary>The steps a batch of these sequences is padded to: the longest of <paramref name="lengths"/>, 0 for none.</summary>
    public static int Longest(ReadOnlySpan<int> lengths)
    {
        int longest = 0;
        foreach (int length in lengths)
            longest = Math.Max(longest, length);
        return longest;
    }

    /// <summary>Refuses lengths that do not describe a batch of <paramref name="batch"/> sequences padded to <paramref name="steps"/> steps.</summary>
    public static void Check(int[] lengths, long batch, long steps)
    {
        if (lengths.Length != batch)
            throw new ArgumentException($"{lengths.Length} sequence lengths for a batch of {batch} sequences.", nameof(lengths));
        for (int i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 1 || lengths[i] > steps)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[i], $"Sequence {i}'s length must be 1 to the batch's {steps} steps.");
        }
    }
}
