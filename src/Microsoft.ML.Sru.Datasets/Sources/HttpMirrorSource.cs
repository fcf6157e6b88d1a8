using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Microsoft.ML.Sru;

/// <summary>
/// Downloads <c>name.gz</c> from a public MNIST mirror over HTTPS. Connecting is given a few seconds, and a
/// download that stalls is abandoned; once the mirror could not be reached, the remaining files of the same
/// load skip it at once instead of waiting again.
/// </summary>
internal sealed class HttpMirrorSource : IMnistFileSource
{
    /// <summary>How long connecting may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long the response headers may take to arrive.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a download may go without receiving a byte.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = ConnectTimeout,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = ResponseTimeout,
    });

    private readonly Uri _baseUri;
    private string? _unreachable;

    /// <param name="baseUri">The mirror's directory, ending in '/'.</param>
    public HttpMirrorSource(Uri baseUri)
    {
        _baseUri = baseUri;
        Description = $"mirror {baseUri}";
    }

    public string Description { get; }

    public bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure)
    {
        if (_unreachable is not null)
        {
            failure = $"skipped: unreachable for an earlier file ({_unreachable})";
            return false;
        }
        var uri = new Uri(_baseUri, fileName + ".gz");
        log($"Downloading {uri}");
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            response = SharedClient.Value.Send(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            _unreachable = failure = $"could not connect: {e.Message}";
            return false;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            _unreachable = failure = $"no answer within {ResponseTimeout.TotalSeconds:F0} s ({e.Message})";
            return false;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                failure = $"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}";
                return false;
            }
            using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            watchdog.CancelAfter(StallTimeout);
            // A synchronous read cannot be cancelled: disposing the response makes it fail instead.
            using var abort = watchdog.Token.Register(response.Dispose);
            try
            {
                using Stream body = response.Content.ReadAsStream(watchdog.Token);
                DownloadProgress.Copy(body, destination, uri.ToString(), response.Content.Headers.ContentLength, log, cancellationToken,
                    onChunk: () => watchdog.CancelAfter(StallTimeout));
            }
            catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException
                                      && !cancellationToken.IsCancellationRequested)
            {
                failure = watchdog.IsCancellationRequested
                    ? $"the download stalled for {StallTimeout.TotalSeconds:F0} s"
                    : $"the download failed: {e.Message}";
                return false;
            }
        }
        failure = null;
        return true;
    }
}
