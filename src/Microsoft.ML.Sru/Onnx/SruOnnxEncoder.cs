using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Sru.Model;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Onnx;

/// <summary>
/// Writes an SRU encoder as ONNX operators, with the math <see cref="SruInference"/> scores with, for every
/// <see cref="SruCellSpec"/> option: per layer (layer norm before, projection) one MatMul U = X·W over all steps, split
/// into its z, f, r (and x') blocks per direction; the recurrence unrolled over the known sequence length (c_t only: the
/// gates of the 2017 form do not depend on c, so they are computed for all steps at once); then h = s + r⊙(g(c) − s) over
/// all steps at once, and layer norm after. ONNX's Scan and Loop need a graph-valued attribute, which ML.NET's
/// <c>OnnxContext</c> cannot write; docs/onnx.md compares the forms it can.
/// </summary>
internal static class SruOnnxEncoder
{
    /// <summary>
    /// The summary the head reads, [N, D·H], from time-major <paramref name="sequences"/> [T, N, S]: the last step's
    /// output, or with two directions the forward one's at the last step beside the backward one's at the first.
    /// </summary>
    public static string Write(OnnxGraph graph, NetworkSpec spec, IReadOnlyList<SruLayer> layers, string sequences)
    {
        SruCellSpec cell = spec.SruCell;
        int steps = spec.SequenceLength, hidden = spec.HiddenSize, directions = cell.Directions, width = spec.OutputWidth;
        string x = sequences;
        for (int l = 0; l < spec.NumberOfLayers; l++)
        {
            // Initializer names only: the weights come from the layer itself.
            string prefix = $"encoder.layers.{l}.";
            SruLayerPlan plan = layers[l].Plan;
            var weights = layers[l].Weights;
            static float[] Values(Tensor tensor) => TensorValues.ToArray(tensor);
            int input = plan.InputSize, blocks = plan.Blocks;
            // Where the last step alone is read, h is computed for it only.
            bool lastStepOnly = plan.OnlyLastStepRead;

            string source = x;
            if (cell.LayerNorm == SruLayerNorm.BeforeRecurrence)
                source = LayerNorm(graph, source, Values(weights.NormWeight!), Values(weights.NormBias!));
            int inner = input;
            int projection = plan.ProjectionSize;
            if (projection > 0)
            {
                source = graph.Op("MatMul", source, graph.Constant(prefix + "weight_proj", Values(weights.Projection!), input, projection));
                inner = projection;
            }
            string u = graph.Op("MatMul", source, graph.Constant(prefix + "weight", Values(weights.Weight), inner, directions * blocks * hidden));
            string[] parts = graph.Split(u, axis: 2, directions * blocks);

            // The skip when the input is as wide as the output: the raw input (not normalised), per direction, ·α.
            string[]? inputSkips = null;
            if (plan.Skip == Model.Kernels.SruSkip.External)
            {
                string raw = cell.SkipScale == 1f ? x : graph.Mul(x, graph.Scalar("alpha", cell.SkipScale));
                inputSkips = graph.Split(raw, axis: 2, directions);
            }

            float[] bias = Values(weights.Bias);
            float[]? cellWeights = weights.CellWeights is null ? null : Values(weights.CellWeights);
            var outputs = new string[directions];
            for (int d = 0; d < directions; d++)
            {
                // Bias and cell-state weights are [forget | reset], each over all directions.
                float[] Block(float[] values, int gate) => values.AsSpan((gate * directions + d) * hidden, hidden).ToArray();
                var gates = new DirectionWeights(
                    graph.Constant($"{prefix}bias_f{d}", Block(bias, 0), hidden),
                    graph.Constant($"{prefix}bias_r{d}", Block(bias, 1), hidden),
                    cellWeights is null ? null : graph.Constant($"{prefix}weight_c_f{d}", Block(cellWeights, 0), hidden),
                    cellWeights is null ? null : graph.Constant($"{prefix}weight_c_r{d}", Block(cellWeights, 1), hidden));
                string? skip = plan.Skip switch
                {
                    Model.Kernels.SruSkip.UBlock => parts[d * blocks + 3],
                    Model.Kernels.SruSkip.External => inputSkips![d],
                    _ => null,
                };
                outputs[d] = Direction(graph, steps, parts[d * blocks], parts[d * blocks + 1], parts[d * blocks + 2], skip, gates,
                    cell.Activation, backward: d == 1, lastStepOnly);
            }
            x = graph.Concat(outputs, axis: 2);
            if (cell.LayerNorm == SruLayerNorm.AfterRecurrence)
                x = LayerNorm(graph, x, Values(weights.NormWeight!), Values(weights.NormBias!));
        }

        if (layers[spec.NumberOfLayers - 1].Plan.OnlyLastStepRead)
            return graph.Reshape(x, -1, hidden);
        string[] halves = graph.Split(x, axis: 2, 2);
        return graph.Concat(new[] { graph.Select(halves[0], 0, steps - 1), graph.Select(halves[1], 0, 0) }, axis: 1);
    }

