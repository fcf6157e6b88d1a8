using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The projection's gradients, dW = X^T·dU and dX = dU·W^T, taken step by step from the recurrence backward
/// (<see cref="ISruStepSink"/>) while each step's dL/du (a few hundred KB) is still in cache, instead of writing all of
/// dU ([T·B, k·H], several MB) to memory and reading it back twice. dX is taken every step; for dW, a part gathers a few
/// steps' rows of dU (written there by the kernel) and X first (at least <see cref="MinimumChunkRows"/>), so that each product runs deep enough to
/// pay for reading and writing dW, also when a part holds only a few sequences. Each part of the batch split adds into
/// its own dW, summed afterwards in a fixed order, so results do not depend on thread timing.
/// </summary>
internal sealed unsafe class ProjectionGradientSink : ISruStepSink, IDisposable
{
    /// <summary>Rows of dU a part gathers before it adds X^T·dU into its dW.</summary>
    public const int MinimumChunkRows = 128;

    private readonly float* _input;
    private readonly float* _weightTransposed;
    private readonly float* _gradInput;
    private readonly float* _gradWeightParts;
    private readonly int _parts, _batch, _inputSize, _width, _chunkRows, _earlyColumns, _lastStep;
    private readonly bool _gradInputHoldsSkip;
    private readonly float* _chunks;
    private readonly int[] _filled;

    /// <param name="input">X [T·B, I].</param>
    /// <param name="weightTransposed">W^T [k·H, I], contiguous; null when no dX is wanted.</param>
    /// <param name="gradInput">dX [T·B, I]; null when no dX is wanted.</param>
    /// <param name="gradInputHoldsSkip">Whether the recurrence has already written dL/dskip into dX's rows (skip = X): the product is then added.</param>
    /// <param name="parts">Parts of the batch split.</param>
    /// <param name="batch">B.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="width">k·H, the columns of U.</param>
    /// <param name="earlyColumns">
    /// The columns of dU that can be nonzero before <paramref name="lastStep"/> (all, or z and f's 2·H when only the last
    /// step's h is read): the products leave the others out.
    /// </param>
    /// <param name="lastStep">T − 1.</param>
    public ProjectionGradientSink(float* input, float* weightTransposed, float* gradInput, bool gradInputHoldsSkip,
        int parts, int batch, int inputSize, int width, int earlyColumns, int lastStep)
    {
        _earlyColumns = earlyColumns;
        _lastStep = lastStep;
        _input = input;
        _weightTransposed = weightTransposed;
        _gradInput = gradInput;
        _gradInputHoldsSkip = gradInputHoldsSkip;
        _parts = parts;
        _gradWeightParts = (float*)NativeMemory.AllocZeroed((nuint)parts * (nuint)inputSize * (nuint)width, sizeof(float));
        _batch = batch;
        _inputSize = inputSize;
        _width = width;
        int partRows = (batch + parts - 1) / parts;
        // Whole steps per chunk, enough for MinimumChunkRows rows: a chunk never splits a step.
        _chunkRows = (MinimumChunkRows + partRows - 1) / partRows * partRows;
        _chunks = (float*)NativeMemory.Alloc((nuint)parts * (nuint)_chunkRows * (nuint)(width + inputSize), sizeof(float));
        _filled = new int[parts];
    }

    /// <summary>The next free rows of the part's chunk: the kernel writes dL/du there, so it is gathered without a copy.</summary>
    public float* NextStepBuffer(int part) => _chunks + (long)part * _chunkRows * (_width + _inputSize) + (long)_filled[part] * _width;

    public void StepDone(int part, int step, int firstSequence, int endSequence, float* gradU)
    {
        int rows = endSequence - firstSequence;
        long firstRow = (long)step * _batch + firstSequence;
        int columns = step == _lastStep ? _width : _earlyColumns;
        // Each part runs on its own thread already: the products stay on it.
        if (_gradInput != null)
        {
            Sgemm512.Multiply(new StridedMatrix(gradU, _width, 1), new StridedMatrix(_weightTransposed, _inputSize, 1),
                _gradInput + firstRow * _inputSize, rows, columns, _inputSize, singleThreaded: true, accumulate: _gradInputHoldsSkip);
        }

        // The part's chunk: dU rows (the kernel has written this step's in place), then X rows, side by side in one block.
        float* gradUChunk = _chunks + (long)part * _chunkRows * (_width + _inputSize);
        float* inputChunk = gradUChunk + (long)_chunkRows * _width;
        int filled = _filled[part];
        new ReadOnlySpan<float>(_input + firstRow * _inputSize, rows * _inputSize).CopyTo(new Span<float>(inputChunk + (long)filled * _inputSize, rows * _inputSize));
        filled += rows;
        // Steps arrive from the last to the first: step 0 ends the part's backward. With fewer early columns, the last
        // step (the first to arrive) goes alone, so that every later chunk needs only those.
        if (filled + rows > _chunkRows || step == 0 || columns != _earlyColumns)
        {
            Sgemm512.Multiply(new StridedMatrix(inputChunk, 1, _inputSize), new StridedMatrix(gradUChunk, _width, 1),
                _gradWeightParts + (long)part * _inputSize * _width, _inputSize, filled, columns, singleThreaded: true, accumulate: true, cRowStride: _width);
            filled = 0;
        }
        _filled[part] = filled;
    }

    /// <summary>dW [I, k·H]: the parts' sums, added in a fixed order. Call after the backward.</summary>
    public void SumWeightGradient(Span<float> gradWeight)
    {
        int size = _inputSize * _width;
        new ReadOnlySpan<float>(_gradWeightParts, size).CopyTo(gradWeight);
        for (int part = 1; part < _parts; part++)
            TensorPrimitives.Add(gradWeight, new ReadOnlySpan<float>(_gradWeightParts + (long)part * size, size), gradWeight);
    }

    public void Dispose()
    {
        NativeMemory.Free(_chunks);
        NativeMemory.Free(_gradWeightParts);
    }
}
