using System.Globalization;

namespace Sru.ScoringService.Models;

/// <summary>
/// Which model file a response came from: the file's last write time and the first 12 hex digits of its SHA-256
/// (e.g. <c>20261205T091502.123Z-3f2a9c1b7d0e</c>), and the service's load counter.
/// </summary>
public sealed record ModelVersion(DateTime FileTimeUtc, string Sha256, long Generation)
{
    public string Name { get; } = string.Create(CultureInfo.InvariantCulture, $"{FileTimeUtc:yyyyMMdd'T'HHmmss.fff'Z'}-{Sha256[..12]}");

    public override string ToString() => Name;
}
