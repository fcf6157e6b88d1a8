using Microsoft.ML;
using Sru.ScoringService.Models;

namespace Sru.ScoringService.Scoring;

/// <summary><see cref="ScoringEngine.Pool"/>: the request's thread scores its row on a PredictionEngine from the model's pool.</summary>
public sealed class PooledEngineScorer : IPredictionScorer
{
    public ValueTask<float[]> ScoreAsync(LoadedModel model, float[] features, CancellationToken cancellationToken)
    {
        PredictionEngine<ModelInput, ModelOutput> engine = model.Engines.Get();
        try
        {
            return ValueTask.FromResult(engine.Predict(new ModelInput { Features = features }).Score);
        }
        finally
        {
            model.Engines.Return(engine);
        }
    }
}
