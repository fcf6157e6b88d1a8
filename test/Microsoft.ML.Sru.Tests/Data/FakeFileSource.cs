using System.Diagnostics.CodeAnalysis;

namespace Microsoft.ML.Sru.Tests.Data;

/// <summary>A fetch source for the tests: serves fixed files, fails, or breaks off in the middle of a file.</summary>
internal sealed class FakeFileSource : IMnistFileSource
{
    private readonly Dictionary<string, byte[]> _files;
    private readonly List<string> _calls;

    public FakeFileSource(string name, List<string> calls, Dictionary<string, byte[]>? files = null)
    {
        Description = name;
        _calls = calls;
        _files = files ?? new Dictionary<string, byte[]>();
    }

    public string Description { get; }

    /// <summary>When set, writes this many bytes of the file and then throws, as a dropped connection would.</summary>
    public int? BreakAfterBytes { get; init; }

    public bool TryFetch(string fileName, Stream destination, Action<string> log, CancellationToken cancellationToken, [NotNullWhen(false)] out string? failure)
    {
        _calls.Add($"{Description}:{fileName}");
        if (!_files.TryGetValue(fileName, out byte[]? content))
        {
            failure = $"{Description} has no {fileName}";
            return false;
        }
        if (BreakAfterBytes is int cut)
        {
            destination.Write(content, 0, Math.Min(cut, content.Length));
            destination.Flush();
            throw new IOException("connection reset by peer");
        }
        destination.Write(content);
        failure = null;
        return true;
    }
}
