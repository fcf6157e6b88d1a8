using System.Globalization;
using System.Security.Cryptography;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Checkpoints;

/// <summary>
/// What a training run must share with the run that wrote a checkpoint for the checkpoint to continue it exactly:
/// the network's shape, every option that changes the sequence of updates, the optimizer, and the training and
/// validation data (counts and a SHA-256 of their rows). Each item is a name as the user knows it and a value as text,
/// so that a refused checkpoint can say what differs. Options that only change what is reported (logging, progress,
/// memory trimming) and the seed (the checkpoint carries its own shuffle state and weights) are not part of it.
/// </summary>
internal sealed class RunFingerprint
{
    private readonly (string Name, string Value)[] _items;

    private RunFingerprint((string Name, string Value)[] items) => _items = items;

    public IReadOnlyList<(string Name, string Value)> Items => _items;

    /// <summary>The fingerprint of a run of <paramref name="options"/> over these data and this network.</summary>
    public static RunFingerprint Of(RecurrentTrainerOptions options, TrainingPlan plan, NetworkSpec spec, ITrainingData training, ITrainingData? validation,
        string optimizer, RecurrentModelParameters? initialModel)
    {
        static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
        bool classLabels = spec.Task != RecurrentTaskKind.Regression;
        var items = new List<(string, string)>
        {
            ("cell", spec.Cell.ToString().ToUpperInvariant()),
            (nameof(options.SequenceLength), Text(spec.SequenceLength)),
            ("values per step (feature vector length / SequenceLength)", Text(spec.StepSize)),
            (nameof(options.HiddenSize), Text(spec.HiddenSize)),
            (nameof(options.NumberOfLayers), Text(spec.NumberOfLayers)),
            ("classes (the label's key count)", Text(spec.ClassCount)),
            (nameof(options.MaxEpoch), options.MaxEpoch is { } maxEpoch ? Text(maxEpoch) : $"automatic ({Text(plan.Epochs)} epochs)"),
            (nameof(options.BatchSize), Text(options.BatchSize)),
            (nameof(options.LearningRate), Text(options.LearningRate)),
            (nameof(options.LearningRateSchedule), options.LearningRateSchedule.ToString()),
            (nameof(options.LearningRateDecay), Text(options.LearningRateDecay)),
            (nameof(options.WarmupSteps), Text(options.WarmupSteps)),
            (nameof(options.WeightDecay), options.WeightDecay is not null ? Text(plan.WeightDecay) : $"automatic ({Text(plan.WeightDecay)})"),
            (nameof(options.GradientClipNorm), Text(options.GradientClipNorm)),
            (nameof(options.EarlyStoppingPatience), Text(plan.EarlyStoppingPatience)),
            (nameof(options.KeepBestModel), plan.KeepBestModel.ToString()),
            (nameof(options.InputNormalization), options.InputNormalization.ToString()),
            (nameof(options.Initialization), options.Initialization.ToString()),
            ("optimizer", optimizer),
            ("training rows", Text(training.RowCount)),
            ("training data (SHA-256 of the usable rows)", training.ContentHash(classLabels)),
            ("validation rows", validation is null ? "none" : Text(validation.RowCount)),
            ("validation data (SHA-256 of the usable rows)", validation is null ? "none" : validation.ContentHash(classLabels)),
            ("initial model (SHA-256 of its weights)", initialModel is null ? "none" : Hash(initialModel)),
        };
        // Recorded for the newer tasks only, so that a multiclass run's checkpoints from before tasks existed still match.
        if (spec.Task != RecurrentTaskKind.MulticlassClassification)
            items.Add(("task", spec.Task.ToString()));
        // Recorded for streamed runs only, so that in-memory runs' checkpoints from before streaming existed still match.
        if (training.IsStreamed)
        {
            items.Add((nameof(options.DataLoading), "Streaming"));
            items.Add((nameof(options.ShuffleBufferSize), Text(options.ShuffleBufferSize)));
        }
        if (spec.Cell == RecurrentCellKind.Sru)
        {
            SruCellSpec cell = spec.SruCell;
            items.AddRange(new (string, string)[]
            {
                (nameof(SruTrainer.Options.UseHighway), cell.UseHighway.ToString()),
                (nameof(SruTrainer.Options.Bidirectional), cell.Bidirectional.ToString()),
                (nameof(SruTrainer.Options.UseCellStateWeights), cell.UseCellStateWeights.ToString()),
                (nameof(SruTrainer.Options.Activation), cell.Activation.ToString()),
                (nameof(SruTrainer.Options.HighwayBias), Text(cell.HighwayBias)),
                (nameof(SruTrainer.Options.Rescale), cell.Rescale.ToString()),
                (nameof(SruTrainer.Options.Dropout), Text(cell.Dropout)),
                (nameof(SruTrainer.Options.LayerNorm), cell.LayerNorm.ToString()),
                (nameof(SruTrainer.Options.ProjectionSize), Text(cell.ProjectionSize)),
            });
        }
        return new RunFingerprint(items.ToArray());
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_items.Length);
        foreach (var (name, value) in _items)
        {
            writer.Write(name);
            writer.Write(value);
        }
    }

    public static RunFingerprint Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count is < 0 or > 1000)
            throw new FormatException($"The run's description declares {count} items.");
        var items = new (string, string)[count];
        for (int i = 0; i < count; i++)
            items[i] = (reader.ReadString(), reader.ReadString());
        return new RunFingerprint(items);
    }

    /// <summary>"name: A in the checkpoint, B now" for every item that differs (or that only one side has).</summary>
    public IReadOnlyList<string> DifferencesFrom(RunFingerprint checkpoint)
    {
        var theirs = checkpoint._items.ToDictionary(item => item.Name, item => item.Value);
        var differences = new List<string>();
        foreach (var (name, value) in _items)
        {
            if (!theirs.Remove(name, out string? other))
                differences.Add($"{name}: not recorded in the checkpoint, {value} now");
            else if (other != value)
                differences.Add($"{name}: {other} in the checkpoint, {value} now");
        }
        foreach (var (name, value) in theirs)
            differences.Add($"{name}: {value} in the checkpoint, not part of this run");
        return differences;
    }

    private static string Hash(RecurrentModelParameters model)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            model.WriteWeights(writer);
        return Convert.ToHexString(SHA256.HashData(buffer.ToArray()));
    }
}
