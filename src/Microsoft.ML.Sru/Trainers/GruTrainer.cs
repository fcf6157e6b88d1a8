using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains a GRU sequence classifier (TorchSharp's <c>nn.GRU</c>) with the same data path, training loop and
/// persistence as <see cref="SruTrainer"/> and <see cref="LstmTrainer"/>. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Gru(...)</c>.
/// </summary>
public sealed class GruTrainer : RecurrentTrainerBase
{
    internal const string LoadName = "GruMulticlass";

    /// <summary>Options for <see cref="GruTrainer"/>: the shared ones, with the same defaults as the LSTM's.</summary>
    public sealed class Options : RecurrentTrainerOptions
    {
    }

    internal GruTrainer(IHostEnvironment env, Options options)
        : base(env, LoadName, RecurrentCellKind.Gru, options)
    {
    }
}
