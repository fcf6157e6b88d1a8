using System.IO.Compression;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML;

/// <summary>Saving a model so that an existing file is replaced atomically.</summary>
public static class AtomicSaveCatalog
{
    /// <summary>
    /// Saves <paramref name="model"/> like <c>Model.Save</c>, but replaces <paramref name="filePath"/> atomically:
    /// the zip is written to a temporary file in the same folder, flushed to the disk, and renamed over the target.
    /// <c>Model.Save</c> empties the target before writing, so a reader (a service watching the file) or a crash in
    /// between sees a truncated model; here a reader sees either the old model or the whole new one. If saving fails,
    /// the existing file is unchanged and no temporary file is left behind.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the data the model was trained on, as for <c>Model.Save</c>.</param>
    /// <param name="filePath">The model file to create or replace; its folder must exist.</param>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        AtomicFile.Write(filePath, stream => catalog.Save(model, inputSchema, stream));
    }

    /// <summary>
    /// Saves <paramref name="model"/> atomically as <see cref="SaveAtomically(ModelOperationsCatalog, ITransformer, DataViewSchema, string)"/>
    /// does, with entries of the caller's own added to the zip before it replaces <paramref name="filePath"/> (for example
    /// the name of the data set the model was trained on). ML.NET reads only the entries it wrote, so the file stays a
    /// standard model zip; entry names must not collide with ML.NET's (use a folder of your own).
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the data the model was trained on, as for <c>Model.Save</c>.</param>
    /// <param name="filePath">The model file to create or replace; its folder must exist.</param>
    /// <param name="addEntries">Adds entries to the saved zip; when it throws, nothing is replaced.</param>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath,
        Action<ZipArchive> addEntries)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        ArgumentNullException.ThrowIfNull(addEntries);
        AtomicFile.Write(filePath, stream =>
        {
            // ZipArchive's update mode needs a seekable, readable stream: the zip is completed in memory first.
            using var zipBytes = new MemoryStream();
            catalog.Save(model, inputSchema, zipBytes);
            using (var zip = new ZipArchive(zipBytes, ZipArchiveMode.Update, leaveOpen: true))
                addEntries(zip);
            zipBytes.Position = 0;
            zipBytes.CopyTo(stream);
        });
    }
}
