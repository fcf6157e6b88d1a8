namespace Sru.Benchmarks;

/// <summary>
/// The few ONNX messages (onnx.proto, proto2) read and written here, by field number: ModelProto, GraphProto,
/// NodeProto, AttributeProto, ValueInfoProto/TypeProto and TensorProto.
/// </summary>
internal static class OnnxProto
{
    // ModelProto
    public const int ModelGraph = 7, ModelOpsetImport = 8;
    // OperatorSetIdProto
    public const int OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    public const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    public const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    // AttributeProto and its AttributeType values
    public const int AttributeName = 1, AttributeInt = 3, AttributeGraph = 6, AttributeInts = 8, AttributeType = 20;
    public const int TypeInt = 2, TypeGraph = 5, TypeInts = 7;
    // ValueInfoProto, TypeProto, TypeProto.Tensor
    public const int ValueInfoName = 1, ValueInfoType = 2, TypeTensor = 1, TensorElementType = 1;
    // TensorProto and its DataType values
    public const int TensorDims = 1, TensorDataType = 2, TensorInt64Data = 7, TensorName = 8;
    public const int Float = 1, Int64 = 7;

    /// <summary>A node read from a graph: its wiring, and its bytes to write back when it is kept.</summary>
    public sealed record Node(string OpType, string Name, string[] Inputs, string[] Outputs, List<ProtoField> Attributes, ReadOnlyMemory<byte> Bytes)
    {
        public static Node Read(ReadOnlyMemory<byte> bytes)
        {
            var fields = ProtoField.Read(bytes);
            string Single(int field) => fields.Where(f => f.Field == field).Select(f => f.Text).FirstOrDefault() ?? "";
            return new Node(Single(NodeOpType), Single(NodeName),
                fields.Where(f => f.Field == NodeInput).Select(f => f.Text).ToArray(),
                fields.Where(f => f.Field == NodeOutput).Select(f => f.Text).ToArray(),
                fields.Where(f => f.Field == NodeAttribute).ToList(), bytes);
        }

        /// <summary>
        /// The integer attribute <paramref name="name"/>, or null. An attribute without its value is 0: ML.NET's
        /// converter writes ONNX's messages with proto3 classes, which leave out a field that has its default.
        /// </summary>
        public long? IntAttribute(string name)
        {
            foreach (var attribute in Attributes)
            {
                var fields = ProtoField.Read(attribute.Bytes);
                if (fields.Any(f => f.Field == AttributeName && f.Text == name))
                    return fields.Where(f => f.Field == AttributeInt).Select(f => unchecked((long)f.Number)).FirstOrDefault();
            }
            return null;
        }
    }

    public static ProtoWriter NewNode(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs)
            node.String(NodeInput, input);
        foreach (string output in outputs)
            node.String(NodeOutput, output);
        node.String(NodeName, name).String(NodeOpType, opType);
        foreach (var attribute in attributes)
            node.Message(NodeAttribute, attribute);
        return node;
    }

    public static ProtoWriter IntAttribute(string name, long value) =>
        new ProtoWriter().String(AttributeName, name).Int64(AttributeInt, value).Varint(AttributeType, TypeInt);

    public static ProtoWriter IntsAttribute(string name, params long[] values)
    {
        var attribute = new ProtoWriter().String(AttributeName, name);
        foreach (long value in values)
            attribute.Int64(AttributeInts, value);
        return attribute.Varint(AttributeType, TypeInts);
    }

    public static ProtoWriter GraphAttribute(string name, ProtoWriter graph) =>
        new ProtoWriter().String(AttributeName, name).Message(AttributeGraph, graph).Varint(AttributeType, TypeGraph);

    /// <summary>A float tensor of unknown shape, as a subgraph's input or output.</summary>
    public static ProtoWriter FloatValue(string name) =>
        new ProtoWriter().String(ValueInfoName, name)
            .Message(ValueInfoType, new ProtoWriter().Message(TypeTensor, new ProtoWriter().Varint(TensorElementType, Float)));

    /// <summary>A one-dimensional int64 initializer.</summary>
    public static ProtoWriter Int64Tensor(string name, params long[] values)
    {
        var tensor = new ProtoWriter().Int64(TensorDims, values.Length).Varint(TensorDataType, Int64);
        foreach (long value in values)
            tensor.Int64(TensorInt64Data, value);
        return tensor.String(TensorName, name);
    }
}
