namespace Microsoft.ML.Sru.Model;

/// <summary>What a feature column holds, as the trainer reads it into time steps (see <see cref="SequenceInput"/>).</summary>
internal enum SequenceInputKind
{
    /// <summary>A vector of Single of known size: SequenceLength steps of equal width, every row alike.</summary>
    FixedLength = 0,

    /// <summary>A vector of Single of unknown size: each row its own number of steps of StepSize values.</summary>
    VariableLength = 1,

    /// <summary>A vector of keys (tokens): one token a step, through an embedding trained with the model.</summary>
    Tokens = 2,
}
