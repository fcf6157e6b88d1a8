using System.IO.Compression;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// A tiny SRU trained once on <see cref="OrderedMarkers"/> and saved, with tools to take its zip apart: read and
/// rewrite entries, find the network description in the classifier's Model.key, and look through the
/// exceptions ML.NET wraps around a loader's.
/// </summary>
internal static class TinyModels
{
    /// <summary>The classifier's folder in a saved transformer's zip.</summary>
    public const string ModelDirectory = "TransformerChain/RowScorer/Model/";

    /// <summary>ML.NET's entry with the classifier's header and network description.</summary>
    public const string ModelKeyEntry = ModelDirectory + "Model.key";

    /// <summary>The classifier's weights.</summary>
    public const string WeightsEntry = ModelDirectory + "Weights.bin";

    /// <summary>
    /// The classifier's folder in zips saved while Fit returned ML.NET's MulticlassPredictionTransformer (the fixtures);
    /// they still load, as that transformer.
    /// </summary>
    public const string LegacyModelDirectory = "TransformerChain/Model/";

    /// <summary>The shape of <see cref="SavedZip"/>'s network.</summary>
    public static readonly NetworkSpec Spec = new(RecurrentCellKind.Sru, OrderedMarkers.Steps, OrderedMarkers.StepSize, 8, 1, 3);

    private static readonly Lazy<(byte[] Zip, float[][] Scores)> Saved = new(TrainAndSave, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Options for a model that trains in well under a second.</summary>
    public static SruTrainer.Options Sru(int epochs = 1) => Tiny(new SruTrainer.Options(), epochs);

    /// <summary>The LSTM counterpart of <see cref="Sru"/>.</summary>
    public static LstmTrainer.Options Lstm(int epochs = 1) => Tiny(new LstmTrainer.Options(), epochs);

    /// <summary>The GRU counterpart of <see cref="Sru"/>.</summary>
    public static GruTrainer.Options Gru(int epochs = 1) => Tiny(new GruTrainer.Options(), epochs);

    /// <summary>The counterpart of <see cref="Sru"/> for the cell named <paramref name="cell"/>.</summary>
    public static RecurrentTrainerOptions For(string cell, int epochs = 1) => Tiny(CellTrainers.NewOptions(cell), epochs);

    private static T Tiny<T>(T options, int epochs) where T : RecurrentTrainerOptions
    {
        options.SequenceLength = OrderedMarkers.Steps;
        options.HiddenSize = 8;
        options.NumberOfLayers = 1;
        options.MaxEpoch = epochs;
        options.BatchSize = 32;
        options.LearningRate = 0.01f;
        // The Step schedule (the SRU's default before Cosine), which the saved fixtures were trained with.
        options.LearningRateSchedule = LearningRateSchedule.Step;
        // Plain Adam (the SRU's default before its weight decay was chosen from the rows), as the fixtures were trained.
        options.WeightDecay = 0;
        options.LogEveryNSteps = 1000;
        return options;
    }

    /// <summary>A fresh copy of the saved tiny model's zip.</summary>
    public static byte[] SavedZip => Saved.Value.Zip.ToArray();

    /// <summary>The saved model's scores on <see cref="TestData"/>, taken before it was saved.</summary>
    public static float[][] SavedScores => Saved.Value.Scores;

    /// <summary>The rows every comparison scores.</summary>
    public static IDataView TestData(MLContext ml) => OrderedMarkers.Load(ml, 40, seed: 99);

    /// <summary>Loads a model zip from memory, in a new context.</summary>
    public static ITransformer Load(byte[] zip)
    {
        using var stream = new MemoryStream(zip, writable: false);
        return new MLContext(seed: 1).Model.Load(stream, out _);
    }

    /// <summary>The model's scores on <see cref="TestData"/>.</summary>
    public static float[][] Scores(ITransformer model) => RecurrentTrainerTests.Scores(model.Transform(TestData(new MLContext(seed: 1))));

    public static bool SameScores(float[][] expected, float[][] actual) =>
        expected.Length == actual.Length && expected.Zip(actual).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    public static byte[] ReadEntry(byte[] zip, string name)
    {
        using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
        ZipArchiveEntry entry = archive.GetEntry(name) ?? throw new AssertFailedException($"The zip has no entry {name}.");
        using Stream stream = entry.Open();
        using var content = new MemoryStream();
        stream.CopyTo(content);
        return content.ToArray();
    }

    /// <summary>A copy of the zip with one entry's content changed, or the entry left out when <paramref name="change"/> returns null.</summary>
    public static byte[] RewriteEntry(byte[] zip, string name, Func<byte[], byte[]?> change)
    {
        bool found = false;
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (ZipArchiveEntry entry in source.Entries)
            {
                byte[] content;
                using (Stream stream = entry.Open())
                using (var buffer = new MemoryStream())
                {
                    stream.CopyTo(buffer);
                    content = buffer.ToArray();
                }
                if (entry.FullName == name)
                {
                    found = true;
                    if (change(content) is not { } changed)
                        continue;
                    content = changed;
                }
                using Stream write = target.CreateEntry(entry.FullName).Open();
                write.Write(content);
            }
        }
        Assert.IsTrue(found, $"The zip has no entry {name}.");
        return output.ToArray();
    }

