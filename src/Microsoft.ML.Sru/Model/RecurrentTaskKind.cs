namespace Microsoft.ML.Sru.Model;

/// <summary>
/// What a network's head predicts, and so how wide it is and what its outputs mean. The values are stored in model files
/// (from format 0x00010005; older models are all <see cref="MulticlassClassification"/>): never renumber them.
/// </summary>
internal enum RecurrentTaskKind
{
    /// <summary>One logit per class, scored as softmax probabilities.</summary>
    MulticlassClassification = 1,

    /// <summary>One logit: Score is the logit, Probability its sigmoid.</summary>
    BinaryClassification = 2,

    /// <summary>One value in the label's units.</summary>
    Regression = 3,
}
