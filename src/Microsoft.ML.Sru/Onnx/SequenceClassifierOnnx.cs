using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Onnx;

/// <summary>
/// Writes a <see cref="SequenceClassifier"/> into ML.NET's ONNX export as ML.NET's models of its task do: from the feature
/// variable [N, T·S] to the head's outputs [N, head width], and from those to the task's scored columns
/// (<see cref="RecurrentTask.WriteOnnxOutputs"/>): Score and PredictedLabel (multiclass), Score and Probability (binary;
/// ML.NET's scorer adds PredictedLabel), Score (regression). Between them: the rows as time-major sequences [T, N, S], the
/// encoder, the head. Only operators whose meaning is the same in every opset ML.NET's converter writes (9 to 12) are
/// used, so the model is valid whichever the caller asks for.
/// </summary>
internal static class SequenceClassifierOnnx
{
    /// <summary>
    /// Writes the input scaling, the network and <paramref name="task"/>'s outputs into <paramref name="outputNames"/>,
    /// the variables of its <see cref="RecurrentTask.OnnxOutputs"/>.
    /// </summary>
    public static void Write(OnnxContext context, SequenceClassifier network, InputScaling scaling, RecurrentTask task, string[] outputNames, string featureVariable)
    {
        if (outputNames.Length != task.OnnxOutputs.Length)
            throw new InvalidOperationException($"ML.NET's ONNX export asked the recurrent {task.LogName.ToLowerInvariant()} model for {outputNames.Length} outputs; it takes {task.OnnxOutputs.Length}: {string.Join(", ", task.OnnxOutputs)}.");
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

        string headOutputs = graph.Op("Gemm",
            new[]
            {
                summary,
                graph.Constant("head.weight", TensorValues.ToArray(state["head.weight"]), spec.HeadWidth, spec.OutputWidth),
                graph.Constant("head.bias", TensorValues.ToArray(state["head.bias"]), spec.HeadWidth),
            },
            node => node.AddAttribute("transB", 1L));
        task.WriteOnnxOutputs(graph, headOutputs, outputNames);
    }
}
