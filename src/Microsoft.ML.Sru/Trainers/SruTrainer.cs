using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru;

/// <summary>
/// Trains an SRU (Simple Recurrent Unit, Lei et al. 2017) sequence classifier. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Sru(...)</c>.
/// </summary>
public sealed class SruTrainer : RecurrentTrainerBase
{
    internal const string LoadName = "SruMulticlass";

    /// <summary>Options for <see cref="SruTrainer"/>.</summary>
    public sealed class Options : RecurrentTrainerOptions
    {
        /// <summary>
        /// Adds the highway connection h_t = r_t⊙tanh(c_t) + (1 − r_t)⊙x'_t, which carries each layer's input
        /// past the recurrence. Default true: it trained faster and more accurately on MNIST than the plain cell.
        /// </summary>
        public bool UseHighway { get; set; } = true;
    }

    private readonly Options _sruOptions;

    internal SruTrainer(IHostEnvironment env, Options options)
        : base(env, LoadName, options)
    {
        _sruOptions = options;
    }

    private protected override NetworkSpec CreateSpec(int stepSize, int classCount) => new(
        RecurrentCellKind.Sru, _sruOptions.SequenceLength, stepSize, _sruOptions.HiddenSize, _sruOptions.NumberOfLayers, classCount, _sruOptions.UseHighway);
}
