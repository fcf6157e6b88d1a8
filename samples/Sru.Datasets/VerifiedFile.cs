using System.Security.Cryptography;

namespace Sru.Datasets;

/// <summary>Checks a data file against the SHA-256 of the version whose figures the project reports.</summary>
internal static class VerifiedFile
{
    /// <summary>Throws <see cref="DatasetException"/> naming the file, both checksums and where the expected version comes from.</summary>
    public static void Check(string path, string expectedSha256, string source)
    {
        string actual;
        using (FileStream file = File.OpenRead(path))
            actual = Convert.ToHexStringLower(SHA256.HashData(file));
        if (actual != expectedSha256)
            throw new DatasetException($"'{path}' is not the file this project reads: its SHA-256 is {actual}, expected {expectedSha256} ({source}).");
    }
}
