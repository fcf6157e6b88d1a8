namespace Microsoft.ML.Sru;

/// <summary>
/// Thrown by <c>Fit</c> when <see cref="RecurrentTrainerOptions.CheckpointDirectory"/> holds a checkpoint of a different
/// run (other options, another network shape, other data), which it cannot continue. The message names every
/// difference; set <see cref="RecurrentTrainerOptions.ResumeFromCheckpoint"/> to false to start over (the directory's
/// checkpoints are then replaced), or use another directory.
/// </summary>
public sealed class CheckpointMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for the checkpoint at <paramref name="checkpointPath"/> and what differs.</summary>
    public CheckpointMismatchException(string checkpointPath, IReadOnlyList<string> differences)
        : base($"The checkpoint '{checkpointPath}' was written by a different training run, so this run cannot continue it: " +
               string.Join("; ", differences) + ". Set ResumeFromCheckpoint = false to start over (replacing its checkpoints), or use another CheckpointDirectory.")
    {
        CheckpointPath = checkpointPath;
        Differences = differences;
    }

    /// <summary>The checkpoint file that was refused.</summary>
    public string CheckpointPath { get; }

    /// <summary>Each difference as "what: value in the checkpoint, value now".</summary>
    public IReadOnlyList<string> Differences { get; }
}
