using System.Text.Json.Serialization;

namespace Sru.ScoringService.Http;

/// <summary>The answer of <c>POST /predict</c>: the class (the label the model was trained with), its Score slot, every slot's probability, and which model file answered.</summary>
public sealed record PredictResponse(
    [property: JsonPropertyName("class")] string Class,
    [property: JsonPropertyName("slot")] int Slot,
    [property: JsonPropertyName("scores")] float[] Scores,
    [property: JsonPropertyName("modelVersion")] string ModelVersion);

/// <summary>Any error: 400 (the request is wrong, the field named), 503 (no model loaded yet), 500 (a fault of the service).</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

/// <summary>The answer of <c>GET /health</c>.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("modelPath")] string ModelPath,
    [property: JsonPropertyName("modelVersion")] string? ModelVersion,
    [property: JsonPropertyName("generation")] long? Generation,
    [property: JsonPropertyName("featureLength")] int? FeatureLength,
    [property: JsonPropertyName("classes")] IReadOnlyList<string>? Classes,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("lastRefusal")] RefusalResponse? LastRefusal);

public sealed record RefusalResponse(
    [property: JsonPropertyName("atUtc")] DateTime AtUtc,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("reason")] string Reason);

[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class ServiceJson : JsonSerializerContext;
