using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// One loaded model shared by eight threads scores exactly as on one thread; disposing it is idempotent, safe
/// while other threads score, and makes every later use throw <see cref="ObjectDisposedException"/>.
/// </summary>
[TestClass]
public sealed class ConcurrencyTests
{
    private const int Threads = 8;

    private static List<OrderedMarkers.Row> Rows() => OrderedMarkers.Generate(200, seed: 41);

    [TestMethod]
    public void Eight_threads_transforming_with_one_model_get_the_single_threaded_scores()
    {
        ITransformer model = TinyModels.Load(TinyModels.SavedZip);
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows());
        float[][] expected = RecurrentTrainerTests.Scores(model.Transform(data));

        float[][][] results = RunOnThreads(_ =>
        {
            float[][] last = [];
            for (int repeat = 0; repeat < 5; repeat++)
                last = RecurrentTrainerTests.Scores(model.Transform(data));
            return last;
        });

        for (int t = 0; t < Threads; t++)
            Assert.IsTrue(TinyModels.SameScores(expected, results[t]), $"thread {t}");
    }

    [TestMethod]
    public void Eight_prediction_engines_on_one_model_predict_like_one()
    {
        ITransformer model = TinyModels.Load(TinyModels.SavedZip);
        var ml = new MLContext(seed: 1);
        List<OrderedMarkers.Row> rows = Rows();
        // Engines are not disposed until the end: disposing one disposes the model it was made from (ML.NET's rule).
        var reference = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        float[][] expected = rows.Select(r => reference.Predict(r).Score.ToArray()).ToArray();
        var engines = Enumerable.Range(0, Threads).Select(_ => ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model)).ToArray();

        float[][][] results = RunOnThreads(t =>
        {
            float[][] scores = [];
            for (int repeat = 0; repeat < 5; repeat++)
                scores = rows.Select(r => engines[t].Predict(r).Score.ToArray()).ToArray();
            return scores;
        });

        for (int t = 0; t < Threads; t++)
            Assert.IsTrue(TinyModels.SameScores(expected, results[t]), $"engine {t}");

        engines[0].Dispose();
        var e = Assert.Throws<Exception>(() => RecurrentTrainerTests.Scores(model.Transform(ml.Data.LoadFromEnumerable(rows))));
        Assert.IsInstanceOfType<ObjectDisposedException>(e.GetBaseException(), "disposing an engine disposed the shared model: " + TinyModels.Describe(e));
    }

    [TestMethod]
    public void Dispose_is_idempotent_and_every_later_use_throws_ObjectDisposedException()
    {
        ITransformer model = TinyModels.Load(TinyModels.SavedZip);
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows());
        var engine = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);

        var disposable = (IDisposable)model;
        disposable.Dispose();
        disposable.Dispose();
        engine.Dispose();

        // ML.NET builds its row mappers through reflection: the ObjectDisposedException is the base exception.
        var transform = Assert.Throws<Exception>(() => RecurrentTrainerTests.Scores(model.Transform(data)));
        var newEngine = Assert.Throws<Exception>(() => ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model));
        var predict = Assert.Throws<Exception>(() => engine.Predict(Rows()[0]));
        var save = Assert.Throws<Exception>(() => ml.Model.Save(model, data.Schema, new MemoryStream()));

        foreach (var (what, e) in new[] { ("Transform", transform), ("CreatePredictionEngine", newEngine), ("Predict", predict), ("Save", save) })
        {
            TinyModels.AssertNotABug(e, what + ": ");
            var disposed = e.GetBaseException() as ObjectDisposedException;
            Assert.IsNotNull(disposed, $"{what}: {TinyModels.Describe(e)}: {e}");
            StringAssert.Contains(disposed.Message, "RecurrentModelParameters", what);
        }
    }

    [TestMethod]
    public void Disposing_while_eight_threads_score_lets_them_finish_or_fail_cleanly()
    {
        for (int round = 0; round < 3; round++)
        {
            ITransformer model = TinyModels.Load(TinyModels.SavedZip);
            var ml = new MLContext(seed: 1);
            List<OrderedMarkers.Row> rows = Rows();
            var engines = Enumerable.Range(0, Threads).Select(_ => ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model)).ToArray();
            using var started = new CountdownEvent(Threads);
            var outcomes = new string[Threads];

            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                int predicted = 0;
                try
                {
                    started.Signal();
                    // Scores until the model is disposed under it (a row takes tens of microseconds, so a fixed number of
                    // repeats could all finish first); the time limit only guards against a Dispose that never lands.
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    while (clock.Elapsed < TimeSpan.FromSeconds(30))
                    {
                        foreach (var row in rows)
                        {
                            float[] score = engines[t].Predict(row).Score;
                            Assert.AreEqual(1.0, score.Sum(), 1e-4);
                            predicted++;
                        }
                    }
                    outcomes[t] = "finished";
                }
                catch (Exception e) when (e.GetBaseException() is ObjectDisposedException)
                {
                    outcomes[t] = $"disposed after {predicted} rows";
                }
                catch (Exception e)
                {
                    outcomes[t] = $"FAILED: {TinyModels.Describe(e)}: {e}";
                }
            })).ToArray();
            foreach (var thread in threads)
                thread.Start();

            started.Wait();
            Thread.Sleep(20);
            ((IDisposable)model).Dispose();
            foreach (var thread in threads)
                Assert.IsTrue(thread.Join(TimeSpan.FromMinutes(2)), "a scoring thread hung after Dispose");

            foreach (string outcome in outcomes)
                Assert.IsFalse(outcome.StartsWith("FAILED", StringComparison.Ordinal), outcome);
            Assert.IsTrue(outcomes.Any(o => o.StartsWith("disposed", StringComparison.Ordinal)), string.Join("; ", outcomes));
        }
    }

    private static T[] RunOnThreads<T>(Func<int, T> work)
    {
        var results = new T[Threads];
        var failures = new Exception?[Threads];
        using var barrier = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                results[t] = work(t);
            }
            catch (Exception e)
            {
                failures[t] = e;
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            Assert.IsTrue(thread.Join(TimeSpan.FromMinutes(2)), "a thread hung");
        foreach (Exception? failure in failures)
        {
            if (failure is not null)
                throw new AssertFailedException($"A thread failed: {failure}", failure);
        }
        return results;
    }
}
