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
    private readonly SruLayerPlan _plan;

#pragma warning disable IDE1006 // Parameter names are the state-dict keys.
    private readonly Parameter? weight_proj;
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Parameter? weight_c;
    private readonly LayerNorm? layer_norm;
#pragma warning restore IDE1006

    // The layer's own generator, so that another thread drawing from libtorch's global one (another training, the
    // app) cannot change which units a training run drops.
    private Generator? _dropoutMasks;

    /// <summary>The layer norm's ε (torch's default), which every scorer of the network uses too.</summary>
    public const double LayerNormEpsilon = 1e-5;

    /// <param name="name">The module's name.</param>
    /// <param name="plan">What the layer is.</param>
    public SruLayer(string name, SruLayerPlan plan) : base(name)
    {
        _plan = plan;
        if (plan.ProjectionSize > 0)
            weight_proj = nn.Parameter(torch.empty(plan.InputSize, plan.ProjectionSize));
        weight = nn.Parameter(torch.empty(plan.WeightRows, plan.WeightColumns));
        // Forget and reset gate biases, side by side: [b_f | b_r], each over all directions.
        bias = nn.Parameter(torch.zeros(2 * plan.OutputWidth));
        if (plan.Cell.UseCellStateWeights)
            weight_c = nn.Parameter(torch.zeros(2 * plan.OutputWidth));
        if (plan.LayerNorm != SruLayerNorm.None)
            layer_norm = nn.LayerNorm(plan.LayerNormWidth, LayerNormEpsilon);
        SruInitialization.Apply(plan.Cell, plan.Blocks, plan.Dropout, weight_proj, weight, bias, weight_c);
        // Seeded from the global generator after the weights, so that a network built under one seed drops the same units.
        if (plan.Dropout > 0)
            _dropoutMasks = new Generator((ulong)torch.randint(0, int.MaxValue, 1, ScalarType.Int64).item<long>());
        RegisterComponents();
    }

    /// <summary>Restarts the layer's dropout masks from <paramref name="seed"/>: the same seed, the same masks.</summary>
    public void SeedDropout(long seed) => _dropoutMasks?.manual_seed(seed);

    /// <summary>A layer on its own: see <see cref="SruLayerPlan.Single"/>.</summary>
    public SruLayer(string name, int inputSize, int hiddenSize, SruCellSpec? cell = null, float dropout = 0)
        : this(name, SruLayerPlan.Single(inputSize, hiddenSize, cell, dropout))
    {
    }

    public SruLayerPlan Plan => _plan;

    /// <summary>The layer's weights by what they are: W, the gate biases [b_f | b_r], v (or null), W_proj (or null), the layer norm's scale and shift (or null).</summary>
    public (Tensor Weight, Tensor Bias, Tensor? CellWeights, Tensor? Projection, Tensor? NormWeight, Tensor? NormBias) Weights =>
        (weight, bias, weight_c, weight_proj, layer_norm?.weight, layer_norm?.bias);

    /// <summary>The recurrence used by <see cref="forward"/>; swapped for the fused CPU kernel where one exists.</summary>
    public ISruRecurrence Recurrence { get; set; } = Kernels.FusedSruRecurrence.Instance;

    /// <summary>Redraws W and the gate biases as the TensorFlow SRU cell of the blog post the sample reproduces (<see cref="BlogReproduction"/>) started (see <see cref="TensorFlowInitialization.SruLayer"/>).</summary>
    public void InitializeAsTensorFlow1()
    {
        if (weight_proj is not null || weight_c is not null || layer_norm is not null)
            throw new ArgumentException("WeightInitialization.TensorFlow1 describes the 2017 SRU cell only: no ProjectionSize, UseCellStateWeights or LayerNorm.");
        TensorFlowInitialization.SruLayer(weight, bias, _plan.OutputWidth);
    }

    public override Tensor forward(Tensor input) => Run(input, lastStepOnly: false, lengths: null);

    /// <summary>
    /// A batch padded at the end, with each sequence's own length [B]: on a pad c is not updated and h is zero (as the
    /// official SRU's mask_pad), so the backward direction starts at each sequence's own last step.
    /// </summary>
    public Tensor Forward(Tensor input, int[] lengths) => Run(input, lastStepOnly: false, lengths);

    /// <summary>The output of the last step alone, [B, D·H]: for a layer whose other steps nobody reads (its plan's <see cref="SruLayerPlan.OnlyLastStepRead"/>).</summary>
    public Tensor ForwardLastStep(Tensor input) => Run(input, lastStepOnly: true, lengths: null);

    private Tensor Run(Tensor input, bool lastStepOnly, int[]? lengths)
    {
        long steps = input.shape[0], batch = input.shape[1];
        int directions = _plan.Directions, hidden = _plan.HiddenSize;
        Tensor x = layer_norm is not null && _plan.LayerNorm == SruLayerNorm.BeforeRecurrence ? layer_norm.forward(input) : input;
        Tensor rows = x.reshape(steps * batch, _plan.InputSize);
        if (weight_proj is not null)
            rows = Recurrence.Project(rows, weight_proj);
        bool dropout = training && _plan.Dropout > 0;
        Tensor h;
        // The fused projection-and-recurrence layer has no pads; a padded batch runs the recurrence kernel alone.
        if (_plan.WhyNotFused is null && !dropout && lengths is null
            && Recurrence.ForwardLayer(rows, weight, bias, weight_c, _plan.Skip, _plan.Cell.Activation, steps, hidden, lastStepOnly) is { } fused)
        {
            // The fused layer computes only the last step's h when that is all that is wanted.
            h = lastStepOnly ? fused.reshape(batch, hidden) : fused.reshape(steps, batch, hidden);
        }
        else
        {
            // One GEMM over all time steps: [T·B, I] × [I, D·k·H].
            Tensor u = Recurrence.Project(rows, weight).view(steps, batch, directions, _plan.Blocks, hidden);
            Tensor? skip = _plan.Skip switch
            {
                Kernels.SruSkip.UBlock => u.select(3, 3),
                Kernels.SruSkip.External => SkipInput(input, steps, batch),
                _ => null,
            };
            h = Recurrence.Forward(u, bias, weight_c, skip, _plan.Cell.Activation, lengths);
            if (dropout)
                h = DropOut(h, skip, batch);
            h = h.reshape(steps, batch, _plan.OutputWidth);
            if (lastStepOnly)
                h = h.select(0, steps - 1);
        }
        // Per row, so the same on the last step alone.
        if (layer_norm is not null && _plan.LayerNorm == SruLayerNorm.AfterRecurrence)
            h = layer_norm.forward(h);
        return h;
    }

    /// <summary>The raw (not normalised) input as x', split per direction and scaled by α when rescaling.</summary>
    private Tensor SkipInput(Tensor input, long steps, long batch)
    {
        Tensor skip = input.reshape(steps, batch, _plan.Directions, _plan.HiddenSize);
        return _plan.Cell.Rescale ? skip * _plan.SkipScale : skip;
    }

    /// <summary>h = x' + m⊙r⊙(g(c) − x') = x' + m⊙(h − x'), with one mask m per sequence and unit for all steps.</summary>
    private Tensor DropOut(Tensor h, Tensor? skip, long batch)
    {
        // Drawn on the CPU, where the layer's generator is.
        Tensor mask = torch.empty(new long[] { 1, batch, h.shape[2], h.shape[3] }, h.dtype)
            .bernoulli_(1 - _plan.Dropout, _dropoutMasks).div_(1 - _plan.Dropout).to(h.device);
        return skip is null ? h * mask : skip + (h - skip) * mask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dropoutMasks?.Dispose();
            _dropoutMasks = null;
        }
        base.Dispose(disposing);
    }
}
