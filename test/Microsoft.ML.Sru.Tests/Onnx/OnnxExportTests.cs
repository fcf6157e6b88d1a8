using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Onnx;

/// <summary>
/// ConvertToOnnx on tiny networks with random weights (every parameter drawn, so that a swapped gate, bias or direction
/// shows): the whole pipeline MapValueToKey → classifier → MapKeyToValue, and binary and regression models of the same
/// networks, run in ONNX Runtime and through ApplyOnnxModel, give Transform's PredictedLabel on every row and its Score
/// (and Probability) within 1e-4.
/// </summary>
[TestClass]
public sealed class OnnxExportTests
{
    private const int Steps = 5;
    private const int StepSize = 6;
    private const int Hidden = 8;
    private const int Classes = 4;
    private const int RowCount = 70;

    public TestContext TestContext { get; set; } = null!;

    public sealed class Row<TLabel>
    {
        public TLabel Label { get; set; } = default!;

        public float[] Features { get; set; } = Array.Empty<float>();
    }

    /// <summary>
    /// SRU options alone and together (inputs of 6 and outputs of 8 or 16: layer 0 has U's skip block, later ones the
    /// input), GRU, LSTM. (The LSTM's Transform is the managed scorer's, the LSTM equations; libtorch's no-grad LSTM,
    /// which scored it before, gives other numbers for these networks: see <see cref="Lstm_export_gives_the_LSTM_equations_scores"/>.)
    /// </summary>
    public static IEnumerable<object[]> Networks()
    {
        SruCellSpec classic = SruCellSpec.Classic;
        yield return ["SRU 2017 form (defaults), 2 layers", Sru(classic)];
        yield return ["SRU one layer", Sru(classic, layers: 1)];
        yield return ["SRU without highway", Sru(classic with { UseHighway = false })];
        yield return ["SRU bidirectional", Sru(classic with { Bidirectional = true })];
        yield return ["SRU cell-state weights", Sru(classic with { UseCellStateWeights = true })];
        yield return ["SRU identity activation", Sru(classic with { Activation = SruActivation.Identity })];
        yield return ["SRU rescale, highway bias -1", Sru(classic with { Rescale = true, HighwayBias = -1f })];
        yield return ["SRU layer norm before", Sru(classic with { LayerNorm = SruLayerNorm.BeforeRecurrence })];
        yield return ["SRU layer norm after", Sru(classic with { LayerNorm = SruLayerNorm.AfterRecurrence })];
        yield return ["SRU projection 3", Sru(classic with { ProjectionSize = 3 })];
        yield return ["SRU bidirectional, cell-state weights, 3 layers", Sru(classic with { Bidirectional = true, UseCellStateWeights = true }, layers: 3)];
        yield return ["SRU official 2.x form: everything, 3 layers", Sru(AllOptions, layers: 3)];
        yield return ["SRU everything but bidirectional, layer norm before", Sru(AllOptions with { Bidirectional = false, LayerNorm = SruLayerNorm.BeforeRecurrence }, layers: 3)];
        yield return ["GRU, 2 layers", new NetworkSpec(RecurrentCellKind.Gru, Steps, StepSize, Hidden, 2, Classes)];
        yield return ["GRU, 1 layer", new NetworkSpec(RecurrentCellKind.Gru, Steps, StepSize, Hidden, 1, Classes)];
        yield return ["LSTM, 2 layers", new NetworkSpec(RecurrentCellKind.Lstm, Steps, StepSize, Hidden, 2, Classes)];
        yield return ["LSTM, 1 layer", new NetworkSpec(RecurrentCellKind.Lstm, Steps, StepSize, Hidden, 1, Classes)];
    }

    /// <summary>Every network of <see cref="Networks"/> with a binary head and with a regression head.</summary>
    public static IEnumerable<object[]> BinaryAndRegressionNetworks() =>
        Networks().SelectMany(network => new[] { RecurrentTaskKind.BinaryClassification, RecurrentTaskKind.Regression }
            .Select(task => new object[] { $"{task}: {network[0]}", ForTask((NetworkSpec)network[1], task) }));

