namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// One batch row of one time step in a fused LSTM/GRU forward. At t = 0, <see cref="HiddenPrevious"/>,
/// <see cref="StatePrevious"/> and <see cref="HiddenProduct"/> point at zeros.
/// </summary>
internal readonly unsafe struct RnnRowForward
{
    /// <summary>[Gates·H] x·W_ih^T (plus h·W_hh^T unless the cell keeps it apart).</summary>
    public float* Gates { get; init; }

    /// <summary>[Gates·H] out (training): the gates' activations, for the backward.</summary>
    public float* Activations { get; init; }

    /// <summary>[Gates·H] h_{t−1}·W_hh^T, for a cell that keeps it apart.</summary>
    public float* HiddenProduct { get; init; }

    public float* InputBias { get; init; }

    public float* HiddenBias { get; init; }

    public float* HiddenPrevious { get; init; }

    /// <summary>[H] the cell's saved state at t − 1 (LSTM: c).</summary>
    public float* StatePrevious { get; init; }

    /// <summary>[H] out: what the backward needs besides the gates (LSTM: c_t; GRU: W_hn·h_{t−1} + b_hn); in inference c_t alone (LSTM).</summary>
    public float* State { get; init; }

    /// <summary>[H] out: h_t.</summary>
    public float* Hidden { get; init; }

    public int Width { get; init; }
}

/// <summary>One batch row of one time step in a fused LSTM/GRU backward (t = 0: the previous step's pointers at zeros).</summary>
internal readonly unsafe struct RnnRowBackward
{
    /// <summary>[Gates·H] the forward's activations.</summary>
    public float* Gates { get; init; }

    public float* State { get; init; }

    public float* StatePrevious { get; init; }

    public float* HiddenPrevious { get; init; }

    /// <summary>[H] dL/dh_t from the layer's output.</summary>
    public float* OutputGradient { get; init; }

    /// <summary>[H] in: dL/dh_t through step t + 1; out (a cell that keeps the hidden product apart): the part of dL/dh_{t−1} that bypasses W_hh.</summary>
    public float* HiddenCarry { get; init; }

    /// <summary>[H] in: dL/dc_t through step t + 1; out: dL/dc_{t−1} (LSTM only).</summary>
    public float* StateCarry { get; init; }

    /// <summary>[Gates·H] out: dL/d(x·W_ih^T + b_ih).</summary>
    public float* InputGateGradient { get; init; }

    /// <summary>[Gates·H] out: dL/d(h·W_hh^T + b_hh), for a cell that keeps the hidden product apart.</summary>
    public float* HiddenGateGradient { get; init; }

    public int Width { get; init; }
}
