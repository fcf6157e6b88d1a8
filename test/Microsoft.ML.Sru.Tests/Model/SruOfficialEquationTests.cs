using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>
/// An <see cref="SruLayer"/> (fused kernel and reference alike) against the official SRU 2.x equations written out here as
/// scalar loops in double precision, on fixed small weights: every option that changes what a layer computes.
/// </summary>
[TestClass]
public sealed class SruOfficialEquationTests
{
    private const int Steps = 4, Batch = 2, Hidden = 5;

    public static IEnumerable<object[]> Cases()
    {
        foreach (bool bidirectional in new[] { false, true })
            foreach (bool cellWeights in new[] { false, true })
                foreach (SruActivation activation in new[] { SruActivation.Tanh, SruActivation.Identity })
                {
                    int output = (bidirectional ? 2 : 1) * Hidden;
                    // The skip is the input itself (rescaled), a fourth block of U, or absent.
                    yield return [bidirectional, cellWeights, activation, output, true, true, SruLayerNorm.None, 0];
                    yield return [bidirectional, cellWeights, activation, 3, true, false, SruLayerNorm.None, 0];
                    yield return [bidirectional, cellWeights, activation, 3, false, false, SruLayerNorm.None, 0];
                    yield return [bidirectional, cellWeights, activation, output, true, false, SruLayerNorm.BeforeRecurrence, 0];
                    yield return [bidirectional, cellWeights, activation, 3, true, true, SruLayerNorm.AfterRecurrence, 0];
                    yield return [bidirectional, cellWeights, activation, 12, true, true, SruLayerNorm.None, 2];
                }
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void A_layer_computes_the_official_equations(
        bool bidirectional, bool cellWeights, SruActivation activation, int inputSize, bool highway, bool rescale, SruLayerNorm layerNorm, int projection)
    {
        using var scope = NewDisposeScope();
        var cell = new SruCellSpec(highway, bidirectional, cellWeights, activation, HighwayBias: -1.5f, rescale, Dropout: 0, layerNorm, projection);
        using var layer = new SruLayer("layer", inputSize, Hidden, cell);
        var random = new Random(inputSize * 100 + (bidirectional ? 1 : 0) + (cellWeights ? 2 : 0) + (int)activation * 4 + (int)layerNorm * 8 + projection * 32);
        var parameters = new Dictionary<string, double[]>();
        using (no_grad())
        {
            foreach (var (name, parameter) in layer.named_parameters())
            {
                double[] values = Enumerable.Range(0, (int)parameter.numel()).Select(_ => random.NextDouble() * 2 - 1).ToArray();
                parameter.copy_(tensor(values.Select(v => (float)v).ToArray(), parameter.shape));
                parameters[name] = values;
            }
        }
        double[] x = Enumerable.Range(0, Steps * Batch * inputSize).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        double[] expected = OfficialLayer(x, parameters, inputSize, highway, cell);

        layer.eval();
        foreach (ISruRecurrence recurrence in new ISruRecurrence[] { Microsoft.ML.Sru.Model.Kernels.FusedSruRecurrence.Instance, SruRecurrence.Reference })
        {
            layer.Recurrence = recurrence;
            Tensor h = layer.forward(tensor(x.Select(v => (float)v).ToArray(), new long[] { Steps, Batch, inputSize }));
            TensorComparison.AssertClose($"h ({recurrence.GetType().Name})", tensor(expected.Select(v => (float)v).ToArray(), h.shape), h);
        }
    }

    /// <summary>
    /// The official SRUCell forward (modules.py and the elementwise recurrence of ops.py), one scalar at a time. Our weight
    /// columns are ordered [direction, block, unit]; bias and v are [gate, direction, unit].
    /// </summary>
    private static double[] OfficialLayer(double[] x, Dictionary<string, double[]> p, int inputSize, bool highway, SruCellSpec cell)
    {
        int dirs = cell.Directions, output = dirs * Hidden;
        int blocks = highway && inputSize != output ? 4 : 3;
        int width = dirs * blocks * Hidden;
        int rows = Steps * Batch;

        // Pre-norm on the input; the residual stays the raw input.
        double[] normalized = cell.LayerNorm == SruLayerNorm.BeforeRecurrence ? LayerNorm(x, rows, inputSize, p["layer_norm.weight"], p["layer_norm.bias"]) : x;

        // U = x·W_proj·W or x·W.
        double[] source = normalized;
        int sourceWidth = inputSize;
        int projection = cell.ProjectionFor(inputSize, output);
        if (projection > 0)
        {
            source = MatMul(normalized, rows, inputSize, p["weight_proj"], projection);
            sourceWidth = projection;
        }
        double[] u = MatMul(source, rows, sourceWidth, p["weight"], width);

        double[] bias = p["bias"], v = cell.UseCellStateWeights ? p["weight_c"] : new double[2 * output];
        double alpha = cell.Rescale ? Math.Sqrt(1 + 2 * Math.Exp(cell.HighwayBias)) : 1;
        var h = new double[rows * output];
        for (int d = 0; d < dirs; d++)
        {
            for (int b = 0; b < Batch; b++)
            {
                for (int j = 0; j < Hidden; j++)
                {
                    double c = 0;
                    double bf = bias[d * Hidden + j], br = bias[output + d * Hidden + j];
                    double vf = v[d * Hidden + j], vr = v[output + d * Hidden + j];
                    for (int step = 0; step < Steps; step++)
                    {
                        int t = d == 0 ? step : Steps - 1 - step;
                        int row = t * Batch + b;
                        double U(int k) => u[row * width + (d * blocks + k) * Hidden + j];
                        double f = Sigmoid(U(1) + vf * c + bf);
                        double r = Sigmoid(U(2) + vr * c + br);
                        c = U(0) + (c - U(0)) * f;
                        double g = cell.Activation == SruActivation.Tanh ? Math.Tanh(c) : c;
                        double value;
                        if (!highway)
                            value = g * r;
                        else
                        {
                            double skip = blocks == 3 ? x[row * inputSize + d * Hidden + j] * alpha : U(3);
                            value = skip + (g - skip) * r;
                        }
                        h[row * output + d * Hidden + j] = value;
                    }
                }
            }
        }
        return cell.LayerNorm == SruLayerNorm.AfterRecurrence ? LayerNorm(h, rows, output, p["layer_norm.weight"], p["layer_norm.bias"]) : h;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] MatMul(double[] a, int rows, int inner, double[] b, int columns)
    {
        var result = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < inner; k++)
                for (int j = 0; j < columns; j++)
                    result[i * columns + j] += a[i * inner + k] * b[k * columns + j];
        return result;
    }

