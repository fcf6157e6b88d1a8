namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The gate math of one gated recurrent cell (LSTM, GRU) for <see cref="FusedRnnKernel{TCell}"/>: everything else in a
/// fused layer (the products, the time loop, the batch split, autograd) is shared. Methods work on lanes
/// [j, j + V.Count) of one batch row; static, so that the JIT compiles one loop per cell and width.
/// </summary>
internal interface IRecurrentCell
{
    /// <summary>Gate blocks of H in the weights, in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n).</summary>
    static abstract int Gates { get; }

    /// <summary>
    /// Whether the cell needs h_{t−1}·W_hh^T apart from x_t·W_ih^T (GRU: r scales W_hn·h + b_hn alone); otherwise the
    /// recurrent product is added onto the input's, and the gradients of both pre-activations are the same.
    /// </summary>
    static abstract bool HiddenProductApart { get; }

    /// <summary>One step of training's forward: h_t, and what the backward reads (the gates' activations in place of their inputs, the state).</summary>
    static abstract void Forward<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V>;

    /// <summary>
    /// The same step for inference: the same math, writing only h_t and the state the next step reads (LSTM: c_t in
    /// <see cref="RnnRowForward.State"/>, which may be <see cref="RnnRowForward.StatePrevious"/> itself); the gates are left as they came in.
    /// </summary>
    static abstract void Infer<V>(in RnnRowForward row, int j)
        where V : unmanaged, IFloatVector<V>;

    static abstract void Backward<V>(in RnnRowBackward row, int j)
        where V : unmanaged, IFloatVector<V>;
}