    /// <summary>Where the network description starts in the classifier's Model.key (after ML.NET's header and the float width).</summary>
    public static int SpecOffset(byte[] modelKey, NetworkSpec spec)
    {
        byte[] pattern = [.. BitConverter.GetBytes(sizeof(float)), .. ModelSpecFormat.ToBytes(spec, RecurrentModelFormat.FormatVersion)];
        int at = modelKey.AsSpan().IndexOf(pattern);
        Assert.IsGreaterThanOrEqualTo(0, at, "the network description was not found in Model.key");
        Assert.AreEqual(-1, modelKey.AsSpan(at + 1).IndexOf(pattern), "the network description occurs once");
        return at + sizeof(int);
    }

    /// <summary>Where ML.NET's header keeps the classifier's format versions: written, then readable (UInt32 each).</summary>
    public static int VersionOffset(byte[] modelKey)
    {
        int at = modelKey.AsSpan().IndexOf("SRUMLNET"u8);
        Assert.IsGreaterThanOrEqualTo(0, at, "the model signature was not found in Model.key");
        return at + 8;
    }

    /// <summary>
    /// Weights for <paramref name="network"/> whose checksum is valid for the description <paramref name="spec"/>, as a
    /// damaged-then-rehashed or hand-made file would have: what the structural checks behind the checksum see.
    /// </summary>
    public static byte[] WeightsFor(SequenceClassifier network, NetworkSpec spec)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
            WeightSerializer.Write(writer, network, ChecksumCovered(spec));
        return buffer.ToArray();
    }

    /// <summary>
    /// What the weights' checksum covers besides the weights for a model of <paramref name="spec"/> with the saved tiny
    /// model's input scaling and input: the description, then the scaling and the input that follow it in Model.key.
    /// </summary>
    public static byte[] ChecksumCovered(NetworkSpec spec)
    {
        byte[] key = ReadEntry(SavedZip, ModelKeyEntry);
        int at = SpecOffset(key, Spec) + ModelSpecFormat.Size(RecurrentModelFormat.FormatVersion);
        int scalingBytes = 2 * sizeof(int) + 2 * sizeof(float) * Spec.StepSize;
        int inputBytes = SequenceInput.Fixed(Spec.SequenceLength, Spec.StepSize).ToBytes().Length;
        return [.. ModelSpecFormat.ToBytes(spec, RecurrentModelFormat.FormatVersion), .. key.AsSpan(at, scalingBytes + inputBytes)];
    }

    /// <summary>Every exception in the chain, outermost first, including the inner exceptions of aggregates.</summary>
    public static IEnumerable<Exception> Chain(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        while (pending.Count > 0)
        {
            Exception current = pending.Pop();
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions.Reverse())
                    pending.Push(inner);
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }

    /// <summary>"A > B > C": the exception types from outermost to innermost.</summary>
    public static string Describe(Exception exception) => string.Join(" > ", Chain(exception).Select(e => e.GetType().Name));

    private static readonly Type[] CrashTypes =
    [
        typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(InvalidCastException), typeof(AccessViolationException),
        typeof(OutOfMemoryException), typeof(StackOverflowException), typeof(System.Runtime.InteropServices.SEHException),
    ];

    /// <summary>Fails when any exception in the chain is one that only a bug produces.</summary>
    public static void AssertNotABug(Exception exception, string context = "")
    {
        foreach (Exception e in Chain(exception))
        {
            if (CrashTypes.Any(t => t.IsInstanceOfType(e)))
                Assert.Fail($"{context}{e.GetType().Name} in the exception chain ({Describe(exception)}): {e}");
        }
    }

    /// <summary>
    /// What <c>Model.Load</c> surfaces for a damaged classifier: ML.NET calls the loader through reflection, so the
    /// <see cref="ModelFormatException"/> arrives inside TargetInvocationExceptions and is the base exception.
    /// </summary>
    public static ModelFormatException LoadFails(byte[] zip)
    {
        Exception thrown = Assert.Throws<Exception>(() => Load(zip));
        AssertNotABug(thrown);
        if (thrown.GetBaseException() is not ModelFormatException damaged)
            throw new AssertFailedException($"Expected a ModelFormatException as the base exception; got {Describe(thrown)}: {thrown}");
        Assert.IsInstanceOfType<System.Reflection.TargetInvocationException>(thrown, "ML.NET's reflection wraps the loader's exception");
        Assert.IsNull(damaged.InnerException, "the base exception is the ModelFormatException itself");
        return damaged;
    }

    private static (byte[] Zip, float[][] Scores) TrainAndSave()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = OrderedMarkers.Load(ml, 300, seed: 1);
        var options = Sru(epochs: 2);
        // The old-format fixture's scores were taken before input normalization existed; this model is compared with them.
        options.InputNormalization = InputNormalization.None;
        var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(train);
        using var zip = new MemoryStream();
        ml.Model.Save(model, train.Schema, zip);
        float[][] scores = Scores(model);
        model.Dispose();
        return (zip.ToArray(), scores);
    }
}
