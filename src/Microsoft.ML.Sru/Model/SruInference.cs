using System.Numerics;
using Microsoft.ML.Sru.Model.Kernels;
using TorchSharp;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A trained SRU classifier scoring one row in plain C#, without TorchSharp: the weights are copied into
/// managed arrays once, U = X·W runs as vectorised row updates for the first layer (skipping zero inputs, which
/// MNIST is full of) and as one AVX-512 product for deeper layers (dense input), and the recurrence is the fused kernel's forward. This is the PredictionEngine and Transform path:
/// a single row through libtorch costs far more in per-op overhead than in arithmetic.
/// </summary>
internal sealed unsafe class SruInference
{
    private sealed record Layer(float[] Weight, float[] Bias, int InputSize, int Blocks, SruSkip Skip);

    private readonly Layer[] _layers;
    private readonly float[] _headWeight;
    private readonly float[] _headBias;
    private readonly int _steps;
    private readonly int _hidden;
    private readonly int _classes;

    private SruInference(NetworkSpec spec, Layer[] layers, float[] headWeight, float[] headBias)
    {
        _layers = layers;
        _headWeight = headWeight;
        _headBias = headBias;
        _steps = spec.SequenceLength;
        _hidden = spec.HiddenSize;
        _classes = spec.ClassCount;
    }

    /// <summary>Scratch memory for one caller at a time; each mapper (thread) has its own.</summary>
    public sealed class Workspace
    {
        internal Workspace(int steps, int widestInput, int widestU, int hidden)
        {
            U = new float[steps * widestU];
            Input = new float[steps * widestInput];
            Output = new float[steps * hidden];
        }

        internal float[] U { get; }

        internal float[] Input { get; }

        internal float[] Output { get; }
    }

    /// <summary>The managed scorer for an SRU network, or null for other cells.</summary>
    public static SruInference? TryCreate(SequenceClassifier network)
    {
        NetworkSpec spec = network.Spec;
        if (spec.Cell != RecurrentCellKind.Sru)
            return null;
        var state = network.state_dict();
        static float[] Values(torch.Tensor tensor)
        {
            // The chain's intermediate tensors go with the scope.
            using var scope = torch.NewDisposeScope();
            return tensor.detach().to(torch.float32).cpu().contiguous().data<float>().ToArray();
        }

        var layers = new Layer[spec.NumberOfLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            int input = i == 0 ? spec.StepSize : spec.HiddenSize;
            int blocks = spec.UseHighway && input != spec.HiddenSize ? 4 : 3;
            SruSkip skip = !spec.UseHighway ? SruSkip.None : blocks == 4 ? SruSkip.UBlock : SruSkip.External;
            layers[i] = new Layer(Values(state[$"encoder.layers.{i}.weight"]), Values(state[$"encoder.layers.{i}.bias"]), input, blocks, skip);
        }
        return new SruInference(spec, layers, Values(state["head.weight"]), Values(state["head.bias"]));
    }

    public Workspace CreateWorkspace() => new(
        _steps,
        _layers.Max(l => l.InputSize),
        _layers.Max(l => l.Blocks) * _hidden,
        _hidden);

    /// <summary>Class probabilities of one row of features (time-major: step after step).</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> scores, Workspace workspace)
    {
        features.CopyTo(workspace.Input);
        float[] input = workspace.Input, output = workspace.Output;
        for (int l = 0; l < _layers.Length; l++)
        {
            Layer layer = _layers[l];
            int width = layer.Blocks * _hidden;
            // The head reads only the last layer's last step, and c needs only z and f: there, the r and x'
            // blocks are computed for the last step alone (h of earlier steps is then unused).
            bool isLastLayer = l == _layers.Length - 1;
            Span<float> u = workspace.U.AsSpan(0, _steps * width);
            if (l > 0 && Sgemm512.IsSupported)
            {
                // A hidden layer's input is dense: all steps in one register-blocked product beat row updates.
                fixed (float* px = input, pw = layer.Weight, pu = u)
                {
                    Sgemm512.Multiply(new StridedMatrix(px, layer.InputSize, 1), new StridedMatrix(pw, width, 1), pu,
                        _steps, layer.InputSize, width, singleThreaded: true);
                }
            }
            else
            {
                for (int t = 0; t < _steps; t++)
                {
                    int used = isLastLayer && t < _steps - 1 ? 2 * _hidden : width;
                    Span<float> row = u.Slice(t * width, width);
                    row.Clear();
                    for (int i = 0; i < layer.InputSize; i++)
                    {
                        float a = input[t * layer.InputSize + i];
                        if (a != 0)
                            MultiplyAdd(a, layer.Weight.AsSpan(i * width, used), row[..used]);
                    }
                }
            }

            fixed (float* pu = u, pb = layer.Bias, px = input, ph = output)
                SruKernel.Forward(pu, pb, layer.Skip == SruSkip.External ? px : null, layer.Skip, ph, null, _steps, 1, layer.Blocks, _hidden);
            (input, output) = (output, input);
        }

        // The head reads the last step of the last layer (now in `input`).
        ReadOnlySpan<float> last = input.AsSpan((_steps - 1) * _hidden, _hidden);
        float max = float.NegativeInfinity;
        for (int c = 0; c < _classes; c++)
        {
            float logit = _headBias[c] + Dot(_headWeight.AsSpan(c * _hidden, _hidden), last);
            scores[c] = logit;
            max = MathF.Max(max, logit);
        }
        float sum = 0;
        for (int c = 0; c < _classes; c++)
        {
            scores[c] = MathF.Exp(scores[c] - max);
            sum += scores[c];
        }
        for (int c = 0; c < _classes; c++)
            scores[c] /= sum;
    }

    private static void MultiplyAdd(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(a);
            var vx = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int v = 0; v < vx.Length; v++)
                vy[v] = Vector.FusedMultiplyAdd(va, vx[v], vy[v]);
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
            y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }
}
