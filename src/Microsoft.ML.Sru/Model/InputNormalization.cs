namespace Microsoft.ML.Sru;

/// <summary>
/// How a recurrent trainer rescales its input values before the network, from statistics of the training rows.
/// The statistics are stored in the model and applied at scoring too, so a model's scores do not depend on whether a
/// normalizer stood in front of it.
/// </summary>
public enum InputNormalization
{
    /// <summary>The values reach the network as they are.</summary>
    None = 0,

    /// <summary>
    /// Each value position within a time step (column j of every step) is centred on its training mean and divided by its
    /// training standard deviation. A position whose spread is below a tenth of the widest position's (a constant or nearly
    /// constant column, such as an image border) is divided by that tenth instead, and normalized values are clipped to
    /// ±8, so rare values and outliers cannot dominate a step.
    /// </summary>
    PerStepPosition = 1,

    /// <summary>One mean and one standard deviation over every value of every step: keeps the ratios between positions.</summary>
    Global = 2,
}
