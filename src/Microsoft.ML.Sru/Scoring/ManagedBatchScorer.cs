using System.Runtime.ExceptionServices;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML.Sru.Scoring;

/// <summary>
/// Scores a network in managed code (<see cref="ManagedInference"/>: SRU, LSTM, GRU): a batch of at least
/// <see cref="MinimumRowsPerPart"/> rows a core is split evenly over the cores, a workspace and a thread each.
/// </summary>
internal sealed class ManagedBatchScorer : IBatchScorer
{
    /// <summary>Below this many rows a part, splitting a batch over the cores costs more than it saves.</summary>
    private const int MinimumRowsPerPart = 8;

    private readonly SharedNetwork _network;
    private readonly ManagedInference _inference;
    private readonly ManagedWorkspace[] _workspaces;
    private readonly int _featureCount;
    private readonly int _classCount;

    // Tokens' embedding [rows, width], row 0 the unknown token's zeros; null for networks that read values.
    private readonly float[]? _embedding;
    private readonly int _stepWidth;
    private float[] _embedded = [];

    /// <param name="network">Held while scoring, so that a disposed model refuses to score as the TorchSharp path does.</param>
    /// <param name="inference">The network's weights in managed arrays.</param>
    /// <param name="spec">The network's shape.</param>
    /// <param name="maxRows">The most rows a call scores.</param>
    /// <param name="embedding">The token embedding's weights [rows, StepSize] for a network that reads tokens; null otherwise.</param>
    public ManagedBatchScorer(SharedNetwork network, ManagedInference inference, NetworkSpec spec, int maxRows, float[]? embedding = null)
    {
        _embedding = embedding;
        _stepWidth = spec.StepSize;
        _network = network;
        _inference = inference;
        _featureCount = spec.FeatureCount;
        _classCount = spec.HeadWidth;
        int parts = PartsFor(maxRows, Environment.ProcessorCount);
        _workspaces = Enumerable.Range(0, parts).Select(_ => inference.CreateWorkspace((maxRows + parts - 1) / parts)).ToArray();
    }

    /// <summary>How many parts <paramref name="rows"/> rows are split into, at most <paramref name="most"/>.</summary>
    private static int PartsFor(int rows, int most) => Math.Clamp(rows / MinimumRowsPerPart, 1, most);

    public void ScorePadded(float[] features, int rows, int[] lengths, float[] scores)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        int steps = PaddedSteps.Longest(lengths.AsSpan(0, rows));
        float[] source = _embedding is null ? features : Embed(features.AsSpan(0, rows * steps));
        ScoreInParts(source, rows, steps * _stepWidth, steps, lengths, scores);
    }

    public void Score(float[] features, int rows, float[] scores)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        ScoreInParts(features, rows, _featureCount, steps: 0, lengths: null, scores);
    }

    /// <summary>Each token (an embedding row's index) replaced by its embedding's values, in a buffer this scorer keeps.</summary>
    private float[] Embed(ReadOnlySpan<float> tokens)
    {
        if (_embedded.Length < tokens.Length * _stepWidth)
            _embedded = new float[tokens.Length * _stepWidth];
        for (int i = 0; i < tokens.Length; i++)
            _embedding.AsSpan((int)tokens[i] * _stepWidth, _stepWidth).CopyTo(_embedded.AsSpan(i * _stepWidth));
        return _embedded;
    }

    /// <summary>
    /// Scores <paramref name="rows"/> rows of <paramref name="rowWidth"/> values, split over the cores where the batch is
    /// large enough: full-length rows where <paramref name="lengths"/> is null, otherwise rows padded to
    /// <paramref name="steps"/> steps, every part keeping the batch's padding (its rows lie at the batch's width).
    /// </summary>
    private void ScoreInParts(float[] source, int rows, int rowWidth, int steps, int[]? lengths, float[] scores)
    {
        int parts = PartsFor(rows, _workspaces.Length);
        void Part(int part)
        {
            int first = rows * part / parts, count = rows * (part + 1) / parts - first;
            ReadOnlySpan<float> x = source.AsSpan(first * rowWidth, count * rowWidth);
            Span<float> y = scores.AsSpan(first * _classCount, count * _classCount);
            if (lengths is null)
                _inference.Score(x, count, y, _workspaces[part]);
            else
                _inference.ScorePadded(x, count, steps, lengths[first..(first + count)], y, _workspaces[part]);
        }

        if (parts == 1)
        {
            Part(0);
            return;
        }
        try
        {
            KernelThreads.For(parts, Part);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // As a single part would throw it.
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
