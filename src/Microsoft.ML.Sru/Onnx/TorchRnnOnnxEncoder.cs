using Microsoft.ML.Sru.Model;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Onnx;

/// <summary>
/// Writes an LSTM or GRU encoder (TorchSharp's <c>nn.LSTM</c>/<c>nn.GRU</c>) as ONNX's own LSTM and GRU operators, one
/// per layer. The weights are the same numbers in another layout: torch stacks the LSTM's gates as (i, f, g, o) and the
/// GRU's as (r, z, n); ONNX as (i, o, f, c) and (z, r, h), with the input and recurrent biases side by side. torch's GRU
/// applies r after the recurrent product (n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn))): ONNX's linear_before_reset = 1.
/// </summary>
internal static class TorchRnnOnnxEncoder
{
    /// <summary>torch's gate blocks in ONNX's order: LSTM (i, o, f, c) ← (i, f, g, o); GRU (z, r, h) ← (r, z, n).</summary>
    private static readonly int[] LstmGates = { 0, 3, 1, 2 };
    private static readonly int[] GruGates = { 1, 0, 2 };

    /// <summary>The last layer's last-step output [N, H] from time-major <paramref name="sequences"/> [T, N, S].</summary>
    public static string Write(OnnxGraph graph, NetworkSpec spec, IReadOnlyList<TorchRnnEncoder.LayerWeights> layers, string sequences)
    {
        bool lstm = spec.Cell == RecurrentCellKind.Lstm;
        int[] gates = lstm ? LstmGates : GruGates;
        // The module's name prefixes the initializers' names only: the weights come from the layers themselves.
        string op = lstm ? "LSTM" : "GRU", module = lstm ? "encoder.lstm." : "encoder.gru.";
        int hidden = spec.HiddenSize;
        string x = sequences;
        for (int l = 0; l < spec.NumberOfLayers; l++)
        {
            float[] Reordered(Tensor tensor) => Reorder(TensorValues.ToArray(tensor), gates);
            float[] inputWeights = Reordered(layers[l].InputWeights), recurrentWeights = Reordered(layers[l].HiddenWeights);
            float[] biases = Reordered(layers[l].InputBias).Concat(Reordered(layers[l].HiddenBias)).ToArray();
            int input = inputWeights.Length / (gates.Length * hidden);
            string[] inputs =
            {
                x,
                graph.Constant($"{module}W_l{l}", inputWeights, 1, gates.Length * hidden, input),
                graph.Constant($"{module}R_l{l}", recurrentWeights, 1, gates.Length * hidden, hidden),
                graph.Constant($"{module}B_l{l}", biases, 1, 2 * gates.Length * hidden),
            };
            // Y [T, 1, N, H] feeds the next layer; the last layer's Y_h [1, N, H] is the summary.
            bool last = l == spec.NumberOfLayers - 1;
            string output = graph.Variable(last ? op + "_Y_h" : op + "_Y");
            var node = graph.Node(op, inputs, last ? new[] { "", output } : new[] { output });
            node.AddAttribute("hidden_size", (long)hidden);
            if (!lstm)
                node.AddAttribute("linear_before_reset", 1L);
            x = last ? graph.Reshape(output, -1, hidden) : graph.Reshape(output, spec.SequenceLength, -1, hidden);
        }
        return x;
    }

    /// <summary>Rows of H-wide gate blocks (a [G·H, …] matrix or a [G·H] bias) put into ONNX's gate order.</summary>
    private static float[] Reorder(float[] values, int[] gates)
    {
        int block = values.Length / gates.Length;
        var result = new float[values.Length];
        for (int g = 0; g < gates.Length; g++)
            values.AsSpan(gates[g] * block, block).CopyTo(result.AsSpan(g * block, block));
        return result;
    }
}
