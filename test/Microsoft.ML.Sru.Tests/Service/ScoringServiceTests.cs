using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Sru.Tests.Trainers;
using Sru.ScoringService.Models;
using Sru.ScoringService.Scoring;
using Kind = Microsoft.ML.Sru.Tests.Service.ServiceModels.Kind;

namespace Microsoft.ML.Sru.Tests.Service;

/// <summary>
/// The scoring service (samples/Sru.ScoringService) in-process on a loopback port: answers under concurrent load
/// while its model file is replaced (also by damaged and unfit files, which it refuses), serves every model kind,
/// turns bad requests into 400s naming the field and a fault into a 500 without going down.
/// </summary>
[TestClass]
public sealed class ScoringServiceTests
{
    private static readonly List<OrderedMarkers.Row> Rows = OrderedMarkers.Generate(64, seed: 77);

    private sealed record Answer(int Row, HttpStatusCode Status, string Body);

    [TestMethod]
    [DataRow("Pool")]
    [DataRow("Batch")]
    public async Task Every_request_during_repeated_model_swaps_gets_the_scores_of_the_model_version_it_names(string engine)
    {
        byte[] first = ServiceModels.Zip(Kind.Sru, seed: 1), second = ServiceModels.Zip(Kind.Sru, seed: 2);
        await using RunningService service = await RunningService.StartAsync(first, engine);
        var served = new List<LoadedModel> { service.Holder.Current! };

        var answers = new ConcurrentQueue<Answer>();
        using var stop = new CancellationTokenSource();
        Task[] clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            for (int n = c; !stop.IsCancellationRequested; n += 4)
            {
                int row = n % Rows.Count;
                using HttpResponseMessage response = await service.PredictAsync(RunningService.PixelsJson(Rows[row].Features));
                answers.Enqueue(new Answer(row, response.StatusCode, await response.Content.ReadAsStringAsync()));
            }
        })).ToArray();

        // Good, damaged, good, unfit, good: each good file is served, each bad one refused while the last good one serves on.
        foreach (byte[] zip in new[] { second, ServiceModels.Truncated(), first, ServiceModels.NotAClassifier(), second })
        {
            string before = (await service.HealthAsync()).GetProperty("modelVersion").GetString()!;
            int answered = answers.Count;
            string sha = Convert.ToHexStringLower(SHA256.HashData(zip));
            service.Install(zip);
            bool good = zip == first || zip == second;
            JsonElement health = await service.WaitForAsync(h => good
                ? h.GetProperty("modelVersion").GetString() != before
                : h.GetProperty("lastRefusal") is { ValueKind: JsonValueKind.Object } refusal && refusal.GetProperty("sha256").GetString() == sha,
                good ? "the new model to serve" : "the bad file to be refused");
            if (good)
            {
                StringAssert.EndsWith(health.GetProperty("modelVersion").GetString(), "-" + sha[..12]);
                served.Add(service.Holder.Current!);
            }
            else
            {
                Assert.AreEqual(before, health.GetProperty("modelVersion").GetString(), "a refused file leaves the model in service");
            }
            // Let requests flow on the new state before the next swap.
            while (answers.Count < answered + 20)
                await Task.Delay(10);
        }
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        // Every answer is a 200 with the exact scores of the version it names (each file's own PredictionEngine).
        var expected = new Dictionary<string, float[][]>
        {
            [Convert.ToHexStringLower(SHA256.HashData(first))[..12]] = ServiceModels.Scores(first, Rows),
            [Convert.ToHexStringLower(SHA256.HashData(second))[..12]] = ServiceModels.Scores(second, Rows),
        };
        var versions = new HashSet<string>();
        foreach (Answer answer in answers)
        {
            Assert.AreEqual(HttpStatusCode.OK, answer.Status, answer.Body);
            JsonElement body = JsonDocument.Parse(answer.Body).RootElement;
            string version = body.GetProperty("modelVersion").GetString()!;
            versions.Add(version);
            float[] scores = body.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()).ToArray();
            CollectionAssert.AreEqual(expected[version[^12..]][answer.Row], scores, $"row {answer.Row} on {version}");
            int slot = body.GetProperty("slot").GetInt32();
            Assert.AreEqual(scores.Max(), scores[slot]);
            Assert.AreEqual(slot.ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("class").GetString(), "the labels are 0, 1, 2");
        }
        Assert.HasCount(4, versions, $"the four good installs each answered: {string.Join(", ", versions)}");
        Assert.IsGreaterThan(100, answers.Count);

        // The models swapped out were disposed once their requests ended; the one in service was not.
        for (int i = 0; i < served.Count - 1; i++)
            Assert.IsTrue(served[i].IsDisposed, $"model {served[i].Version} was swapped out but not disposed");
        Assert.IsFalse(served[^1].IsDisposed);
        Assert.AreSame(served[^1], service.Holder.Current);
    }

    [TestMethod]
    public async Task Each_model_kind_is_served_with_its_own_scores_and_feature_length_read_from_the_model()
    {
        await using RunningService service = await RunningService.StartAsync(ServiceModels.Zip(Kind.Sru));
        foreach (Kind kind in Enum.GetValues<Kind>())
        {
            byte[] zip = ServiceModels.Zip(kind);
            string sha = Convert.ToHexStringLower(SHA256.HashData(zip));
            service.Install(zip);
            JsonElement health = await service.WaitForAsync(h => h.GetProperty("modelVersion").GetString()!.EndsWith(sha[..12], StringComparison.Ordinal), $"the {kind} model to serve");
            Assert.AreEqual(OrderedMarkers.FeatureCount, health.GetProperty("featureLength").GetInt32(), kind.ToString());
            CollectionAssert.AreEqual(new[] { "0", "1", "2" }, health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray(), kind.ToString());

            float[][] expected = ServiceModels.Scores(zip, Rows.Take(5));
            for (int row = 0; row < 5; row++)
            {
                using HttpResponseMessage response = await service.PredictAsync(RunningService.PixelsJson(Rows[row].Features));
                string body = await response.Content.ReadAsStringAsync();
                Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, $"{kind}: {body}");
                float[] scores = JsonDocument.Parse(body).RootElement.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()).ToArray();
                CollectionAssert.AreEqual(expected[row], scores, $"{kind}, row {row}");
            }
        }
    }

    /// <summary>Each bad request's body and the start of what the 400 must say.</summary>
    private static readonly Dictionary<string, (string Body, string Message)> Bad = BadRequestCases();

    public static IEnumerable<object[]> BadRequests() => Bad.Keys.Select(what => new object[] { what });

    private static Dictionary<string, (string Body, string Message)> BadRequestCases()
    {
        string good = RunningService.PixelsJson(Rows[0].Features);
        string Replace(int index, string value) => "{\"pixels\":[" + string.Join(",", Enumerable.Range(0, OrderedMarkers.FeatureCount).Select(i => i == index ? value : "0.1")) + "]}";
        return new()
        {
            ["too short"] = ("{\"pixels\":[0.1,0.2]}", "pixels: expected 32 numbers, got 2."),
            ["too long"] = ("{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0", 33)) + "]}", "pixels: expected 32 numbers, got 33."),
            ["NaN literal"] = (Replace(5, "NaN"), "pixels[5]: not a JSON number"),
            ["NaN string"] = (Replace(6, "\"NaN\""), "pixels[6]: expected a number, got a string \"NaN\"."),
            ["Infinity literal"] = (Replace(7, "Infinity"), "pixels[7]: not a JSON number"),
            ["beyond float"] = (Replace(8, "1e39"), "pixels[8]: 1e39 is not a finite 32-bit number."),
            ["null element"] = (Replace(9, "null"), "pixels[9]: expected a number, got null."),
            ["not JSON"] = ("pixels=1,2,3", "request body is not valid JSON"),
            ["empty"] = ("", "request body: empty"),
            ["an array, not an object"] = ("[1,2,3]", "request body: expected a JSON object"),
            ["field missing"] = ("{\"features\":[1,2]}", "pixels: missing"),
            ["field not an array"] = ("{\"pixels\":\"0,1\"}", "pixels: expected an array of numbers, got a string."),
            ["field twice"] = ("{\"pixels\":[1],\"pixels\":[2]}", "pixels: given twice."),
            ["trailing garbage"] = (good + "}", "request body is not valid JSON"),
            ["oversized"] = ("{\"pixels\":[" + string.Join(",", Enumerable.Repeat("0.123456789", 1000)) + "]}", "request body: larger than the limit of 4,096 bytes"),
        };
    }

    [TestMethod]
    [DynamicData(nameof(BadRequests))]
    public async Task A_bad_request_gets_400_naming_the_field_and_never_reaches_the_model(string what)
    {
        (string body, string message) = Bad[what];
        var scorer = new CountingScorer();
        await using RunningService service = await RunningService.StartAsync(ServiceModels.Zip(Kind.Sru), maxRequestBytes: 4096,
            configureServices: services => services.AddSingleton<IPredictionScorer>(scorer));

        foreach (bool chunked in new[] { false, true })
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
            request.Headers.TransferEncodingChunked = chunked;
            using HttpResponseMessage response = await service.Client.SendAsync(request);
            string answer = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, $"{what} (chunked: {chunked}): {answer}");
            StringAssert.Contains(JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString(), message, what);
        }
        Assert.AreEqual(0, scorer.Calls, "a bad request reached the model");

        using HttpResponseMessage fine = await service.PredictAsync(RunningService.PixelsJson(Rows[0].Features));
        Assert.AreEqual(HttpStatusCode.OK, fine.StatusCode, "the service answers good requests after bad ones");
        Assert.AreEqual(1, scorer.Calls);
    }

    [TestMethod]
    public async Task A_fault_while_scoring_gets_a_short_500_and_the_service_keeps_answering()
    {
        var scorer = new CountingScorer { FailFirst = true };
        await using RunningService service = await RunningService.StartAsync(ServiceModels.Zip(Kind.Sru),
            configureServices: services => services.AddSingleton<IPredictionScorer>(scorer));
        string request = RunningService.PixelsJson(Rows[0].Features);

        using HttpResponseMessage failed = await service.PredictAsync(request);
        string body = await failed.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.InternalServerError, failed.StatusCode, body);
        string error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        StringAssert.StartsWith(error, "internal error (InvalidOperationException)");
        Assert.DoesNotContain("at ", error, "no stack trace goes to the client");

        using HttpResponseMessage next = await service.PredictAsync(request);
        Assert.AreEqual(HttpStatusCode.OK, next.StatusCode, await next.Content.ReadAsStringAsync());
    }

    /// <summary>Scores through a pooled engine, counting calls; optionally throws on the first.</summary>
    private sealed class CountingScorer : IPredictionScorer
    {
        private readonly PooledEngineScorer _inner = new();
        private int _calls;

        public bool FailFirst { get; init; }

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<float[]> ScoreAsync(LoadedModel model, float[] features, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1 && FailFirst)
                throw new InvalidOperationException("A fault the test injects.");
            return _inner.ScoreAsync(model, features, cancellationToken);
        }
    }
}
