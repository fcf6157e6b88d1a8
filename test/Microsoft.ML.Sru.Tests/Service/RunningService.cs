using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sru.ScoringService;
using Sru.ScoringService.Models;

namespace Microsoft.ML.Sru.Tests.Service;

/// <summary>
/// The scoring service started in this process on a free loopback port, serving a model file in its own temporary
/// folder, with a client; <see cref="Install"/> replaces the file the way the README advises (temporary name, rename).
/// </summary>
internal sealed class RunningService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private RunningService(WebApplication app, string directory, HttpClient client)
    {
        _app = app;
        _directory = directory;
        Client = client;
    }

    public HttpClient Client { get; }

    public string ModelPath => Path.Combine(_directory, "model.zip");

    public ModelHolder Holder => _app.Services.GetRequiredService<ModelHolder>();

    public static async Task<RunningService> StartAsync(byte[] model, string engine = "Pool", int maxRequestBytes = 65536,
        Action<IServiceCollection>? configureServices = null)
    {
        string directory = Directory.CreateTempSubdirectory("sru-service-").FullName;
        File.WriteAllBytes(Path.Combine(directory, "model.zip"), model);
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Scoring:ModelPath"] = Path.Combine(directory, "model.zip"),
            ["Scoring:Engine"] = engine,
            ["Scoring:MaxRequestBytes"] = maxRequestBytes.ToString(CultureInfo.InvariantCulture),
            ["Scoring:DebounceMilliseconds"] = "50",
            ["Scoring:PollMilliseconds"] = "300",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        WebApplication app = ScoringServiceApp.Build([], settings, configureServices);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        var service = new RunningService(app, directory, client);
        await service.WaitForAsync(health => health.GetProperty("status").GetString() == "ok", "the first model to load");
        return service;
    }

    /// <summary>Writes <paramref name="zip"/> beside the model file and renames it over it.</summary>
    public void Install(byte[] zip)
    {
        string temporary = ModelPath + ".partial";
        File.WriteAllBytes(temporary, zip);
        File.Move(temporary, ModelPath, overwrite: true);
    }

    public async Task<JsonElement> HealthAsync()
    {
        using HttpResponseMessage response = await Client.GetAsync(new Uri("/health", UriKind.Relative));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls /health until <paramref name="condition"/> holds (30 s at most).</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            JsonElement health = await HealthAsync();
            if (condition(health))
                return health;
            if (DateTime.UtcNow > deadline)
                throw new AssertFailedException($"Timed out waiting for {what}; /health says {health}");
            await Task.Delay(50);
        }
    }

    public Task<HttpResponseMessage> PredictAsync(string body) =>
        Client.PostAsync(new Uri("/predict", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

    public static string PixelsJson(float[] features) =>
        "{\"pixels\":[" + string.Join(",", features.Select(f => f.ToString("R", CultureInfo.InvariantCulture))) + "]}";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
