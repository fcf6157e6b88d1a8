using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Sru.Trainers;

/// <summary><see cref="ParameterUpdate"/> through TorchSharp: nn.utils.clip_grad_norm_ and optim.Adam / optim.AdamW, on any device.</summary>
internal sealed class LibTorchAdamUpdate : ParameterUpdate
{
    private readonly Parameter[] _parameters;
    private readonly OptimizerHelper _optimizer;
    private readonly double _clipNorm;

    public LibTorchAdamUpdate(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay, double clipNorm)
    {
        _parameters = parameters.ToArray();
        _clipNorm = clipNorm;
        // AdamW decays the weights apart from the gradient step; without decay plain Adam keeps the established behaviour.
        _optimizer = weightDecay > 0
            ? torch.optim.AdamW(_parameters, learningRate, Beta1, Beta2, Epsilon, weightDecay)
            : torch.optim.Adam(_parameters, learningRate, Beta1, Beta2, Epsilon);
    }

    public override double LearningRate
    {
        get => _optimizer.ParamGroups.First().LearningRate;
        set
        {
            foreach (var group in _optimizer.ParamGroups)
                group.LearningRate = value;
        }
    }

    public override void ZeroGradients() => _optimizer.zero_grad();

    public override void Step()
    {
        if (_clipNorm > 0)
            torch.nn.utils.clip_grad_norm_(_parameters, _clipNorm);
        _optimizer.step();
    }

    // TorchSharp's own format: the optimizer's name, options and per-parameter state.
    public override void WriteState(BinaryWriter writer) => _optimizer.save_state_dict(writer);

    public override void ReadState(BinaryReader reader) => _optimizer.load_state_dict(reader);

    public override void Dispose() => _optimizer.Dispose();
}
