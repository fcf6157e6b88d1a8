using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Sru.ScoringService.Http;
using Sru.ScoringService.Models;
using Sru.ScoringService.Scoring;

namespace Sru.ScoringService;

/// <summary>Builds the service: configuration, the model's watcher and holder, the scorer, Kestrel's limits, the endpoints.</summary>
public static class ScoringServiceApp
{
    /// <param name="args">Command-line arguments (<c>--Scoring:ModelPath=…</c>, <c>--urls=…</c>).</param>
    /// <param name="settings">Settings that win over every other source (tests).</param>
    /// <param name="configureServices">Runs after the service's own registrations (tests replace parts).</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        // appsettings.json beside the program, wherever it is started from; a relative ModelPath is still the working directory's.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);

        builder.Services.AddOptions<ScoringOptions>().BindConfiguration(ScoringOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        ScoringOptions options = builder.Configuration.GetSection(ScoringOptions.Section).Get<ScoringOptions>() ?? new ScoringOptions();
        // The body limit is the reader's (a 400 naming it, then the connection closes); Kestrel's own would fail the
        // read of a chunked body early, as it reads ahead, and reset the connection under the 400.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);

        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddSingleton<ModelHolder>();
        builder.Services.AddSingleton<ModelFileWatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelFileWatcher>());
        builder.Services.AddSingleton(services =>
        {
            ScoringOptions o = services.GetRequiredService<IOptions<ScoringOptions>>().Value;
            return new FeatureVectorReader(o.InputField, o.MaxRequestBytes);
        });
        if (options.Engine == ScoringEngine.Batch)
        {
            builder.Services.AddSingleton<BatchingScorer>();
            builder.Services.AddSingleton<IPredictionScorer>(services => services.GetRequiredService<BatchingScorer>());
            builder.Services.AddHostedService(services => services.GetRequiredService<BatchingScorer>());
        }
        else
        {
            builder.Services.AddSingleton<IPredictionScorer, PooledEngineScorer>();
        }

        configureServices?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // The middleware logs the exception; the client gets a short message and the service keeps running.
            ExceptionHandler = async context =>
            {
                Exception? error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(new ErrorResponse($"internal error ({error?.GetType().Name ?? "unknown"}); see the service's log."),
                    ServiceJson.Default.ErrorResponse);
            },
        });
        ServiceEndpoints.Map(app);
        return app;
    }
}
