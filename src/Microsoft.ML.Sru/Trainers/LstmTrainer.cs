using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains an LSTM sequence classifier (TorchSharp's <c>nn.LSTM</c>) with the same data path, training
/// loop and persistence as <see cref="SruTrainer"/>. Create it with <c>mlContext.MulticlassClassification.Trainers.Lstm(...)</c>.
/// </summary>
public sealed class LstmTrainer : RecurrentTrainerBase
{
    internal const string LoadName = "LstmMulticlass";

    /// <summary>Options for <see cref="LstmTrainer"/>: the shared ones, with their defaults.</summary>
    public sealed class Options : RecurrentTrainerOptions
    {
    }

    internal LstmTrainer(IHostEnvironment env, Options options)
        : base(env, LoadName, RecurrentCellKind.Lstm, options)
    {
    }
}
