using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// One SRU layer (Lei et al. 2017, with the official SRU 2.x options of <see cref="SruCellSpec"/>). The only matrix
/// product, U = X·W (or X·W_proj·W with a low-rank projection), does not depend on the previous step, so it runs
/// for all time steps at once; what remains is the cheap element-wise recurrence, per direction,
///   f_t = σ(u_f + v_f⊙c_{t−1} + b_f), r_t = σ(u_r + v_r⊙c_{t−1} + b_r), c_t = f_t⊙c_{t−1} + (1−f_t)⊙z_t,
///   h_t = r_t⊙g(c_t) [+ (1−r_t)⊙x'_t with highway],
/// (v = 0 in the 2017 form; g = tanh or the identity), which an <see cref="ISruRecurrence"/> computes. x' is the
/// input scaled by α (<see cref="SruCellSpec.SkipScale"/>) when the input is as wide as the output, else a fourth
/// block of U. In training, dropout masks r⊙(g(c) − x') per sequence and unit, as the official SRU does.
/// Input and output are time-major: [T, B, I] → [T, B, D·H], the directions side by side.
/// </summary>
internal sealed class SruLayer : nn.Module<Tensor, Tensor>
{
    private readonly int _inputSize;
    private readonly int _hiddenSize;
    private readonly bool _useHighway;
    private readonly SruCellSpec _cell;
    private readonly float _dropout;

    /// <summary>Number of H-wide blocks in U per direction: z, f, r, and a projected skip input x' when the highway needs one.</summary>
    private readonly int _blocks;

#pragma warning disable IDE1006 // Parameter names are the state-dict keys.
    private readonly Parameter? weight_proj;
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter? weight_c;
    private readonly LayerNorm? layer_norm;
#pragma warning restore IDE1006

    /// <summary>The layer norm's ε (torch's default), which every scorer of the network uses too.</summary>
    public const double LayerNormEpsilon = 1e-5;

    /// <param name="name">The module's name.</param>
    /// <param name="inputSize">Values per step coming in.</param>
    /// <param name="hiddenSize">Units per direction.</param>
    /// <param name="useHighway">Whether h carries the skip term.</param>
    /// <param name="cell">The recurrence options; null for the 2017 form.</param>
    /// <param name="dropout">Dropout probability on this layer's output in training (the official SRU uses it on all but the last layer).</param>
    public SruLayer(string name, int inputSize, int hiddenSize, bool useHighway, SruCellSpec? cell = null, float dropout = 0) : base(name)
    {
        _cell = cell ?? SruCellSpec.Classic;
        _inputSize = inputSize;
        _hiddenSize = hiddenSize;
        _useHighway = useHighway;
        _dropout = dropout;
        int output = _cell.Directions * hiddenSize;
        _blocks = useHighway && inputSize != output ? 4 : 3;

        int projection = _cell.ProjectionFor(inputSize, output);
        if (projection > 0)
            weight_proj = nn.Parameter(torch.empty(inputSize, projection));
        weight = nn.Parameter(torch.empty(projection > 0 ? projection : inputSize, output * _blocks));
        // Forget and reset gate biases, side by side: [b_f | b_r], each over all directions.
        bias = nn.Parameter(torch.zeros(2 * output));
        if (_cell.UseCellStateWeights)
            weight_c = nn.Parameter(torch.zeros(2 * output));
        if (_cell.LayerNorm != SruLayerNorm.None)
            layer_norm = nn.LayerNorm(_cell.LayerNorm == SruLayerNorm.BeforeRecurrence ? inputSize : output, LayerNormEpsilon);
        SruInitialization.Apply(_cell, _blocks, _useHighway, dropout, weight_proj, weight, bias, weight_c);
        RegisterComponents();
    }

    /// <summary>The recurrence used by <see cref="forward"/>; swapped for the fused CPU kernel where one exists.</summary>
    public ISruRecurrence Recurrence { get; set; } = Kernels.FusedSruRecurrence.Instance;

    /// <summary>Redraws W and the gate biases as the blog's TensorFlow SRU cell started (see <see cref="TensorFlowInitialization.SruLayer"/>).</summary>
    public void InitializeAsTensorFlow1()
    {
        if (weight_proj is not null || weight_c is not null || layer_norm is not null)
            throw new ArgumentException("WeightInitialization.TensorFlow1 describes the 2017 SRU cell only: no ProjectionSize, UseCellStateWeights or LayerNorm.");
        TensorFlowInitialization.SruLayer(weight, bias, _cell.Directions * _hiddenSize);
    }