    /// <summary>One direction's gate biases b_f, b_r [H] and cell-state weights v_f, v_r [H] (null in the 2017 form).</summary>
    private sealed record DirectionWeights(string ForgetBias, string ResetBias, string? ForgetCellWeight, string? ResetCellWeight);

    /// <summary>
    /// One direction's h [T, N, H] (or [1, N, H] for the last step alone) from its blocks of U, each [T, N, H]:
    /// c_t = f_t⊙c_{t−1} + (1 − f_t)⊙z_t from c_{−1} = 0, visiting the steps last to first when <paramref name="backward"/>.
    /// </summary>
    private static string Direction(OnnxGraph graph, int steps, string z, string forgetInput, string resetInput, string? skip,
        DirectionWeights weights, SruActivation activation, bool backward, bool lastStepOnly)
    {
        int[] order = Enumerable.Range(0, steps).Select(p => backward ? steps - 1 - p : p).ToArray();
        int lastVisited = order[^1];
        var c = new string[steps];
        string cells, reset;
        string forgetBiased = graph.Add(forgetInput, weights.ForgetBias);
        if (weights.ForgetCellWeight is null)
        {
            // f and (1 − f)⊙z for all steps at once; each step is then one multiply-add.
            string f = graph.Sigmoid(forgetBiased);
            string[] fs = graph.Split(f, axis: 0, steps);
            string[] blend = graph.Split(graph.Sub(z, graph.Mul(f, z)), axis: 0, steps);
            c[order[0]] = blend[order[0]];
            for (int p = 1; p < steps; p++)
                c[order[p]] = graph.Add(graph.Mul(fs[order[p]], c[order[p - 1]]), blend[order[p]]);
            reset = graph.Sigmoid(graph.Add(lastStepOnly ? graph.Slice(resetInput, 0, lastVisited) : resetInput, weights.ResetBias));
        }
        else
        {
            // The gates read c_{t−1}: f_t = σ(u_f + b_f + v_f⊙c_{t−1}), r_t likewise, c_t = f_t⊙(c_{t−1} − z_t) + z_t.
            string[] fs = graph.Split(forgetBiased, axis: 0, steps);
            string[] rs = graph.Split(graph.Add(resetInput, weights.ResetBias), axis: 0, steps);
            string[] zs = graph.Split(z, axis: 0, steps);
            var r = new string[steps];
            for (int p = 0; p < steps; p++)
            {
                int t = order[p];
                string? previous = p == 0 ? null : c[order[p - 1]];
                if (previous is null)
                {
                    string f = graph.Sigmoid(fs[t]);
                    c[t] = graph.Sub(zs[t], graph.Mul(f, zs[t]));
                }
                else
                {
                    string f = graph.Sigmoid(graph.Add(fs[t], graph.Mul(weights.ForgetCellWeight, previous)));
                    c[t] = graph.Add(graph.Mul(f, graph.Sub(previous, zs[t])), zs[t]);
                }
                if (!lastStepOnly || t == lastVisited)
                    r[t] = graph.Sigmoid(previous is null ? rs[t] : graph.Add(rs[t], graph.Mul(weights.ResetCellWeight!, previous)));
            }
            reset = lastStepOnly ? r[lastVisited] : graph.Concat(r, axis: 0);
        }
        cells = lastStepOnly ? c[lastVisited] : graph.Concat(c, axis: 0);

        string g = activation == SruActivation.Tanh ? graph.Op("Tanh", cells) : cells;
        if (skip is null)
            return graph.Mul(reset, g);
        // r⊙g(c) + (1 − r)⊙s = s + r⊙(g(c) − s)
        string s = lastStepOnly ? graph.Slice(skip, 0, lastVisited) : skip;
        return graph.Add(s, graph.Mul(reset, graph.Sub(g, s)));
    }

    /// <summary>Layer normalisation over the last axis, as torch's (biased variance, ε inside the square root).</summary>
    private static string LayerNorm(OnnxGraph graph, string x, float[] gamma, float[] beta)
    {
        static Action<OnnxNode> LastAxis() => node =>
        {
            node.AddAttribute("axes", new long[] { -1 });
            node.AddAttribute("keepdims", 1L);
        };
        string centred = graph.Sub(x, graph.Op("ReduceMean", new[] { x }, LastAxis()));
        string variance = graph.Op("ReduceMean", new[] { graph.Mul(centred, centred) }, LastAxis());
        string deviation = graph.Op("Sqrt", graph.Add(variance, graph.Scalar("epsilon", (float)SruLayer.LayerNormEpsilon)));
        string normalised = graph.Op("Div", centred, deviation);
        return graph.Add(graph.Mul(normalised, graph.Constant("layer_norm.weight", gamma, gamma.Length)),
            graph.Constant("layer_norm.bias", beta, beta.Length));
    }
}
