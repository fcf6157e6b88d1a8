using System.Numerics;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// <see cref="ParameterUpdate"/> as one pass over each float32 CPU parameter's memory: the global gradient norm, then
/// Adam's moments and the weight update for every element in one loop. TorchSharp's optimizer and clip_grad_norm_ run
/// about a dozen tensor operations per parameter, each a native call with its own allocation, which for small
/// parameters costs far more than the arithmetic. Same equations, in float32 as libtorch's CPU kernels; the norm is
/// summed in double.
/// </summary>
internal sealed unsafe class CpuAdamUpdate : ParameterUpdate
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoments, _secondMoments;
    private readonly double _weightDecay, _clipNorm;
    private long _steps;

    public CpuAdamUpdate(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay, double clipNorm)
    {
        if (!Supports(parameters))
            throw new ArgumentException("CpuAdamUpdate needs contiguous float32 parameters on the CPU.", nameof(parameters));
        _parameters = parameters.ToArray();
        _firstMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _secondMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        LearningRate = learningRate;
        _weightDecay = weightDecay;
        _clipNorm = clipNorm;
    }

    /// <summary>Whether every parameter is a contiguous float32 CPU tensor.</summary>
    public static bool Supports(IReadOnlyList<Parameter> parameters) =>
        parameters.All(p => p.device_type == DeviceType.CPU && p.dtype == ScalarType.Float32 && p.is_contiguous());

    public override double LearningRate { get; set; }

    /// <summary>Drops the gradients: the next backward then hands its gradient tensors over instead of adding into old ones.</summary>
    public override void ZeroGradients()
    {
        foreach (var parameter in _parameters)
            parameter.grad = null;
    }

    public override void Step()
    {
        _steps++;
        float scale = 1;
        if (_clipNorm > 0)
        {
            double squares = 0;
            foreach (var parameter in _parameters)
            {
                if (parameter.grad is { } grad)
                    squares += SumOfSquares(Span(grad));
            }
            // As clip_grad_norm_: the gradients are scaled only when their norm exceeds the limit.
            double coefficient = _clipNorm / (Math.Sqrt(squares) + 1e-6);
            if (coefficient < 1)
                scale = (float)coefficient;
        }

        double correction1 = 1 - Math.Pow(Beta1, _steps), correction2 = 1 - Math.Pow(Beta2, _steps);
        var step = new AdamStep
        {
            GradientScale = scale,
            StepSize = (float)(LearningRate / correction1),
            InverseRootCorrection2 = (float)(1 / Math.Sqrt(correction2)),
            Decay = (float)(1 - LearningRate * _weightDecay),
        };
        using (no_grad())
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                if (_parameters[i].grad is { } grad)
                    step.Apply(Span(_parameters[i]), Span(grad), Span(_firstMoments[i]), Span(_secondMoments[i]));
            }
        }
    }

    public override void WriteState(BinaryWriter writer)
    {
        writer.Write(_steps);
        WeightSerializer.WriteTensors(writer, Moments());
    }

    public override void ReadState(BinaryReader reader)
    {
        long steps = reader.ReadInt64();
        if (steps < 0)
            throw new FormatException($"The optimizer's step count {steps} is negative.");
        WeightSerializer.ReadTensorsInto(reader, Moments());
        _steps = steps;
    }

    /// <summary>Both moments of every parameter, named by the parameter's index.</summary>
    private (string Name, Tensor Value)[] Moments() =>
        _firstMoments.Select((m, i) => ($"m{i}", m)).Concat(_secondMoments.Select((v, i) => ($"v{i}", v))).ToArray();

    public override void Dispose()
    {
        foreach (var moment in _firstMoments.Concat(_secondMoments))
            moment.Dispose();
    }

    private static Span<float> Span(Tensor tensor)
    {
        // Autograd gives contiguous parameters contiguous gradients; anything else would be a bug worth hearing about.
        if (!tensor.is_contiguous())
            throw new InvalidOperationException("CpuAdamUpdate met a non-contiguous gradient.");
        return new Span<float>(TensorMemory.Pointer(tensor), checked((int)tensor.numel()));
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double total = 0;
        var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(values);
        // Float partial sums over short runs, added in double, keep the rounding far below what clipping cares about.
        const int Run = 64;
        for (int start = 0; start < vectors.Length; start += Run)
        {
            var sum = Vector<float>.Zero;
            int end = Math.Min(vectors.Length, start + Run);
            for (int i = start; i < end; i++)
                sum += vectors[i] * vectors[i];
            total += Vector.Sum(sum);
        }
        for (int i = vectors.Length * Vector<float>.Count; i < values.Length; i++)
            total += (double)values[i] * values[i];
        return total;
    }

    /// <summary>One Adam (AdamW) update with the step's constants, applied element by element.</summary>
    private struct AdamStep
    {
        public float GradientScale, StepSize, InverseRootCorrection2, Decay;

        /// <summary>
        /// m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², p = p·(1 − lr·λ) − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε),
        /// with g the clipped gradient.
        /// </summary>
        public readonly void Apply(Span<float> weights, ReadOnlySpan<float> gradients, Span<float> first, Span<float> second)
        {
            const float B1 = (float)Beta1, B2 = (float)Beta2, Eps = (float)Epsilon;
            var p = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(weights);
            var g = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(gradients);
            var m = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(first);
            var v = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(second);
            for (int i = 0; i < p.Length; i++)
            {
                Vector<float> gi = g[i] * GradientScale;
                m[i] = m[i] * B1 + gi * (1 - B1);
                v[i] = v[i] * B2 + gi * gi * (1 - B2);
                p[i] = p[i] * Decay - StepSize * m[i] / (Vector.SquareRoot(v[i]) * InverseRootCorrection2 + new Vector<float>(Eps));
            }
            for (int i = p.Length * Vector<float>.Count; i < weights.Length; i++)
            {
                float gi = gradients[i] * GradientScale;
                first[i] = first[i] * B1 + gi * (1 - B1);
                second[i] = second[i] * B2 + gi * gi * (1 - B2);
                weights[i] = weights[i] * Decay - StepSize * first[i] / (MathF.Sqrt(second[i]) * InverseRootCorrection2 + Eps);
            }
        }
    }
}