    public override Tensor forward(Tensor input) => Run(input, lastStepOnly: false, lengths: null);

    /// <summary>
    /// A batch padded at the end, with each sequence's own length [B]: on a pad c is not updated and h is zero (as the
    /// official SRU's mask_pad), so the backward direction starts at each sequence's own last step.
    /// </summary>
    public Tensor Forward(Tensor input, int[] lengths) => Run(input, lastStepOnly: false, lengths);

    /// <summary>The output of the last step alone, [B, D·H]: for a last layer whose other steps nobody reads.</summary>
    public Tensor ForwardLastStep(Tensor input) => Run(input, lastStepOnly: true, lengths: null);

    private Tensor Run(Tensor input, bool lastStepOnly, int[]? lengths)
    {
        long steps = input.shape[0], batch = input.shape[1];
        int directions = _cell.Directions;
        Tensor x = layer_norm is not null && _cell.LayerNorm == SruLayerNorm.BeforeRecurrence ? layer_norm.forward(input) : input;
        Tensor rows = x.reshape(steps * batch, _inputSize);
        if (weight_proj is not null)
            rows = Recurrence.Project(rows, weight_proj);
        bool dropout = training && _dropout > 0;
        Tensor h;
        // The fused projection-and-recurrence layer has no pads; a padded batch runs the recurrence kernel alone.
        if (directions == 1 && !dropout && lengths is null && FusableSkip(x, input) is { } source
            && Recurrence.ForwardLayer(rows, weight, bias, weight_c, source, _cell.Activation, steps, _hiddenSize, lastStepOnly) is { } fused)
        {
            // The fused layer computes only the last step's h when that is all that is wanted.
            h = lastStepOnly ? fused.reshape(batch, _hiddenSize) : fused.reshape(steps, batch, _hiddenSize);
        }
        else
        {
            // One GEMM over all time steps: [T·B, I] × [I, D·k·H].
            Tensor u = Recurrence.Project(rows, weight).view(steps, batch, directions, _blocks, _hiddenSize);
            Tensor? skip = !_useHighway ? null : _blocks == 4 ? u.select(3, 3) : SkipInput(input, steps, batch);
            h = Recurrence.Forward(u, bias, weight_c, skip, _cell.Activation, lengths);
            if (dropout)
                h = DropOut(h, skip, batch);
            h = h.reshape(steps, batch, directions * _hiddenSize);
            if (lastStepOnly)
                h = h.select(0, steps - 1);
        }
        // Per row, so the same on the last step alone.
        if (layer_norm is not null && _cell.LayerNorm == SruLayerNorm.AfterRecurrence)
            h = layer_norm.forward(h);
        return h;
    }

    /// <summary>
    /// The skip as <see cref="ISruRecurrence.ForwardLayer"/> takes it, or null when it cannot: the skip must be U's fourth
    /// block, or the projection's input itself (no projection, no layer norm before, no rescaling).
    /// </summary>
    private Kernels.SruSkip? FusableSkip(Tensor x, Tensor input)
    {
        if (!_useHighway)
            return Kernels.SruSkip.None;
        if (_blocks == 4)
            return Kernels.SruSkip.UBlock;
        return weight_proj is null && !_cell.Rescale && ReferenceEquals(x, input) ? Kernels.SruSkip.External : null;
    }

    /// <summary>The raw (not normalised) input as x', split per direction and scaled by α when rescaling.</summary>
    private Tensor SkipInput(Tensor input, long steps, long batch)
    {
        Tensor skip = input.reshape(steps, batch, _cell.Directions, _hiddenSize);
        return _cell.Rescale ? skip * _cell.SkipScale : skip;
    }

    /// <summary>h = x' + m⊙r⊙(g(c) − x') = x' + m⊙(h − x'), with one mask m per sequence and unit for all steps.</summary>
    private Tensor DropOut(Tensor h, Tensor? skip, long batch)
    {
        Tensor mask = torch.empty(new long[] { 1, batch, h.shape[2], h.shape[3] }, h.dtype, h.device)
            .bernoulli_(1 - _dropout).div_(1 - _dropout);
        return skip is null ? h * mask : skip + (h - skip) * mask;
    }
}
