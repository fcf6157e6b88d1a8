using System.Net;
using System.Net.Sockets;

namespace Microsoft.ML.Sru.Tests.Data;

/// <summary>The mirror source against a server on the loopback interface: nothing leaves this machine.</summary>
[TestClass]
public sealed class HttpMirrorSourceTests
{
    private const string Name = "t10k-labels-idx1-ubyte";

    [TestMethod]
    public void A_mirror_serves_name_gz_and_a_missing_file_is_a_failure_with_the_status()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Labels(1, 2, 3));
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var server = Task.Run(() => Serve(listener, new Dictionary<string, byte[]> { ["/mnist/" + Name + ".gz"] = gz }, requests: 2));

        var source = new HttpMirrorSource(new Uri($"http://127.0.0.1:{port}/mnist/"));
        var log = new List<string>();
        using var copy = new MemoryStream();

        Assert.IsTrue(source.TryFetch(Name, copy, log.Add, default, out string? failure), failure);
        CollectionAssert.AreEqual(gz, copy.ToArray());
        Assert.IsTrue(log.Any(l => l.Contains("done", StringComparison.Ordinal)), string.Join("\n", log));

        Assert.IsFalse(source.TryFetch("t10k-images-idx3-ubyte", new MemoryStream(), log.Add, default, out failure));
        StringAssert.Contains(failure, "404");
        Assert.IsTrue(server.Wait(TimeSpan.FromSeconds(10)));
    }

    [TestMethod]
    public void An_unreachable_mirror_fails_at_once_and_is_skipped_for_the_next_files()
    {
        var source = new HttpMirrorSource(new Uri($"http://127.0.0.1:{FreePort()}/mnist/"));

        Assert.IsFalse(source.TryFetch(Name, new MemoryStream(), _ => { }, default, out string? first));
        Assert.IsFalse(source.TryFetch("t10k-images-idx3-ubyte", new MemoryStream(), _ => { }, default, out string? second));

        StringAssert.Contains(first, "could not connect");
        StringAssert.StartsWith(second, "skipped: unreachable");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static void Serve(HttpListener listener, Dictionary<string, byte[]> files, int requests)
    {
        for (int i = 0; i < requests; i++)
        {
            HttpListenerContext context = listener.GetContext();
            using HttpListenerResponse response = context.Response;
            if (files.TryGetValue(context.Request.Url!.AbsolutePath, out byte[]? content))
            {
                response.ContentLength64 = content.Length;
                response.OutputStream.Write(content);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }
}
