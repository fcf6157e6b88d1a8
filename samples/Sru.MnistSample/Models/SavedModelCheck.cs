using System.Globalization;
using Microsoft.ML;
using Sru.MnistSample.Cli;
using Sru.MnistSample.Data;
using Sru.MnistSample.Output;

namespace Sru.MnistSample.Models;

/// <summary>
/// What <c>train</c> does after saving, as an app would: loads the zip in a new <see cref="MLContext"/>, checks that
/// it scores every test row exactly as the trained model did, and predicts a few rows with a PredictionEngine.
/// </summary>
internal static class SavedModelCheck
{
    private const int PredictedRows = 3;

    /// <exception cref="SampleException">Exit code 1 when the reloaded model scores differently.</exception>
    public static void Run(string path, ITransformer trained, IDataView test, DatasetName dataset)
    {
        var ml = new MLContext();
        ITransformer loaded = ModelFile.Load(ml, path, out DataViewSchema inputSchema, out _);
        try
        {
            float[][] expected = Scores(ml, trained, test);
            float[][] actual = Scores(ml, loaded, test);
            (double largest, int row) = (0, -1);
            for (int i = 0; i < expected.Length; i++)
            {
                for (int c = 0; c < expected[i].Length; c++)
                {
                    double difference = Math.Abs(expected[i][c] - actual[i][c]);
                    if (difference > largest)
                        (largest, row) = (difference, i);
                }
            }
            if (actual.Length != expected.Length || largest > 0)
            {
                throw new SampleException(ExitCode.Failure, string.Create(CultureInfo.InvariantCulture,
                    $"'{path}', loaded back, scores differently from the model just trained: {actual.Length:N0} rows against {expected.Length:N0}, largest difference {largest:G3} (test row {row})."));
            }
            Terminal.Line(string.Create(CultureInfo.InvariantCulture,
                $"Loaded {Path.GetFileName(path)} back in a new MLContext: it scores all {actual.Length:N0} test rows exactly as the trained model did."));

            var rows = ml.Data.CreateEnumerable<MnistImage>(test, reuseRowObject: false).Take(PredictedRows).ToList();
            var table = new PredictionTable($"The reloaded model on the first {PredictedRows} test rows (PredictionEngine)", ScoreClasses.Of(loaded, inputSchema, dataset), dataset);
            // The engine disposes the model it was made from when it is disposed itself: the loaded one is done with then.
            using var engine = ml.Model.CreatePredictionEngine<MnistImage, MnistPrediction>(loaded, inputSchema: inputSchema);
            for (int i = 0; i < rows.Count; i++)
                table.Add($"test row {i}", engine.Predict(rows[i]), rows[i].Label);
            table.Write();
        }
        catch
        {
            (loaded as IDisposable)?.Dispose();
            throw;
        }
    }

    private static float[][] Scores(MLContext ml, ITransformer model, IDataView test) =>
        ml.Data.CreateEnumerable<MnistPrediction>(model.Transform(test), reuseRowObject: false).Select(p => p.Score).ToArray();
}
