using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains an LSTM sequence model (TorchSharp's <c>nn.LSTM</c>) with the same data path, training
/// loop and persistence as <see cref="SruTrainer"/>. Create it with <c>mlContext.MulticlassClassification.Trainers.Lstm(...)</c>,
/// or the BinaryClassification and Regression catalogs' <c>Lstm(...)</c>.
/// </summary>
public sealed class LstmTrainer : RecurrentTrainerBase<LstmTrainer.Options>
{
    /// <summary>Options for <see cref="LstmTrainer"/>: the shared ones, with their defaults.</summary>
    public sealed class Options : RecurrentTrainerOptions
    {
    }

    internal LstmTrainer(IHostEnvironment env, Options options, RecurrentTask task)
        : base(env, RecurrentCellKind.Lstm, options, task)
    {
    }
}
