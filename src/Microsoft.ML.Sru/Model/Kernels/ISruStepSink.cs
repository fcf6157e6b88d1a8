namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>Receives one step's dL/du from <see cref="SruKernel.Backward"/>, for the products that consume it.</summary>
internal unsafe interface ISruStepSink
{
    /// <summary>
    /// Where the kernel writes the next step's dL/du for part <paramref name="part"/>: [rows of the part, k·H], contiguous.
    /// Valid until that step's <see cref="StepDone"/> returns.
    /// </summary>
    float* NextStepBuffer(int part);

    /// <param name="part">Which part of the batch split (<see cref="SruKernel.PartsFor(int, int, int, int)"/>) this thread runs.</param>
    /// <param name="step">The time step just finished.</param>
    /// <param name="firstSequence">The part's first sequence.</param>
    /// <param name="endSequence">One past the part's last sequence.</param>
    /// <param name="gradU">dL/du of the step for the part's sequences, in the buffer <see cref="NextStepBuffer"/> gave: [end − first, k·H].</param>
    void StepDone(int part, int step, int firstSequence, int endSequence, float* gradU);
}