    private static NetworkSpec ForTask(NetworkSpec spec, RecurrentTaskKind task) => task switch
    {
        RecurrentTaskKind.BinaryClassification => spec with { Task = task, ClassCount = 2 },
        RecurrentTaskKind.Regression => spec with { Task = task, ClassCount = 1 },
        _ => spec,
    };

    private static readonly SruCellSpec AllOptions = new(true, true, true, SruActivation.Identity, -1f, true, 0.2f, SruLayerNorm.AfterRecurrence, 3);

    private static NetworkSpec Sru(SruCellSpec cell, int layers = 2) =>
        new(RecurrentCellKind.Sru, Steps, StepSize, Hidden, layers, Classes) { SruCell = cell };

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void Exported_pipeline_gives_the_Transform_scores_in_ONNX_Runtime_and_through_ApplyOnnxModel(string name, object network)
    {
        var spec = (NetworkSpec)network;
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, seed: 3);
        using var random = RandomNetwork(spec, seed: name.Length);
        ITransformer pipeline = Pipeline(ml, random, data);
        float largest = OnnxParity.AssertMatchesTransform(ml, pipeline, data);
        TestContext.WriteLine($"{name}: largest score difference {largest:G3}");
    }

    /// <summary>
    /// A binary model exports Score (the logit), Probability (its sigmoid) and PredictedLabel (ML.NET's binary scorer's
    /// Score &gt; 0), a regression model Score; both from the classifier alone, as ML.NET's scorers for those tasks are.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(BinaryAndRegressionNetworks))]
    public void Exported_binary_or_regression_model_gives_the_Transform_columns(string name, object network)
    {
        var spec = (NetworkSpec)network;
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, seed: 3, spec.Task);
        using var random = RandomNetwork(spec, seed: name.Length);
        if (spec.Task == RecurrentTaskKind.BinaryClassification)
            SplitClasses(ml, random, data);
        using var model = Classifier(ml, random, data);
        float largest = OnnxParity.AssertMatchesTransform(ml, model, data);
        TestContext.WriteLine($"{name}: largest score difference {largest:G3}");
    }

    /// <summary>
    /// The model's input scaling goes into the graph before the network: fitted on values a fifth as wide as the data,
    /// so that the data's extremes also reach the clip at ±<see cref="InputScaling.MaxNormalizedValue"/>.
    /// </summary>
    [TestMethod]
    [DataRow(InputNormalization.Global, RecurrentTaskKind.MulticlassClassification)]
    [DataRow(InputNormalization.PerStepPosition, RecurrentTaskKind.MulticlassClassification)]
    [DataRow(InputNormalization.Global, RecurrentTaskKind.BinaryClassification)]
    [DataRow(InputNormalization.PerStepPosition, RecurrentTaskKind.Regression)]
    public void Input_scaling_exports_with_the_network(InputNormalization kind, object taskKind)
    {
        var task = (RecurrentTaskKind)taskKind;
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, seed: 3, task);
        float[] narrow = data.GetColumn<float[]>("Features").SelectMany(row => row.Select(v => v / 5)).ToArray();
        var scaling = InputScaling.Fit(kind, narrow, RowCount, StepSize);
        Assert.IsFalse(scaling.IsIdentity);
        using var random = RandomNetwork(ForTask(Sru(SruCellSpec.Classic), task), seed: 4);
        float largest = OnnxParity.AssertMatchesTransform(ml, ModelOf(ml, random, data, scaling), data);
        TestContext.WriteLine($"{kind}, {task}: largest score difference {largest:G3}");
    }

    /// <summary>Each task's outputs, too, are written with operators of the same meaning in opsets 9 to 12.</summary>
    [TestMethod]
    [DataRow(9)]
    [DataRow(10)]
    [DataRow(11)]
    [DataRow(12)]
    public void Every_opset_the_converter_writes_gives_the_same_scores(int opset)
    {
        var ml = new MLContext(seed: 1);
        foreach (RecurrentTaskKind task in Enum.GetValues<RecurrentTaskKind>())
        {
            IDataView data = Data(ml, seed: 4, task);
            foreach (NetworkSpec spec in new[] { Sru(AllOptions, layers: 2), Sru(SruCellSpec.Classic with { UseCellStateWeights = true, LayerNorm = SruLayerNorm.BeforeRecurrence }),
                new NetworkSpec(RecurrentCellKind.Gru, Steps, StepSize, Hidden, 2, Classes) })
            {
                using var network = RandomNetwork(ForTask(spec, task), seed: opset);
                if (task == RecurrentTaskKind.BinaryClassification)
                    SplitClasses(ml, network, data);
                OnnxParity.AssertMatchesTransform(ml, ModelOf(ml, network, data), data, opset);
            }
        }
    }

    /// <summary>
    /// The exported LSTM against the LSTM equations as libtorch computes them with autograd on (as in training). Under
    /// no_grad, libtorch 2.x's CPU LSTM (TorchSharp 0.107) gives other numbers for the same weights on this machine
    /// (docs/onnx.md has the measurement); Transform no longer runs it (the managed scorer computes the equations).
    /// </summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void Lstm_export_gives_the_LSTM_equations_scores(int layers)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = Data(ml, seed: 6);
        using var network = RandomNetwork(new NetworkSpec(RecurrentCellKind.Lstm, Steps, StepSize, Hidden, layers, Classes), seed: layers);
        var outputs = OnnxParity.RunInOnnxRuntime(OnnxParity.Export(ml, Pipeline(ml, network, data), data), data);
        float[][] scores = outputs["Score"], labels = outputs["PredictedLabel"];

        float[] features = data.GetColumn<float[]>("Features").SelectMany(row => row).ToArray();
        using var input = tensor(features, new long[] { RowCount, Steps * StepSize });
        using var probabilities = nn.functional.softmax(network.forward(input), 1);
        float[] expected = probabilities.data<float>().ToArray();
        float largest = 0;
        for (int row = 0; row < RowCount; row++)
        {
            var rowScores = expected.AsSpan(row * Classes, Classes).ToArray();
            uint label = (uint)(10 * (1 + Array.IndexOf(rowScores, rowScores.Max())));
            Assert.AreEqual(label, labels[row].Single(), $"PredictedLabel of row {row}");
            for (int c = 0; c < Classes; c++)
                largest = Math.Max(largest, Math.Abs(scores[row][c] - rowScores[c]));
        }
        Assert.IsLessThanOrEqualTo(OnnxParity.Tolerance, largest);
    }

    [TestMethod]
    public void The_classifier_alone_exports_a_model_that_reads_only_the_data_columns()
    {
        // Before the export was written, the ONNX model took Score and PredictedLabel as inputs.
        var ml = new MLContext(seed: 1);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Data(ml, seed: 5)).Transform(Data(ml, seed: 5));
        using var network = RandomNetwork(Sru(SruCellSpec.Classic), seed: 5);
        using var classifier = Classifier(ml, network, keyed);

        using var session = new InferenceSession(OnnxParity.Export(ml, classifier, keyed));
        CollectionAssert.AreEquivalent(new[] { "Label", "Features" }, session.InputMetadata.Keys.ToArray());
        CollectionAssert.IsSubsetOf(new[] { "Score.output", "PredictedLabel.output" }, session.OutputMetadata.Keys.ToArray());
        OnnxParity.AssertMatchesTransform(ml, classifier, keyed);
    }

    /// <summary>
    /// Rows of random features with a label of the task's type: 10, 20, … for multiclass (so that MapKeyToValue has values
    /// to map back to), alternating Booleans, Singles from 100 on.
    /// </summary>
    private static IDataView Data(MLContext ml, int seed, RecurrentTaskKind task = RecurrentTaskKind.MulticlassClassification) => task switch
    {
        RecurrentTaskKind.BinaryClassification => Data(ml, seed, i => i % 2 == 0),
        RecurrentTaskKind.Regression => Data(ml, seed, i => 100f + i),
        _ => Data(ml, seed, i => (uint)(10 * (1 + i % Classes))),
    };

    private static IDataView Data<TLabel>(MLContext ml, int seed, Func<int, TLabel> label)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, RowCount).Select(i => new Row<TLabel>
        {
            Label = label(i),
            Features = Enumerable.Range(0, Steps * StepSize).Select(_ => (float)random.NextDouble() * 2 - 0.5f).ToArray(),
        });
        var schema = SchemaDefinition.Create(typeof(Row<TLabel>));
        schema[nameof(Row<TLabel>.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Steps * StepSize);
        return ml.Data.LoadFromEnumerable(rows.ToList(), schema);
    }

    /// <summary>A network of <paramref name="spec"/> with every parameter drawn at random (layer norm's γ around 1).</summary>
    private static SequenceClassifier RandomNetwork(NetworkSpec spec, int seed)
    {
        torch.manual_seed(seed);
        var network = spec.Build();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in network.named_parameters())
        {
            using var noise = randn(parameter.shape) * 0.5;
            if (name.Contains("layer_norm.weight"))
                parameter.copy_(noise + 1);
            else
                parameter.copy_(noise);
        }
        return network;
    }

    /// <summary>The model of <paramref name="network"/>'s task over a copy of its weights, bound to <paramref name="keyed"/>'s schema.</summary>
    /// <summary>
    /// Shifts a binary network's head bias so that Transform predicts true for half of <paramref name="data"/>'s rows: the
    /// boundary half-way between the two middle scores, so that PredictedLabel is compared on both classes, no row at 0.
    /// </summary>
    private static void SplitClasses(MLContext ml, SequenceClassifier network, IDataView data)
    {
        using var model = Classifier(ml, network, data);
        float[] scores = model.Transform(data).GetColumn<float>("Score").Order().ToArray();
        network.RescaleHead(1, -(scores[RowCount / 2 - 1] + scores[RowCount / 2]) / 2);
        using var shifted = Classifier(ml, network, data);
        Assert.AreEqual(RowCount / 2, shifted.Transform(data).GetColumn<bool>("PredictedLabel").Count(label => label), "rows predicted true");
    }

    private static RecurrentPredictionTransformer Classifier(MLContext ml, SequenceClassifier network, IDataView keyed, InputScaling? scaling = null)
    {
        IHostEnvironment env = ml;
        // The transformer owns the model, the model the network: a copy keeps the caller's network for its own disposal.
        var copy = network.Spec.Build();
        using (no_grad())
        {
            var source = network.state_dict();
            foreach (var (key, tensor) in copy.state_dict())
                tensor.copy_(source[key]);
        }
        return new RecurrentPredictionTransformer(env, RecurrentModelParameters.Create(env, copy, scaling ?? InputScaling.Identity(network.Spec.StepSize), SequenceInput.Fixed(network.Spec.SequenceLength, network.Spec.StepSize)), keyed.Schema, "Features", "Label");
    }

    /// <summary>A multiclass network in <see cref="Pipeline"/>; a binary or regression one alone, as those scorers need no key mapping.</summary>
    private static ITransformer ModelOf(MLContext ml, SequenceClassifier network, IDataView data, InputScaling? scaling = null) =>
        network.Spec.Task == RecurrentTaskKind.MulticlassClassification ? Pipeline(ml, network, data, scaling) : Classifier(ml, network, data, scaling);

    /// <summary>MapValueToKey → the classifier → MapKeyToValue, fitted on <paramref name="data"/>.</summary>
    private static ITransformer Pipeline(MLContext ml, SequenceClassifier network, IDataView data, InputScaling? scaling = null)
    {
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
        IDataView keyed = toKey.Transform(data);
        var classifier = Classifier(ml, network, keyed, scaling);
        var toValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(keyed));
        return new TransformerChain<ITransformer>(toKey, classifier, toValue);
    }
}
