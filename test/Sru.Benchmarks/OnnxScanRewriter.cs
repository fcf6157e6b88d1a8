using static Sru.Benchmarks.OnnxProto;

namespace Sru.Benchmarks;

/// <summary>
/// Turns the library's exported SRU (2017 form, one direction: the defaults), whose recurrence is unrolled over the T
/// steps, into the same model with each layer's recurrence as one ONNX <c>Scan</c>; every other node, initializer,
/// input and output is kept byte for byte. The unrolled recurrence of a layer (Onnx/SruOnnxEncoder) is: f [T, N, H] and
/// (1 − f)⊙z [T, N, H] computed for all steps, each split along time (two <c>Split</c>s with T outputs), then
/// c_0 = blend_0 and c_t = <c>Add</c>(<c>Mul</c>(f_t, c_{t−1}), blend_t), then <c>Concat</c> of the c_t along time, or
/// for the last layer c_{T−1} alone. That becomes <c>Scan</c> over f and blend along axis 0 with c as the state, from
/// c = 0 (so the first step gives blend_0 as before), whose body is the same <c>Mul</c> and <c>Add</c>: the stacked
/// c_t replace the Concat, the final state (given back its time axis) replaces c_{T−1}.
/// </summary>
internal static class OnnxScanRewriter
{
    /// <summary>The rewritten model and how many layers' recurrences became a Scan.</summary>
    public static (byte[] Model, int Layers) Rewrite(byte[] model, int steps)
    {
        var modelFields = ProtoField.Read(model);
        long opset = modelFields.Where(f => f.Field == ModelOpsetImport).Select(f => ProtoField.Read(f.Bytes))
            .Where(o => o.All(x => x.Field != OpsetDomain || x.Text.Length == 0))
            .Select(o => (long)o.Single(x => x.Field == OpsetVersion).Number).Single();
        var graphFields = ProtoField.Read(modelFields.Single(f => f.Field == ModelGraph).Bytes);
        var nodes = graphFields.Where(f => f.Field == GraphNode).Select(f => Node.Read(f.Bytes)).ToList();
        var producer = new Dictionary<string, int>();
        for (int i = 0; i < nodes.Count; i++)
            foreach (string output in nodes[i].Outputs)
                producer[output] = i;
        var consumers = nodes.SelectMany((node, i) => node.Inputs.Select(input => (input, i))).ToLookup(p => p.input, p => p.i);
        bool IsTimeSplit(int i) => nodes[i].OpType == "Split" && nodes[i].Outputs.Length == steps && (nodes[i].IntAttribute("axis") ?? 0) == 0;

        var removed = new HashSet<int>();
        var inserted = new Dictionary<int, List<ProtoWriter>>();
        int layers = 0;
        for (int blendSplit = 0; blendSplit < nodes.Count; blendSplit++)
        {
            if (!IsTimeSplit(blendSplit))
                continue;
            string[] blend = nodes[blendSplit].Outputs;
            // c_1 = Mul(f_1, c_0) + blend_1 with c_0 = blend_0: the split whose output 0 is read that way is blend's.
            int FindStep(string previous, string? forget) => consumers[previous].DefaultIfEmpty(-1).FirstOrDefault(k =>
                k >= 0 && nodes[k].OpType == "Mul" && nodes[k].Inputs.Length == 2 && nodes[k].Inputs[1] == previous &&
                (forget is null || nodes[k].Inputs[0] == forget), -1);
            int first = FindStep(blend[0], null);
            if (first < 0 || !producer.TryGetValue(nodes[first].Inputs[0], out int forgetSplit) || !IsTimeSplit(forgetSplit)
                || nodes[forgetSplit].Outputs[1] != nodes[first].Inputs[0])
                continue;
            string[] forget = nodes[forgetSplit].Outputs;

            var chain = new List<int>();
            var cells = new List<string> { blend[0] };
            for (int p = 1; p < steps; p++)
            {
                int mul = FindStep(cells[^1], forget[p]);
                int add = mul < 0 ? -1 : consumers[nodes[mul].Outputs[0]].DefaultIfEmpty(-1).FirstOrDefault(k =>
                    k >= 0 && nodes[k].OpType == "Add" && nodes[k].Inputs.SequenceEqual(new[] { nodes[mul].Outputs[0], blend[p] }), -1);
                if (add < 0)
                    throw new InvalidOperationException($"Layer {layers}: step {p} of the unrolled recurrence is not Add(Mul(f_t, c_t-1), blend_t); only the 2017 form with one direction is rewritten.");
                chain.Add(mul);
                chain.Add(add);
                cells.Add(nodes[add].Outputs[0]);
            }
            int concat = consumers[cells[0]].DefaultIfEmpty(-1).FirstOrDefault(k =>
                k >= 0 && nodes[k].OpType == "Concat" && nodes[k].Inputs.SequenceEqual(cells) && nodes[k].IntAttribute("axis") == 0, -1);

            // Nothing outside the recurrence may read what is removed.
            var removing = new HashSet<int>(chain) { blendSplit, forgetSplit };
            if (concat >= 0)
                removing.Add(concat);
            var internalValues = forget.Concat(blend).Concat(concat >= 0 ? cells : cells.Take(steps - 1));
            foreach (string value in internalValues)
                if (consumers[value].FirstOrDefault(k => !removing.Contains(k), -1) is int reader and >= 0)
                    throw new InvalidOperationException($"Layer {layers}: {value}, a value of the unrolled recurrence, is read by {nodes[reader].OpType} {nodes[reader].Name} outside it.");
            removed.UnionWith(removing);

            string prefix = $"SCAN{layers}.";
            string forgetInput = nodes[forgetSplit].Inputs[0], blendInput = nodes[blendSplit].Inputs[0];
            var body = new ProtoWriter()
                .Message(GraphNode, NewNode("Mul", prefix + "step.Mul", new[] { prefix + "f_t", prefix + "c_previous" }, new[] { prefix + "fc" }))
                .Message(GraphNode, NewNode("Add", prefix + "step.Add", new[] { prefix + "fc", prefix + "blend_t" }, new[] { prefix + "c_t" }));
            if (concat >= 0)
                body.Message(GraphNode, NewNode("Identity", prefix + "step.Identity", new[] { prefix + "c_t" }, new[] { prefix + "c_t_out" }));
            body.String(GraphName, prefix + "step");
            foreach (string input in new[] { "c_previous", "f_t", "blend_t" })
                body.Message(GraphInput, FloatValue(prefix + input));
            body.Message(GraphOutput, FloatValue(prefix + "c_t"));
            if (concat >= 0)
                body.Message(GraphOutput, FloatValue(prefix + "c_t_out"));

            // c = 0 [N, H], N taken from the data.
            var added = new List<ProtoWriter>
            {
                NewNode("Shape", prefix + "Shape", new[] { blendInput }, new[] { prefix + "shape" }),
                NewNode("Gather", prefix + "Gather", new[] { prefix + "shape", "SCAN.batch_and_hidden_axes" }, new[] { prefix + "state_shape" },
                    IntAttribute("axis", 0)),
                NewNode("ConstantOfShape", prefix + "ConstantOfShape", new[] { prefix + "state_shape" }, new[] { prefix + "c_initial" }),
                NewNode("Scan", prefix + "Scan", new[] { prefix + "c_initial", forgetInput, blendInput },
                    concat >= 0 ? new[] { prefix + "c_final", nodes[concat].Outputs[0] } : new[] { prefix + "c_final" },
                    GraphAttribute("body", body), IntAttribute("num_scan_inputs", 2)),
            };
            if (concat < 0)
            {
                // The last layer reads c_{T-1} alone, [1, N, H].
                added.Add(opset >= 13
                    ? NewNode("Unsqueeze", prefix + "Unsqueeze", new[] { prefix + "c_final", "SCAN.time_axis" }, new[] { cells[^1] })
                    : NewNode("Unsqueeze", prefix + "Unsqueeze", new[] { prefix + "c_final" }, new[] { cells[^1] }, IntsAttribute("axes", 0)));
            }
            inserted[Math.Max(blendSplit, forgetSplit)] = added;
            layers++;
        }

        var graph = new ProtoWriter();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (inserted.TryGetValue(i, out var added))
                foreach (var node in added)
                    graph.Message(GraphNode, node);
            if (!removed.Contains(i))
                graph.Bytes(GraphNode, nodes[i].Bytes.Span);
        }
        foreach (var field in graphFields.Where(f => f.Field != GraphNode))
            graph.Copy(field);
        graph.Message(GraphInitializer, Int64Tensor("SCAN.batch_and_hidden_axes", 1, 2));
        if (opset >= 13)
            graph.Message(GraphInitializer, Int64Tensor("SCAN.time_axis", 0));

        var result = new ProtoWriter();
        foreach (var field in modelFields)
        {
            if (field.Field == ModelGraph)
                result.Message(ModelGraph, graph);
            else
                result.Copy(field);
        }
        return (result.ToArray(), layers);
    }

    /// <summary>The number of nodes at the top level of a model's graph (a Scan's body counts as its one node).</summary>
    public static int NodeCount(byte[] model) =>
        ProtoField.Read(ProtoField.Read(model).Single(f => f.Field == ModelGraph).Bytes).Count(f => f.Field == GraphNode);
}
