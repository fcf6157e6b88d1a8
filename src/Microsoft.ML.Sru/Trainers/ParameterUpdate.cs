using TorchSharp.Modules;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// What a training step does after the backward: clip the gradients to a global L2 norm, then take an Adam step
/// (AdamW with weight decay), as torch.nn.utils.clip_grad_norm_ and torch.optim.Adam/AdamW define them.
/// <see cref="Create"/> picks <see cref="CpuAdamUpdate"/> (one pass over each parameter's memory) for float32 CPU
/// parameters and <see cref="LibTorchAdamUpdate"/> (TorchSharp's optimizers) for anything else.
/// </summary>
internal abstract class ParameterUpdate : IDisposable
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The initial learning rate.</param>
    /// <param name="weightDecay">Decoupled weight decay (AdamW); 0 for plain Adam.</param>
    /// <param name="clipNorm">The largest global gradient norm; 0 for no clipping.</param>
    public static ParameterUpdate Create(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay, double clipNorm) =>
        CpuAdamUpdate.Supports(parameters)
            ? new CpuAdamUpdate(parameters, learningRate, weightDecay, clipNorm)
            : new LibTorchAdamUpdate(parameters, learningRate, weightDecay, clipNorm);

    /// <summary>The rate the next <see cref="Step"/> uses; a schedule sets it before each step.</summary>
    public abstract double LearningRate { get; set; }

    /// <summary>Drops the gradients before the next backward, so that it writes fresh ones.</summary>
    public abstract void ZeroGradients();

    /// <summary>Clips the gradients, then updates the parameters.</summary>
    public abstract void Step();

    /// <summary>Writes the optimizer's state (moments, step count) for a training checkpoint.</summary>
    public abstract void WriteState(BinaryWriter writer);

    /// <summary>Restores what <see cref="WriteState"/> wrote, from an update of the same kind over the same parameters.</summary>
    public abstract void ReadState(BinaryReader reader);

    public abstract void Dispose();
}