    /// <summary>torch.nn.LayerNorm over the last dimension: biased variance, ε = 1e-5, then γ and β.</summary>
    private static double[] LayerNorm(double[] a, int rows, int width, double[] gamma, double[] beta)
    {
        var result = new double[a.Length];
        for (int i = 0; i < rows; i++)
        {
            var row = a.AsSpan(i * width, width);
            double mean = 0, variance = 0;
            foreach (double value in row)
                mean += value / width;
            foreach (double value in row)
                variance += (value - mean) * (value - mean) / width;
            for (int j = 0; j < width; j++)
                result[i * width + j] = (row[j] - mean) / Math.Sqrt(variance + 1e-5) * gamma[j] + beta[j];
        }
        return result;
    }

    [TestMethod]
    public void A_bidirectional_encoder_hands_the_head_the_forward_last_step_and_the_backward_first_step()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var spec = new NetworkSpec(RecurrentCellKind.Sru, Steps, 3, Hidden, 2, 4) { SruCell = SruCellSpec.Classic with { Bidirectional = true } };
        using var encoder = new SruEncoder(spec);
        encoder.eval();
        Tensor x = randn(Steps, Batch, 3);

        Tensor summary = encoder.forward(x);
        Tensor h = x;
        foreach (SruLayer layer in encoder.Layers)
            h = layer.forward(h);

        Assert.AreEqual(2L * Hidden, summary.shape[1]);
        TensorComparison.AssertClose("forward direction", h[Steps - 1, .., ..Hidden], summary[.., ..Hidden]);
        TensorComparison.AssertClose("backward direction", h[0, .., Hidden..], summary[.., Hidden..]);
    }
}
