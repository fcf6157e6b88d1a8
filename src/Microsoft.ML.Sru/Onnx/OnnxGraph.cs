using Microsoft.ML.Model.OnnxConverter;

namespace Microsoft.ML.Sru.Onnx;

/// <summary>
/// Writes nodes into ML.NET's ONNX context with less ceremony: each operator gets a fresh output variable and a unique
/// node name, all under one prefix so that nothing clashes with the pipeline's column names. Intermediate variables
/// carry no declared shape (ONNX Runtime infers them), as ML.NET's converter does for its own.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly OnnxContext _context;
    private readonly string _prefix;

    public OnnxGraph(OnnxContext context, string prefix)
    {
        _context = context;
        _prefix = prefix;
    }

    /// <summary>A new variable, named after <paramref name="name"/>.</summary>
    public string Variable(string name) => _context.AddIntermediateVariable(null, _prefix + name, skip: true);

    /// <summary>Adds a node writing into the given <paramref name="outputs"/> ("" for an optional output left out).</summary>
    public OnnxNode Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs) =>
        _context.CreateNode(opType, inputs, outputs, _context.GetNodeName(_prefix + opType), "");

    /// <summary>Adds a node with one output and returns that output.</summary>
    public string Op(string opType, params string[] inputs) => Op(opType, inputs, null);

    /// <summary>Adds a node with one output, sets its attributes, and returns that output.</summary>
    public string Op(string opType, string[] inputs, Action<OnnxNode>? attributes)
    {
        string output = Variable(opType);
        OnnxNode node = Node(opType, inputs, new[] { output });
        attributes?.Invoke(node);
        return output;
    }

    public string Add(string a, string b) => Op("Add", a, b);

    public string Sub(string a, string b) => Op("Sub", a, b);

    public string Mul(string a, string b) => Op("Mul", a, b);

    public string Sigmoid(string x) => Op("Sigmoid", x);

    /// <summary>Splits <paramref name="input"/> along <paramref name="axis"/> into <paramref name="parts"/> equal parts (the axis is kept).</summary>
    public string[] Split(string input, long axis, int parts)
    {
        if (parts == 1)
            return new[] { input };
        string[] outputs = Enumerable.Range(0, parts).Select(_ => Variable("Split")).ToArray();
        Node("Split", new[] { input }, outputs).AddAttribute("axis", axis);
        return outputs;
    }

    public string Concat(IReadOnlyList<string> inputs, long axis) =>
        inputs.Count == 1 ? inputs[0] : Op("Concat", inputs.ToArray(), node => node.AddAttribute("axis", axis));

    /// <summary>The slice at <paramref name="index"/> along <paramref name="axis"/>, keeping the axis (length 1).</summary>
    public string Slice(string input, long axis, long index) =>
        Op("Gather", new[] { input, Int64s("index", index) }, node => node.AddAttribute("axis", axis));

    /// <summary>The slice at <paramref name="index"/> along <paramref name="axis"/>, dropping the axis.</summary>
    public string Select(string input, long axis, long index) =>
        Op("Gather", new[] { input, _context.AddInitializer(index, _prefix + "index") }, node => node.AddAttribute("axis", axis));

    public string Reshape(string input, params long[] shape) => Op("Reshape", input, Int64s("shape", shape));

    /// <summary>A float tensor of the given shape.</summary>
    public string Constant(string name, float[] values, params long[] dims) => _context.AddInitializer(values, dims, _prefix + name);

    /// <summary>A float scalar.</summary>
    public string Scalar(string name, float value) => _context.AddInitializer(value, _prefix + name);

    /// <summary>A one-dimensional int64 tensor.</summary>
    public string Int64s(string name, params long[] values) => _context.AddInitializer(values, new long[] { values.Length }, _prefix + name);
}
