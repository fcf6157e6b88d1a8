namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>Receives one step's dL/du from <see cref="SruKernel.Backward"/>, for the products that consume it.</summary>
internal unsafe interface ISruStepSink
{
    /// <param name="part">Which part of the batch split (<see cref="SruKernel.PartsFor(int, int, int, int)"/>) this thread runs.</param>
    /// <param name="step">The time step just finished.</param>
    /// <param name="firstSequence">The part's first sequence.</param>
    /// <param name="endSequence">One past the part's last sequence.</param>
    /// <param name="gradU">dL/du of the step for the part's sequences: [end − first, k·H], valid until the call returns.</param>
    void StepDone(int part, int step, int firstSequence, int endSequence, float* gradU);
}
