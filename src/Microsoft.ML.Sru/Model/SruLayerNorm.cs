namespace Microsoft.ML.Sru;

/// <summary>Where each SRU layer applies layer normalisation, as the official SRU's layer_norm and normalize_after.</summary>
public enum SruLayerNorm
{
    /// <summary>No layer normalisation (the default).</summary>
    None = 0,

    /// <summary>On the layer's input before U = X·W (pre-norm; the highway still carries the raw input).</summary>
    BeforeRecurrence = 1,

    /// <summary>On the layer's output h (post-norm, the official normalize_after = True).</summary>
    AfterRecurrence = 2,
}
