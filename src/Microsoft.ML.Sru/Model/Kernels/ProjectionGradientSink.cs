namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The projection's gradients, dW = X^T·dU and dX = dU·W^T, taken step by step from the recurrence backward
/// (<see cref="ISruStepSink"/>) while each step's dL/du (a few hundred KB) is still in cache, instead of writing all of
/// dU ([T·B, k·H], several MB) to memory and reading it back twice. Each part of the batch split adds into its own dW,
/// summed afterwards in a fixed order, so results do not depend on thread timing.
/// </summary>
internal sealed unsafe class ProjectionGradientSink : ISruStepSink
{
    private readonly float* _input;
    private readonly float* _weightTransposed;
    private readonly float* _gradInput;
    private readonly float* _gradWeightParts;
    private readonly int _batch, _inputSize, _width;
    private readonly bool _gradInputHoldsSkip;

    /// <param name="input">X [T·B, I].</param>
    /// <param name="weightTransposed">W^T [k·H, I], contiguous; null when no dX is wanted.</param>
    /// <param name="gradInput">dX [T·B, I]; null when no dX is wanted.</param>
    /// <param name="gradInputHoldsSkip">Whether the recurrence has already written dL/dskip into dX's rows (skip = X): the product is then added.</param>
    /// <param name="gradWeightParts">dW per part, [parts, I, k·H], zeroed.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="width">k·H, the columns of U.</param>
    public ProjectionGradientSink(float* input, float* weightTransposed, float* gradInput, bool gradInputHoldsSkip, float* gradWeightParts, int batch, int inputSize, int width)
    {
        _input = input;
        _weightTransposed = weightTransposed;
        _gradInput = gradInput;
        _gradInputHoldsSkip = gradInputHoldsSkip;
        _gradWeightParts = gradWeightParts;
        _batch = batch;
        _inputSize = inputSize;
        _width = width;
    }

    public void StepDone(int part, int step, int firstSequence, int endSequence, float* gradU)
    {
        int rows = endSequence - firstSequence;
        long firstRow = (long)step * _batch + firstSequence;
        // Each part runs on its own thread already: the products stay on it.
        Sgemm512.Multiply(new StridedMatrix(_input + firstRow * _inputSize, 1, _inputSize), new StridedMatrix(gradU, _width, 1),
            _gradWeightParts + (long)part * _inputSize * _width, _inputSize, rows, _width, singleThreaded: true, accumulate: true);
        if (_gradInput != null)
        {
            Sgemm512.Multiply(new StridedMatrix(gradU, _width, 1), new StridedMatrix(_weightTransposed, _inputSize, 1),
                _gradInput + firstRow * _inputSize, rows, _width, _inputSize, singleThreaded: true, accumulate: _gradInputHoldsSkip);
        }
    }
}
