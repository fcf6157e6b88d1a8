using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;
using Sru.MnistSample;

// Reproduces the blog's run: row-wise MNIST (28 steps of 28 pixels), 2 layers × 128, 3 epochs.
//   dotnet run --project samples/Sru.MnistSample -- [sru|lstm|summary] [--blog] [--epochs N] [--data DIR]
// "scores --model PATH" loads a saved zip and prints the Score column of the first test rows (round-trippable),
// which the tests compare with the scores of the process that trained the model.
var arguments = SampleArguments.Parse(args);
if (arguments is null)
{
    Console.Error.WriteLine("usage: Sru.MnistSample [sru|lstm|summary|scores] [--blog] [--epochs N] [--data DIR] [--model PATH] [--count N]");
    return 2;
}

if (arguments.Command == "scores")
{
    // Nothing is registered with ML.NET by hand: the zip names the assembly that reads the model.
    ITransformer saved = new MLContext().Model.Load(arguments.ModelPath, out _);
    var scored = saved.Transform(new MLContext().Data.LoadMnist(MnistSplit.Test, arguments.DataDirectory));
    foreach (var row in new MLContext().Data.CreateEnumerable<MnistPrediction>(scored, reuseRowObject: false).Take(arguments.Count))
        Console.WriteLine("SCORES " + string.Join(" ", row.Score.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
    return 0;
}

var ml = new MLContext(seed: 1);
var clock = Stopwatch.StartNew();
IDataView train = ml.Data.LoadMnist(MnistSplit.Train, arguments.DataDirectory, log: Console.WriteLine);
IDataView test = ml.Data.LoadMnist(MnistSplit.Test, arguments.DataDirectory, log: Console.WriteLine);
Console.WriteLine($"MNIST ready in {clock.Elapsed.TotalSeconds:F1} s.");

if (arguments.Command == "summary")
{
    MnistSummary.Print(train, "train");
    MnistSummary.Print(test, "test");
    return 0;
}

// The trainer's progress lines, in the blog's spirit: epoch, step, minibatch loss and accuracy.
ml.Log += (_, e) =>
{
    if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.Contains("Multiclass", StringComparison.Ordinal))
        Console.WriteLine($"  {e.RawMessage}");
};

var trainer = arguments.Command == "lstm"
    ? (IEstimator<ITransformer>)ml.MulticlassClassification.Trainers.Lstm(arguments.Configure(new LstmTrainer.Options()))
    : ml.MulticlassClassification.Trainers.Sru(arguments.Configure(new SruTrainer.Options()));
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Append(trainer)
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

Console.WriteLine($"Training {arguments.Command.ToUpperInvariant()}{(arguments.Blog ? " with the blog's settings" : "")}, {arguments.Epochs} epochs...");
clock.Restart();
ITransformer model = pipeline.Fit(train);
double trainSeconds = clock.Elapsed.TotalSeconds;
clock.Restart();
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:P2} (training {trainSeconds:F1} s, evaluation {clock.Elapsed.TotalSeconds:F1} s).");

ml.Model.Save(model, train.Schema, arguments.ModelPath);
Console.WriteLine($"Saved to {Path.GetFullPath(arguments.ModelPath)} ({new FileInfo(arguments.ModelPath).Length / 1024} KiB).");

// Loaded back as a user would in another process: nothing registered by hand.
var loaded = new MLContext().Model.Load(arguments.ModelPath, out _);
var engine = new MLContext().Model.CreatePredictionEngine<MnistImage, MnistPrediction>(loaded);
foreach (MnistImage image in MnistSummary.FirstRows(test, 4))
{
    MnistPrediction prediction = engine.Predict(image);
    Console.WriteLine($"Label {image.Label}, predicted {prediction.PredictedLabel} ({prediction.Score.Max():P1}):");
    Console.WriteLine(AsciiDigit.Render(image.Features));
}
return 0;
