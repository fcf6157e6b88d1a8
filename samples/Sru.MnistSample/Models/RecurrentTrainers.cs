using Microsoft.ML;
using Microsoft.ML.Sru;

namespace Sru.MnistSample.Models;

/// <summary>Creates each recurrent trainer's options and the pipeline an ML.NET user would write around it.</summary>
internal static class RecurrentTrainers
{
    /// <summary>Every model kind with a fresh instance of its options (the library's defaults).</summary>
    public static IReadOnlyList<RecurrentModelKind> Kinds { get; } = Enum.GetValues<RecurrentModelKind>();

    public static RecurrentTrainerOptions CreateOptions(RecurrentModelKind kind) => kind switch
    {
        RecurrentModelKind.Sru => new SruTrainer.Options(),
        RecurrentModelKind.Lstm => new LstmTrainer.Options(),
        RecurrentModelKind.Gru => new GruTrainer.Options(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The trainer for options made by <see cref="CreateOptions"/>; invalid options throw <see cref="ArgumentException"/> naming the property.</summary>
    public static RecurrentTrainerBase CreateTrainer(MLContext ml, RecurrentTrainerOptions options) => options switch
    {
        SruTrainer.Options sru => ml.MulticlassClassification.Trainers.Sru(sru),
        LstmTrainer.Options lstm => ml.MulticlassClassification.Trainers.Lstm(lstm),
        GruTrainer.Options gru => ml.MulticlassClassification.Trainers.Gru(gru),
        _ => throw new ArgumentException($"No trainer for {options.GetType().Name}.", nameof(options)),
    };

    /// <summary>The binary or regression trainer for options made by <see cref="CreateOptions"/>.</summary>
    public static RecurrentTrainerBase CreateTrainer(MLContext ml, RecurrentTrainerOptions options, SeriesTask task) => (options, task) switch
    {
        (SruTrainer.Options sru, SeriesTask.Binary) => ml.BinaryClassification.Trainers.Sru(sru),
        (LstmTrainer.Options lstm, SeriesTask.Binary) => ml.BinaryClassification.Trainers.Lstm(lstm),
        (GruTrainer.Options gru, SeriesTask.Binary) => ml.BinaryClassification.Trainers.Gru(gru),
        (SruTrainer.Options sru, SeriesTask.Regression) => ml.Regression.Trainers.Sru(sru),
        (LstmTrainer.Options lstm, SeriesTask.Regression) => ml.Regression.Trainers.Lstm(lstm),
        (GruTrainer.Options gru, SeriesTask.Regression) => ml.Regression.Trainers.Gru(gru),
        _ => throw new ArgumentException($"No {task} trainer for {options.GetType().Name}.", nameof(options)),
    };
}
