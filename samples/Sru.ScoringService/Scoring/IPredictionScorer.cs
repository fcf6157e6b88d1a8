using Sru.ScoringService.Models;

namespace Sru.ScoringService.Scoring;

/// <summary>Scores one feature vector (already checked: the model's length, finite) on a model the caller holds a lease on.</summary>
public interface IPredictionScorer
{
    ValueTask<float[]> ScoreAsync(LoadedModel model, float[] features, CancellationToken cancellationToken);
}
