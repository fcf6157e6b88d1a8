using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains a GRU sequence model (TorchSharp's <c>nn.GRU</c>) with the same data path, training loop and
/// persistence as <see cref="SruTrainer"/> and <see cref="LstmTrainer"/>. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Gru(...)</c>, or the BinaryClassification and Regression catalogs' <c>Gru(...)</c>.
/// </summary>
public sealed class GruTrainer : RecurrentTrainerBase<GruTrainer.Options>
{
    /// <summary>Options for <see cref="GruTrainer"/>: the shared ones, with the same defaults as the LSTM's.</summary>
    public sealed class Options : RecurrentTrainerOptions
    {
    }

    internal GruTrainer(IHostEnvironment env, Options options, RecurrentTask task)
        : base(env, RecurrentCellKind.Gru, options, task)
    {
    }
}
