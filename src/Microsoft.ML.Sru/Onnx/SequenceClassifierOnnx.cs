using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Sru.Model;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Onnx;

/// <summary>
/// Writes a <see cref="SequenceClassifier"/> into ML.NET's ONNX export as its multiclass models do: from the feature
/// variable [N, T·S] to Score (the softmax probabilities Transform gives) and PredictedLabel (the key, 1 + the index
/// of the highest score, as uint32). Between them: the rows as time-major sequences [T, N, S], the encoder, the head.
/// Only operators whose meaning is the same in every opset ML.NET's converter writes (9 to 12) are used, so the model is
/// valid whichever the caller asks for.
/// </summary>
internal static class SequenceClassifierOnnx
{
    /// <summary>
    /// Writes the input scaling and the network; <paramref name="outputNames"/> are ML.NET's: PredictedLabel, then Score.
    /// </summary>
    public static void Write(OnnxContext context, SequenceClassifier network, InputScaling scaling, string[] outputNames, string featureVariable)
    {
        if (outputNames.Length != 2)
            throw new InvalidOperationException($"ML.NET's ONNX export asked the recurrent classifier for {outputNames.Length} outputs; it writes two, PredictedLabel and Score.");
        NetworkSpec spec = network.Spec;
        var graph = new OnnxGraph(context, spec.Cell.ToString().ToUpperInvariant() + ".");
        Dictionary<string, Tensor> state = network.state_dict();

        string steps = graph.Reshape(featureVariable, -1, spec.SequenceLength, spec.StepSize);
        if (!scaling.IsIdentity)
        {
            // As InputScaling.Apply: per value position of a step, then clipped. Min and Max rather than Clip, whose
            // bounds moved from attributes to inputs in opset 11.
            string scaled = graph.Mul(graph.Sub(steps, graph.Constant("input.offsets", scaling.Offsets, spec.StepSize)),
                graph.Constant("input.factors", scaling.Factors, spec.StepSize));
            steps = graph.Op("Max", graph.Op("Min", scaled, graph.Scalar("input.max", InputScaling.MaxNormalizedValue)),
                graph.Scalar("input.min", -InputScaling.MaxNormalizedValue));
        }
        string sequences = graph.Op("Transpose", new[] { steps },
            node => node.AddAttribute("perm", new long[] { 1, 0, 2 }));
        string summary = spec.Cell == RecurrentCellKind.Sru
            ? SruOnnxEncoder.Write(graph, spec, network.SruLayers.ToList(), sequences)
            : TorchRnnOnnxEncoder.Write(graph, spec, network.RnnLayers, sequences);

        string logits = graph.Op("Gemm",
            new[]
            {
                summary,
                graph.Constant("head.weight", TensorValues.ToArray(state["head.weight"]), spec.ClassCount, spec.OutputWidth),
                graph.Constant("head.bias", TensorValues.ToArray(state["head.bias"]), spec.ClassCount),
            },
            node => node.AddAttribute("transB", 1L));
        graph.Node("Softmax", new[] { logits }, new[] { outputNames[1] }).AddAttribute("axis", 1L);

        string index = graph.Op("ArgMax", new[] { outputNames[1] }, node =>
        {
            node.AddAttribute("axis", 1L);
            node.AddAttribute("keepdims", 1L);
        });
        graph.Node("Cast", new[] { graph.Add(index, graph.Int64s("one", 1)) }, new[] { outputNames[0] }).AddAttribute("to", typeof(uint));
    }
}
