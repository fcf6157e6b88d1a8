namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A trained network scoring rows in plain C#, without TorchSharp: the weights copied into managed arrays once, the
/// products on the AVX-512 GEMM (<see cref="Kernels.Sgemm512"/>; row updates elsewhere), the recurrence in SIMD lanes.
/// This is the PredictionEngine and Transform path: a single row through libtorch costs far more in per-op overhead
/// than in arithmetic. <see cref="SruInference"/> covers the SRU, <see cref="RnnInference"/> LSTM and GRU. A call runs
/// on the calling thread: callers split larger batches over the cores, a part and a workspace per thread.
/// </summary>
internal abstract class ManagedInference
{
    private protected ManagedInference(int steps)
    {
        Steps = steps;
    }

    /// <summary>The network's sequence length: the steps of every row of a fixed-length call.</summary>
    public int Steps { get; }

    /// <summary>
    /// The managed scorer for <paramref name="network"/>, or null where none covers it; with <paramref name="useGemm"/>
    /// false (for tests) the products take the row updates machines without AVX-512 take.
    /// </summary>
    public static ManagedInference? For(SequenceClassifier network, bool useGemm = true) =>
        SruInference.TryCreate(network, useGemm) ?? (ManagedInference?)RnnInference.TryCreate(network, useGemm);

    /// <summary>Scratch memory for calls of up to <paramref name="rows"/> rows, for one caller at a time.</summary>
    public abstract ManagedWorkspace CreateWorkspace(int rows = 1);

    /// <summary>The head's outputs (class probabilities for a multiclass head) of one row of features (time-major: step after step).</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> scores, ManagedWorkspace workspace) => Score(features, 1, scores, workspace);

    /// <summary>
    /// The head's outputs of <paramref name="rows"/> rows of features ([B, T·I], each row time-major) into
    /// <paramref name="scores"/> ([B, head width]). All rows go through each layer together: one input product over
    /// every step of every row, then the recurrence over the batch.
    /// </summary>
    public void Score(ReadOnlySpan<float> features, int rows, Span<float> scores, ManagedWorkspace workspace)
    {
        workspace.CheckRows(rows);
        Score(features, rows, Steps, null, scores, workspace);
    }

    /// <summary>
    /// The head's outputs of <paramref name="rows"/> sequences of unequal lengths, padded at the end to the longest:
    /// features [B, T·I] with T the largest of <paramref name="lengths"/> (at most <see cref="Steps"/>), each row's
    /// outputs those it gets alone.
    /// </summary>
    public void Score(ReadOnlySpan<float> features, int rows, int[] lengths, Span<float> scores, ManagedWorkspace workspace) =>
        ScorePadded(features, rows, PaddedSteps.Longest(lengths), lengths, scores, workspace);

    /// <summary>
    /// As <see cref="Score(ReadOnlySpan{float}, int, int[], Span{float}, ManagedWorkspace)"/> for rows padded to
    /// <paramref name="steps"/> steps, at least the longest of <paramref name="lengths"/>: part of a batch padded to a
    /// longer row elsewhere in it.
    /// </summary>
    public void ScorePadded(ReadOnlySpan<float> features, int rows, int steps, int[] lengths, Span<float> scores, ManagedWorkspace workspace)
    {
        workspace.CheckRows(rows);
        if (steps > Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"A batch of {steps} steps is longer than this scorer's {Steps}.");
        PaddedSteps.Check(lengths, rows, steps);
        Score(features, rows, steps, lengths, scores, workspace);
    }

    /// <summary>The checked call: <paramref name="steps"/> steps a row, each row's own in <paramref name="lengths"/> where not null.</summary>
    private protected abstract void Score(ReadOnlySpan<float> features, int rows, int steps, int[]? lengths, Span<float> scores, ManagedWorkspace workspace);

    /// <summary><paramref name="workspace"/> as the one this scorer's <see cref="CreateWorkspace"/> makes.</summary>
    private protected static TWorkspace Own<TWorkspace>(ManagedWorkspace workspace)
        where TWorkspace : ManagedWorkspace =>
        workspace as TWorkspace ?? throw new ArgumentException($"A workspace of another scorer ({workspace.GetType().Name}).", nameof(workspace));
}

/// <summary>Scratch memory of a <see cref="ManagedInference"/> for one caller at a time; each mapper (thread) and cursor has its own.</summary>
internal abstract class ManagedWorkspace
{
    private protected ManagedWorkspace(int rows)
    {
        Rows = rows;
    }

    /// <summary>The most rows one call may score.</summary>
    public int Rows { get; }

    internal void CheckRows(int rows)
    {
        if (rows < 1 || rows > Rows)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A call scores 1 to {Rows} rows with this workspace.");
    }
}
