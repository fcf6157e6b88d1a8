using System.IO.Compression;
using Microsoft.ML;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Output;

namespace Sru.MnistSample.Models;

/// <summary>
/// Saved model zips: checked as ML.NET model zips before ML.NET reads them (exit code 4 naming the file),
/// saved atomically, never over an existing file unless asked, and tagged with the data set they were trained on.
/// </summary>
internal static class ModelFile
{
    /// <summary>
    /// The sample's own entry in the zip: the training data set's name ("mnist" or "fashion"). ML.NET reads only the
    /// entries it wrote, so the zip stays a standard model that any ML.NET app loads.
    /// </summary>
    public const string DatasetEntry = "Sru.MnistSample/Dataset.txt";

    /// <summary>Loads a model zip; any failure is exit code 4 with a message naming the file.</summary>
    /// <param name="trainedOn">The data set the sample recorded when it saved the model; null for other zips.</param>
    public static ITransformer Load(MLContext ml, string path, out DataViewSchema inputSchema, out DatasetName? trainedOn)
    {
        if (Directory.Exists(path))
            throw new SampleException(ExitCode.ModelUnreadable, $"'{path}' is a directory, not an ML.NET model zip.");
        if (!File.Exists(path))
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' does not exist.");
        trainedOn = ReadDataset(path);
        try
        {
            return ml.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // ML.NET calls loaders by reflection: the reason is the innermost exception.
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' could not be loaded: {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>Warns on stderr when the model was trained on another data set than the one it is about to score.</summary>
    public static void WarnIfTrainedOnAnother(string path, DatasetName? trainedOn, DatasetName dataset)
    {
        if (trainedOn is DatasetName trained && trained != dataset)
        {
            Console.Error.WriteLine($"warning: '{path}' was trained on {trained.Title()}, but this runs it on {dataset.Title()} (--dataset {LowerCaseEnum.Name(dataset)}): " +
                $"its classes are {trained.Title()}'s, so the results mean little. Use --dataset {LowerCaseEnum.Name(trained)} for its own test split.");
        }
    }

    /// <summary>
    /// The exit-code-2 error for an <c>--output</c> that cannot be written, checked before any training: a missing
    /// or read-only directory, or an existing file without <paramref name="overwrite"/>. Null when it is fine.
    /// </summary>
    public static string? CheckOutput(string path, bool overwrite)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            return $"--output '{path}' is a directory; give a file name such as '{Path.Combine(path, "model.zip")}'.";
        if (File.Exists(full) && !overwrite)
            return $"'{path}' already exists; add --force to overwrite it, or choose another --output.";
        string directory = Path.GetDirectoryName(full)!;
        return OutputDirectory.Check(directory, "--output") is { } problem ? problem : null;
    }

    /// <summary>
    /// Saves atomically (the library's <c>Model.SaveAtomically</c>) with <see cref="DatasetEntry"/> added: a failed save
    /// leaves the old file (if any) as it was, and no half-written file.
    /// </summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, DatasetName dataset, string path, bool overwrite)
    {
        if (!overwrite && File.Exists(path))
            throw SampleException.Usage($"'{path}' appeared while training; add --force to overwrite it, or choose another --output.");
        ml.Model.SaveAtomically(model, inputSchema, path, zip =>
        {
            using var writer = new StreamWriter(zip.CreateEntry(DatasetEntry).Open());
            writer.Write(LowerCaseEnum.Name(dataset));
        });
    }

    /// <summary>The recorded data set, or null for a zip the sample did not save; exit code 4 for a file that is no ML.NET model zip.</summary>
    private static DatasetName? ReadDataset(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new SampleException(ExitCode.ModelUnreadable, $"'{path}' is not an ML.NET model zip: {WhatItIs(path)}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' cannot be read: {e.Message}");
        }
        using (zip)
        {
            // Every ML.NET model zip has a Model.key for its top-level transformer.
            if (!zip.Entries.Any(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal)))
                throw new SampleException(ExitCode.ModelUnreadable, $"'{path}' is not an ML.NET model zip: it is a zip file without a saved model (no Model.key).");
            ZipArchiveEntry? entry = zip.GetEntry(DatasetEntry);
            if (entry is null)
                return null;
            using var reader = new StreamReader(entry.Open());
            string name = reader.ReadToEnd().Trim();
            return Enum.GetValues<DatasetName>().Cast<DatasetName?>().FirstOrDefault(d => LowerCaseEnum.Name(d!.Value) == name);
        }
    }

    // A PNG passed where a model belongs is a likely slip: say so.
    private static string WhatItIs(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int read;
        using (var file = File.OpenRead(path))
            read = file.Read(head);
        ReadOnlySpan<byte> png = [0x89, (byte)'P', (byte)'N', (byte)'G'];
        if (read == 0)
            return "the file is empty";
        return head[..read].StartsWith(png) ? "it is a PNG image (images go after the model: predict MODEL IMAGE…)" : "it is not a zip file";
    }
}
