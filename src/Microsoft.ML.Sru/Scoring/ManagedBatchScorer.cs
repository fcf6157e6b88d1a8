using System.Runtime.ExceptionServices;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;

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

    /// <param name="network">Held while scoring, so that a disposed model refuses to score as the TorchSharp path does.</param>
    /// <param name="inference">The network's weights in managed arrays.</param>
    /// <param name="spec">The network's shape.</param>
    /// <param name="maxRows">The most rows a call scores.</param>
    public ManagedBatchScorer(SharedNetwork network, ManagedInference inference, NetworkSpec spec, int maxRows)
    {
        _network = network;
        _inference = inference;
        _featureCount = spec.FeatureCount;
        _classCount = spec.HeadWidth;
        int parts = PartsFor(maxRows, Environment.ProcessorCount);
        _workspaces = Enumerable.Range(0, parts).Select(_ => inference.CreateWorkspace((maxRows + parts - 1) / parts)).ToArray();
    }

    /// <summary>How many parts <paramref name="rows"/> rows are split into, at most <paramref name="most"/>.</summary>
    private static int PartsFor(int rows, int most) => Math.Clamp(rows / MinimumRowsPerPart, 1, most);

    public void Score(float[] features, int rows, float[] scores)
    {
        using SharedNetwork.Hold hold = _network.Acquire();
        int parts = PartsFor(rows, _workspaces.Length);
        if (parts == 1)
        {
            _inference.Score(features.AsSpan(0, rows * _featureCount), rows, scores, _workspaces[0]);
            return;
        }
        try
        {
            KernelThreads.For(parts, part =>
            {
                int first = rows * part / parts, count = rows * (part + 1) / parts - first;
                _inference.Score(features.AsSpan(first * _featureCount, count * _featureCount), count,
                    scores.AsSpan(first * _classCount, count * _classCount), _workspaces[part]);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // As a single part would throw it.
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
