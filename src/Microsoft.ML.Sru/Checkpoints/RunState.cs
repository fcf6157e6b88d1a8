namespace Microsoft.ML.Sru.Checkpoints;

/// <summary>
/// Where a training run stands, apart from its tensors: the position in the run, the running sums the epoch's log
/// line reports, and the early-stopping bookkeeping. The training loop keeps it up to date; a checkpoint stores it.
/// </summary>
internal sealed class RunState
{
    /// <summary>Seeds the shuffle: replaying <see cref="ShufflesDone"/> shuffles from it gives the current order and generator.</summary>
    public int Seed { get; init; }

    /// <summary>The epoch in progress, or the next one when <see cref="StepsDone"/> is 0 (1-based).</summary>
    public int Epoch { get; set; } = 1;

    /// <summary>Steps of <see cref="Epoch"/> done; 0 when it has not started (its rows are not shuffled yet).</summary>
    public int StepsDone { get; set; }

    /// <summary>Every epoch ran, or early stopping ended the run.</summary>
    public bool Finished { get; set; }

    /// <summary>The epoch's summed loss, correct predictions and rows so far, and the same for the current log window.</summary>
    public double LossSum { get; set; }

    public long Correct { get; set; }

    public long Seen { get; set; }

    public double WindowLoss { get; set; }

    public long WindowCorrect { get; set; }

    public long WindowSeen { get; set; }

    /// <summary>The lowest validation loss so far and its epoch (0 before any).</summary>
    public double BestLoss { get; set; } = double.PositiveInfinity;

    public int BestEpoch { get; set; }

    /// <summary>How many times the rows have been shuffled: once at the start of every epoch begun.</summary>
    public int ShufflesDone => StepsDone > 0 ? Epoch : Epoch - 1;

    /// <summary>Starts a new epoch's sums.</summary>
    public void BeginEpoch()
    {
        StepsDone = 0;
        LossSum = WindowLoss = 0;
        Correct = Seen = WindowCorrect = WindowSeen = 0;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Seed);
        writer.Write(Epoch);
        writer.Write(StepsDone);
        writer.Write(Finished);
        writer.Write(LossSum);
        writer.Write(Correct);
        writer.Write(Seen);
        writer.Write(WindowLoss);
        writer.Write(WindowCorrect);
        writer.Write(WindowSeen);
        writer.Write(BestLoss);
        writer.Write(BestEpoch);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; throws <see cref="FormatException"/> for values no run can have.</summary>
    public static RunState Read(BinaryReader reader)
    {
        var state = new RunState
        {
            Seed = reader.ReadInt32(),
            Epoch = reader.ReadInt32(),
            StepsDone = reader.ReadInt32(),
            Finished = reader.ReadBoolean(),
            LossSum = reader.ReadDouble(),
            Correct = reader.ReadInt64(),
            Seen = reader.ReadInt64(),
            WindowLoss = reader.ReadDouble(),
            WindowCorrect = reader.ReadInt64(),
            WindowSeen = reader.ReadInt64(),
            BestLoss = reader.ReadDouble(),
            BestEpoch = reader.ReadInt32(),
        };
        if (state.Epoch < 1 || state.StepsDone < 0 || state.Seen < 0 || state.Correct < 0 || state.BestEpoch < 0 || state.BestEpoch >= state.Epoch)
            throw new FormatException($"The run's position (epoch {state.Epoch}, step {state.StepsDone}, best epoch {state.BestEpoch}) is impossible.");
        return state;
    }
}
