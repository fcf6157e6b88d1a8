using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sru.ScoringService.Http;

/// <summary>
/// Reads <c>{"pixels": [n numbers]}</c> (the field name is <see cref="ScoringOptions.InputField"/>) from a request
/// body of at most <see cref="ScoringOptions.MaxRequestBytes"/>, or says what is wrong, naming the field: a body too
/// large, not JSON, no such field, an element that is not a number or not finite as a 32-bit float.
/// </summary>
public sealed class FeatureVectorReader(string field, int maxBytes)
{
    /// <summary>The feature vector, or null and a message for a 400 response.</summary>
    public async Task<(float[]? Features, string? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
            return (null, TooLarge(request));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            int length = 0;
            int read;
            while (length <= maxBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(length, maxBytes + 1 - length), cancellationToken)) > 0)
                length += read;
            if (length > maxBytes)
                return (null, TooLarge(request));
            return Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The message for a body over the limit; the connection closes after the answer, so the rest of the body is never read.</summary>
    private string TooLarge(HttpRequest request)
    {
        request.HttpContext.Response.Headers.Connection = "close";
        return string.Create(CultureInfo.InvariantCulture, $"request body: larger than the limit of {maxBytes:N0} bytes (Scoring:MaxRequestBytes).");
    }

    private (float[]? Features, string? Error) Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return (null, $"request body: empty; expected a JSON object {{\"{field}\": [numbers]}}.");
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
        float[]? features = null;
        int index = -1;   // the element being read, while inside the array
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                return (null, $"request body: expected a JSON object {{\"{field}\": [numbers]}}, got {Describe(reader.TokenType)}.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals(field))
                {
                    reader.Skip();
                    continue;
                }
                if (features is not null)
                    return (null, $"{field}: given twice.");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                    return (null, $"{field}: expected an array of numbers, got {Describe(reader.TokenType)}.");
                float[] values = ArrayPool<float>.Shared.Rent(1024);
                try
                {
                    for (index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
                    {
                        if (reader.TokenType != JsonTokenType.Number)
                            return (null, $"{field}[{index}]: expected a number, got {Describe(reader.TokenType)}{Quoted(ref reader)}.");
                        if (!reader.TryGetDouble(out double value) || !float.IsFinite((float)value))
                            return (null, $"{field}[{index}]: {Raw(ref reader)} is not a finite 32-bit number.");
                        if (index == values.Length)
                        {
                            float[] larger = ArrayPool<float>.Shared.Rent(2 * values.Length);
                            values.AsSpan().CopyTo(larger);
                            ArrayPool<float>.Shared.Return(values);
                            values = larger;
                        }
                        values[index] = (float)value;
                    }
                    features = values.AsSpan(0, index).ToArray();
                    index = -1;
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(values);
                }
            }
            // Read to the end, so that trailing garbage is refused too.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            string where = index >= 0 ? $"{field}[{index}]: not a JSON number (JSON has no NaN or Infinity); " : "";
            return (null, $"{where}request body is not valid JSON: {e.Message}");
        }
        return features is null
            ? (null, $"{field}: missing; expected a JSON object {{\"{field}\": [numbers]}}.")
            : (features, null);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Quoted(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.String ? $" \"{Shorten(reader.GetString() ?? "")}\"" : "";

    private static string Raw(ref Utf8JsonReader reader) => Shorten(System.Text.Encoding.UTF8.GetString(reader.ValueSpan));

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
