namespace Microsoft.ML.Sru;

/// <summary>One file to acquire: its name (without <c>.gz</c>), its number of IDX dimensions, and the SHA-256 of its decompressed content.</summary>
/// <param name="Name">The file's name, such as <c>t10k-images-idx3-ubyte</c>; <c>Name + ".gz"</c> is accepted too.</param>
/// <param name="Dimensions">3 for an image file, 1 for a label file.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the decompressed file.</param>
internal sealed record MnistFileSpec(string Name, int Dimensions, string Sha256)
{
    /// <summary>Reads and checks a file that claims to be this one; throws <see cref="MnistDataException"/> naming it when it is not.</summary>
    public IdxFile ReadVerified(string path, CancellationToken cancellationToken)
    {
        IdxFile file = IdxReader.Read(path, Dimensions, cancellationToken);
        if (!string.Equals(file.Sha256, Sha256, StringComparison.OrdinalIgnoreCase))
            throw new MnistDataException(file.Path,
                $"MNIST file '{file.Path}' is not the published {Name}: the SHA-256 of its decompressed content is {file.Sha256}, expected {Sha256}.");
        return file;
    }
}
