using Microsoft.ML;
using Sru.MnistSample.Cli;

namespace Sru.MnistSample.Models;

/// <summary>Saved model zips: loading with exit code 4 on any failure, saving without leaving half a file behind.</summary>
internal static class ModelFile
{
    public static ITransformer Load(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path))
            throw new SampleException(ExitCode.ModelUnreadable, $"Model file '{path}' does not exist.");
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

    /// <summary>Saves atomically (the library's SaveAtomically), since ML.NET's Save empties the target before writing.</summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            throw SampleException.Usage($"--output: the directory '{directory}' does not exist.");
        ml.Model.SaveAtomically(model, inputSchema, path);
    }
}
