namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// The trainers' names in <see cref="MLContext.Log"/>, which the README tells users to filter progress on: the cell's
/// name, then the task's.
/// </summary>
[TestClass]
public sealed class TrainerLogNameTests
{
    [TestMethod]
    [DataRow("SRU", MarkerTasks.Multiclass, "SruMulticlass")]
    [DataRow("SRU", MarkerTasks.Binary, "SruBinary")]
    [DataRow("SRU", MarkerTasks.Regression, "SruRegression")]
    [DataRow("LSTM", MarkerTasks.Multiclass, "LstmMulticlass")]
    [DataRow("LSTM", MarkerTasks.Binary, "LstmBinary")]
    [DataRow("LSTM", MarkerTasks.Regression, "LstmRegression")]
    [DataRow("GRU", MarkerTasks.Multiclass, "GruMulticlass")]
    [DataRow("GRU", MarkerTasks.Binary, "GruBinary")]
    [DataRow("GRU", MarkerTasks.Regression, "GruRegression")]
    public void Training_logs_under_the_cell_and_task_name(string cell, string task, string name)
    {
        var ml = new MLContext(seed: 1);
        var log = new List<(string Source, string Message)>();
        ml.Log += (_, e) => { lock (log) log.Add((e.Source, e.RawMessage)); };

        CellTrainers.Trainer(ml, Reliability.TinyModels.For(cell, epochs: 1), task).Fit(MarkerTasks.Load(ml, task, 64, seed: 1));

        // A channel's source is its host's name, then the channel's; the README filters on the start.
        string[] sources = log.Where(l => l.Message.StartsWith($"Training {cell} on ", StringComparison.Ordinal)).Select(l => l.Source).ToArray();
        CollectionAssert.AreEqual(new[] { name + "; Training" }, sources, string.Join("\n", log.Select(l => l.Source).Distinct()));
    }
}
