// Fits an SRU on synthetic sequences, saves it, loads it in a fresh MLContext and predicts with a
// PredictionEngine. A row's class is the step (0, 1 or 2) that holds its marker, so only a model that
// reads the steps in order can tell the classes apart. PackageTests checks the lines printed here.
// The app also references Sru.MLNet.Datasets: LoadMnist is bound, not called (a call would fetch MNIST).
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;

Console.WriteLine($"MLNET {typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}");

Func<DataOperationsCatalog, MnistSplit, string?, MnistVariant, Action<string>?, CancellationToken, IDataView> loadMnist = MnistCatalog.LoadMnist;
Console.WriteLine($"MNIST-API {loadMnist.Method.DeclaringType!.Assembly.GetName().Name}");

string modelPath = Path.Combine(args.Length > 0 ? args[0] : Path.GetTempPath(), "sru-consumer-model.zip");
var random = new Random(7);

var ml = new MLContext(seed: 1);
IDataView train = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 900).Select(i => Row.Make((uint)(i % 3), random)));
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options
    {
        SequenceLength = Row.Steps,
        HiddenSize = 16,
        NumberOfLayers = 1,
        MaxEpoch = 15,
        LearningRateDecay = 0.9f,
        LearningRate = 0.02f,
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
ITransformer model = pipeline.Fit(train);
ml.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"SAVED {new FileInfo(modelPath).Length} bytes");

var fresh = new MLContext(seed: 2);
ITransformer loaded = fresh.Model.Load(modelPath, out _);
var engine = fresh.Model.CreatePredictionEngine<Row, Prediction>(loaded);
int correct = 0, total = 60;
for (int i = 0; i < total; i++)
{
    Row row = Row.Make((uint)(i % 3), random);
    Prediction prediction = engine.Predict(row);
    if (i < 3)
        Console.WriteLine($"PREDICT label={row.Label} predicted={prediction.PredictedLabel} scores={string.Join(",", prediction.Score.Select(s => s.ToString("F3")))}");
    if (prediction.PredictedLabel == row.Label)
        correct++;
}
Console.WriteLine($"CORRECT {correct}/{total}");

internal sealed class Row
{
    public const int Steps = 4, StepSize = 2;

    [VectorType(Steps * StepSize)]
    public float[] Features { get; set; } = [];

    public uint Label { get; set; }

    public static Row Make(uint label, Random random)
    {
        var features = new float[Steps * StepSize];
        for (int i = 0; i < features.Length; i++)
            features[i] = (float)random.NextDouble() * 0.2f;
        features[label * StepSize] = 1f;
        return new Row { Features = features, Label = label };
    }
}

internal sealed class Prediction
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}
