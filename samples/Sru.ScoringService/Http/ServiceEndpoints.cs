using Microsoft.Extensions.Options;
using Sru.ScoringService.Models;
using Sru.ScoringService.Scoring;

namespace Sru.ScoringService.Http;

/// <summary><c>POST /predict</c> and <c>GET /health</c>.</summary>
public static class ServiceEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/predict", PredictAsync);
        app.MapGet("/health", Health);
    }

    private static async Task<IResult> PredictAsync(HttpContext context, FeatureVectorReader reader, ModelHolder holder, IPredictionScorer scorer, IOptions<ScoringOptions> options)
    {
        (float[]? features, string? error) = await reader.ReadAsync(context.Request, context.RequestAborted);
        if (features is null)
            return BadRequest(error!);
        using ModelLease? lease = holder.TryAcquire();
        if (lease is null)
            return Error(StatusCodes.Status503ServiceUnavailable, $"no model loaded yet: {holder.LastRefusal?.Reason ?? "the model file is being read or does not exist"}");
        LoadedModel model = lease.Model;
        if (features.Length != model.FeatureLength)
            return BadRequest($"{options.Value.InputField}: expected {model.FeatureLength} numbers, got {features.Length}.");
        float[] scores = await scorer.ScoreAsync(model, features, context.RequestAborted);
        int slot = ArgMax(scores);
        return TypedResults.Json(new PredictResponse(model.Classes[slot], slot, scores, model.Version.Name), ServiceJson.Default.PredictResponse);
    }

    private static IResult Health(ModelHolder holder, IOptions<ScoringOptions> options)
    {
        LoadedModel? model = holder.Current;
        ModelRefusal? refusal = holder.LastRefusal;
        var health = new HealthResponse(
            model is null ? "no model" : "ok",
            Path.GetFullPath(options.Value.ModelPath),
            model?.Version.Name,
            model?.Version.Generation,
            model?.FeatureLength,
            model?.Classes,
            options.Value.Engine.ToString(),
            refusal is null ? null : new RefusalResponse(refusal.AtUtc, refusal.Sha256, refusal.Reason));
        return TypedResults.Json(health, ServiceJson.Default.HealthResponse, statusCode: model is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, message);

    public static IResult Error(int status, string message) =>
        TypedResults.Json(new ErrorResponse(message), ServiceJson.Default.ErrorResponse, statusCode: status);

    private static int ArgMax(float[] scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
                best = i;
        }
        return best;
    }
}
