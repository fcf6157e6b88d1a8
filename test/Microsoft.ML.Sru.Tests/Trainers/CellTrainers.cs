namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>The SRU, LSTM and GRU by name ("SRU", "lstm", …), for tests that run once per cell.</summary>
internal static class CellTrainers
{
    /// <summary>The cell's options, with its defaults.</summary>
    public static RecurrentTrainerOptions NewOptions(string cell) => cell.ToUpperInvariant() switch
    {
        "SRU" => new SruTrainer.Options(),
        "LSTM" => new LstmTrainer.Options(),
        "GRU" => new GruTrainer.Options(),
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "no such cell"),
    };

    /// <summary>The trainer the options are for, created through the catalog as users do.</summary>
    public static RecurrentTrainerBase Trainer(MLContext ml, RecurrentTrainerOptions options) => options switch
    {
        SruTrainer.Options sru => ml.MulticlassClassification.Trainers.Sru(sru),
        LstmTrainer.Options lstm => ml.MulticlassClassification.Trainers.Lstm(lstm),
        GruTrainer.Options gru => ml.MulticlassClassification.Trainers.Gru(gru),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.GetType().Name, "no such options class"),
    };

    /// <summary>The trainer the options are for on the catalog of <paramref name="task"/> ("multiclass", "binary", "regression").</summary>
    public static RecurrentTrainerBase Trainer(MLContext ml, RecurrentTrainerOptions options, string task) => (task, options) switch
    {
        (MarkerTasks.Multiclass, _) => Trainer(ml, options),
        (MarkerTasks.Binary, SruTrainer.Options sru) => ml.BinaryClassification.Trainers.Sru(sru),
        (MarkerTasks.Binary, LstmTrainer.Options lstm) => ml.BinaryClassification.Trainers.Lstm(lstm),
        (MarkerTasks.Binary, GruTrainer.Options gru) => ml.BinaryClassification.Trainers.Gru(gru),
        (MarkerTasks.Regression, SruTrainer.Options sru) => ml.Regression.Trainers.Sru(sru),
        (MarkerTasks.Regression, LstmTrainer.Options lstm) => ml.Regression.Trainers.Lstm(lstm),
        (MarkerTasks.Regression, GruTrainer.Options gru) => ml.Regression.Trainers.Gru(gru),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "no such task"),
    };
}
