using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Sru.Benchmarks;

/// <summary>
/// Pipelines compared on one train/test split in one run: a quality metric on the test rows, Fit time, and scoring
/// speed (Transform over the test rows, every Score read, best of three passes).
/// </summary>
internal static class SideBySide
{
    /// <param name="Name">How the table names the pipeline.</param>
    /// <param name="Pipeline">Builds the whole pipeline, from the raw columns to the trainer, in the given context.</param>
    public sealed record Contender(string Name, Func<MLContext, IEstimator<ITransformer>> Pipeline);

    public sealed record Result(string Task, string Contender, string Metric, double Value, double FitSeconds, double ScoringRowsPerSecond);

    /// <summary>Fits and scores every contender (seed 1), printing each result as it comes.</summary>
    /// <param name="evaluate">The metric's name and value on the scored test rows.</param>
    public static List<Result> Run(string task, IDataView train, IDataView test, IEnumerable<Contender> contenders,
        Func<MLContext, IDataView, (string Metric, double Value)> evaluate)
    {
        var results = new List<Result>();
        long testRows = test.GetRowCount() ?? Count(test);
        foreach (Contender contender in contenders)
        {
            var ml = new MLContext(seed: 1);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var clock = Stopwatch.StartNew();
            ITransformer model = contender.Pipeline(ml).Fit(train);
            double fit = clock.Elapsed.TotalSeconds;
            (string metric, double value) = evaluate(ml, model.Transform(test));
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                clock.Restart();
                ReadScores(model.Transform(test));
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
            (model as IDisposable)?.Dispose();
            var result = new Result(task, contender.Name, metric, value, fit, testRows / best);
            Console.WriteLine($"   {task,-24} {contender.Name,-34} {metric} {value,8:F4}   Fit {fit,7:F1} s   scoring {result.ScoringRowsPerSecond,9:N0} rows/s");
            results.Add(result);
        }
        return results;
    }

    /// <summary>Rows of a view that may not know its count, counted through a cursor.</summary>
    public static long Count(IDataView data)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            rows++;
        return rows;
    }

    private static void ReadScores(IDataView scored)
    {
        DataViewSchema.Column score = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([score]);
        if (score.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
                getter(ref value);
        }
        else
        {
            var getter = cursor.GetGetter<float>(score);
            float value = 0;
            while (cursor.MoveNext())
                getter(ref value);
        }
    }
}
