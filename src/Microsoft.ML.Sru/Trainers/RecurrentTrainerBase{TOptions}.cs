using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// The trainer of one recurrent cell, which keeps that cell's own options type (e.g. <see cref="SruTrainer.Options"/>), so
/// the cell's trainer reads its own options without a cast. Everything else is <see cref="RecurrentTrainerBase"/>'s, the
/// type to hold a trainer of any cell as.
/// </summary>
/// <typeparam name="TOptions">The cell's options.</typeparam>
public abstract class RecurrentTrainerBase<TOptions> : RecurrentTrainerBase
    where TOptions : RecurrentTrainerOptions
{
    /// <param name="env">The host environment.</param>
    /// <param name="cell">The recurrent module the options describe.</param>
    /// <param name="options">The options, validated here.</param>
    /// <param name="task">What the network predicts.</param>
    private protected RecurrentTrainerBase(IHostEnvironment env, RecurrentCellKind cell, TOptions options, RecurrentTask task)
        : base(env, cell, options, task)
    {
        TrainerOptions = options;
    }

    /// <summary>The options the trainer was created with.</summary>
    private protected TOptions TrainerOptions { get; }

    /// <inheritdoc/>
    private protected sealed override RecurrentTrainerOptions SharedOptions => TrainerOptions;
}
