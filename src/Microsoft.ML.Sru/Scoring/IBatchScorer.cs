namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// Scores batches of rows through a trained network for one caller at a time: a scorer may own scratch memory sized
/// for the batch it was created for, so each mapper (thread) and cursor gets its own.
/// </summary>
internal interface IBatchScorer
{
    /// <summary>
    /// The head's outputs for <paramref name="rows"/> rows of already rescaled features ([rows, feature count]) into
    /// <paramref name="scores"/> ([rows, head width]): class probabilities for a multiclass model, the one output (logit
    /// or value) otherwise; throws <see cref="ObjectDisposedException"/> once the model is disposed.
    /// </summary>
    void Score(float[] features, int rows, float[] scores);

    /// <summary>
    /// As <see cref="Score"/>, for <paramref name="rows"/> rows of unequal lengths padded at the end to the longest of
    /// <paramref name="lengths"/> (in steps): each row's outputs those it gets alone.
    /// </summary>
    void ScorePadded(float[] features, int rows, int[] lengths, float[] scores);
}
