namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The memory and shape one call of <see cref="SruKernel"/> works on. All arrays are contiguous float32 and time-major;
/// D is 1 or 2 directions, k the blocks of U per direction, H the hidden units per direction:
/// u [T, B, D, k, H] with blocks z, f, r (, x'); bias and cell-state weights [2, D, H] (forget gate's, then reset gate's);
/// skip, h and c [T, B, D, H]. Pointers a call does not use are null.
/// </summary>
internal unsafe struct SruKernelArguments
{
    public float* U;

    public float* Bias;

    /// <summary>v in f_t = σ(u_f + v_f⊙c_{t−1} + b_f), r_t = σ(u_r + v_r⊙c_{t−1} + b_r); null for the 2017 gates (v = 0).</summary>
    public float* CellWeights;

    /// <summary>The skip input when <see cref="Skip"/> is <see cref="SruSkip.External"/>.</summary>
    public float* ExternalSkip;

    public SruSkip Skip;

    public SruActivation Activation;

    public int Steps;

    public int Batch;

    /// <summary>1, or 2 for a bidirectional layer: direction 1 runs from the last step to the first.</summary>
    public int Directions;

    public int Blocks;

    public int Hidden;

    /// <summary>
    /// Each sequence's own length [B], for a batch padded at the end; null when every sequence has all T steps. On a padded
    /// step c is not updated and h is zero, so the backward direction starts from its initial state at the sequence's own
    /// last step and padding changes neither outputs nor gradients. Not with <see cref="LastStepOnly"/>.
    /// </summary>
    public int* Lengths;

    /// <summary>Forward output: [T, B, D, H], or [B, D, H] (the last step's) with <see cref="LastStepOnly"/>.</summary>
    public float* H;

    /// <summary>
    /// One direction only: h (and dL/dh in the backward) for the last step alone, [B, 1, H], for a last layer whose
    /// other steps nobody reads. Before the last step the kernel then runs c alone: it reads only the z and f blocks of
    /// U there (r and x' may be left unset), and the backward writes dL/du only for z and f (the rest is zero: written
    /// into GradU, left out for a <see cref="StepSink"/>, whose products must skip those columns), and zeros for dL/dskip
    /// when the skip is x itself.
    /// </summary>
    public bool LastStepOnly;

    /// <summary>Runs on the calling thread whatever the batch: for callers that split the work over the cores themselves.</summary>
    public bool SingleThreaded;

    /// <summary>c for every step, written by a training forward and read by the backward; null for inference.</summary>
    public float* States;

    /// <summary>Backward input: dL/dh, shaped as <see cref="H"/>.</summary>
    public float* GradH;

    public float* GradU;

    public float* GradBias;

    /// <summary>dL/dv, written when <see cref="CellWeights"/> is set.</summary>
    public float* GradCellWeights;

    /// <summary>dL/dskip, written when <see cref="Skip"/> is <see cref="SruSkip.External"/>.</summary>
    public float* GradSkip;

    /// <summary>
    /// For a backward fused with the projection's (one direction only): receives dL/du step by step, part by part,
    /// while it is still in cache; <see cref="GradU"/> is then not written. Null for the plain backward.
    /// </summary>
    public ISruStepSink? StepSink;
}
