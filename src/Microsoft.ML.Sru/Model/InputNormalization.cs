namespace Microsoft.ML.Sru;

/// <summary>
/// How a recurrent trainer rescales its input values before the network, from the training rows' range. The range
/// leaves out values more than six standard deviations from the mean (so one extreme row cannot squash the others), is
/// stored in the model and applied at scoring too, so a model's scores do not depend on whether a normalizer stood in
/// front of it. Scaled values beyond ±8 (far outside the training range) are clipped.
/// </summary>
public enum InputNormalization
{
    /// <summary>The values reach the network as they are.</summary>
    None = 0,

    /// <summary>
    /// Each value position within a time step (column j of every step) has its own training range [min, max], mapped onto
    /// [0, 1]: for sequences whose positions are in different units (a temperature beside a pressure). A position whose
    /// range is below a tenth of the widest position's (a constant or nearly constant column, such as an image border) is
    /// divided by that tenth instead.
    /// </summary>
    PerStepPosition = 1,

    /// <summary>
    /// One training range [min, max] over every value of every step, mapped onto [0, 1]: keeps the ratios between
    /// positions, and leaves data that spans [0, 1] (such as pixels scaled by 255) exactly as it is.
    /// </summary>
    Global = 2,
}
