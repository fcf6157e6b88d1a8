using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.Sru.Tests.Trainers;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// Memory stays flat over a long run and no TorchSharp tensor outlives its use. Not parallelised: the
/// process-wide counts (RSS, live tensors) would include other tests' work.
/// </summary>
/// <remarks>
/// TorchSharp counts every tensor object it creates (<c>torch.Tensor.TotalCount</c>, process-wide, decreased when
/// a tensor is disposed or finalised) and, per thread, those created and disposed on it
/// (<c>DisposeScopeManager.Statistics.ThreadTotalLiveCount</c>, which finalisers do not touch). Building a module
/// leaves a few tensor objects to the garbage collector that hold no native memory (nn.Parameter takes over its
/// source tensor's handle and leaves the emptied object behind), so counts after a model's life are compared
/// once the collector has run.
/// </remarks>
[TestClass]
[DoNotParallelize]
public sealed class MemoryTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(false)]
    // Process-wide and permanent (glibc mallopt), so this row runs last in its class: MSTest runs data rows in order.
    [DataRow(true)]
    public void Twenty_epochs_keep_memory_and_live_tensors_flat(bool tuneNativeAllocator)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 320, seed: 1);
        int fitThread = Environment.CurrentManagedThreadId;
        var rss = new Dictionary<int, long>();
        var liveOnThread = new Dictionary<int, long>();
        var onTrainingThread = true;
        ml.Log += (_, e) =>
        {
            var match = Regex.Match(e.Message, @"Epoch (\d+)/20:");
            if (!match.Success)
                return;
            int epoch = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            onTrainingThread &= Environment.CurrentManagedThreadId == fitThread;
            rss[epoch] = ResidentBytes();
            liveOnThread[epoch] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        };

        var options = TinyModels.Sru(epochs: 20);
        options.TuneNativeAllocator = tuneNativeAllocator;
        using var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(data);

        Assert.HasCount(20, rss);
        foreach (int epoch in new[] { 2, 5, 10, 20 })
            TestContext.WriteLine($"epoch {epoch}: RSS {rss[epoch] / 1048576.0:F1} MiB, tensors live on the training thread {liveOnThread[epoch]}");
        long growth = rss[20] - rss[2];
        Assert.IsLessThan(Math.Max(50L << 20, rss[2] / 10), growth, $"RSS grew by {growth / 1048576.0:F1} MiB from epoch 2 to 20");
        Assert.IsTrue(onTrainingThread, "ML.NET raised the log events on the training thread");
        Assert.AreEqual(liveOnThread[2], liveOnThread[20], "a training step left a tensor alive");
    }

    [TestMethod]
    public void Transform_leaves_no_tensor_alive()
    {
        ITransformer model = TinyModels.Load(TinyModels.SavedZip);
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 200, seed: 7);
        RecurrentTrainerTests.Scores(model.Transform(data)); // warm-up

        long thread = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long process = Tensor.TotalCount;
        float[][] scores = RecurrentTrainerTests.Scores(model.Transform(data));
        var engine = ml.Model.CreatePredictionEngine<OrderedMarkers.Row, OrderedMarkers.Prediction>(model);
        foreach (var row in OrderedMarkers.Generate(50, seed: 8))
            engine.Predict(row);

        Assert.HasCount(200, scores);
        Assert.AreEqual(thread, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors created on this thread and not disposed");
        // Process-wide, finalisers of earlier tests' objects may lower the count meanwhile, never raise it.
        Assert.IsLessThanOrEqualTo(process, Tensor.TotalCount, "tensors alive in the process");
        engine.Dispose();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void Fit_then_Dispose_leaves_no_tensor_behind_however_long_it_trained(int cell)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = OrderedMarkers.Load(ml, 128, seed: 1);
        Residue(ml, data, cell, epochs: 1); // warm-up: TorchSharp's and ML.NET's first-use state

        Residues short1 = Residue(ml, data, cell, epochs: 1);
        Residues long4 = Residue(ml, data, cell, epochs: 4);
        TestContext.WriteLine($"left undisposed on the training thread: {short1.OnThread} (1 epoch), {long4.OnThread} (4 epochs); "
            + $"counted in the process after a collection: {short1.InProcess}, {long4.InProcess}; the model has {short1.Parameters} parameters");

        // Training steps dispose everything they create: what a Fit leaves undisposed (objects building the network
        // leaves to the collector) does not grow with the number of steps.
        Assert.AreEqual(short1.OnThread, long4.OnThread, "more steps left more tensors undisposed");
        // After Dispose and a collection nothing is held. TorchSharp's count keeps one emptied object per
        // nn.Parameter(tensor) built (it takes over the tensor's handle without uncounting it), holding no memory.
        Assert.IsLessThanOrEqualTo(short1.Parameters, short1.InProcess, "more left than the model's own parameters (1 epoch)");
        Assert.IsLessThanOrEqualTo(long4.Parameters, long4.InProcess, "more left than the model's own parameters (4 epochs)");
    }

    private readonly record struct Residues(long OnThread, long InProcess, int Parameters);

    /// <summary>
    /// Trains, checks the model holds no gradients and disposes it; returns the change in the tensors left undisposed on
    /// this thread, and in TorchSharp's process-wide count once the collector has run (other finalisers may only lower it).
    /// </summary>
    private static Residues Residue(MLContext ml, IDataView data, int cell, int epochs)
    {
        Collect();
        long thread = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long process = Tensor.TotalCount;
        int parameters = FitAndDispose(ml, data, cell, epochs);
        long onThread = DisposeScopeManager.Statistics.ThreadTotalLiveCount - thread;
        Collect();
        return new Residues(onThread, Tensor.TotalCount - process, parameters);
    }

    [TestMethod]
    public void A_Fit_that_diverges_releases_its_network()
    {
        var ml = new MLContext(seed: 1);
        var rows = OrderedMarkers.Generate(64, seed: 1).Select(r => new OrderedMarkers.Row { Features = Enumerable.Repeat(float.MaxValue, OrderedMarkers.FeatureCount).ToArray(), Label = r.Label });
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = TinyModels.Sru();
        options.InputNormalization = InputNormalization.None; // normalized values are clipped and cannot overflow
        var trainer = ml.MulticlassClassification.Trainers.Sru(options);
        Assert.Throws<InvalidOperationException>(() => trainer.Fit(data)); // warm-up
        Collect();

        long before = Tensor.TotalCount;
        Assert.Throws<InvalidOperationException>(() => trainer.Fit(data));
        Collect();

        // As after a successful Fit and Dispose: at most TorchSharp's one emptied object per parameter (4 here);
        // finalisers of earlier tests' objects can only lower the count.
        Assert.IsLessThanOrEqualTo(4, Tensor.TotalCount - before);
    }

    /// <summary>Not inlined, so that nothing of the model stays reachable from the caller's frame.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int FitAndDispose(MLContext ml, IDataView data, int cell, int epochs)
    {
        var model = cell == 1
            ? ml.MulticlassClassification.Trainers.Sru(TinyModels.Sru(epochs)).Fit(data)
            : ml.MulticlassClassification.Trainers.Lstm(TinyModels.Lstm(epochs)).Fit(data);
        var parameters = model.Model.Network.parameters().ToList();
        foreach (var parameter in parameters)
        {
            using var grad = parameter.grad;
            Assert.IsNull(grad, "the trained model keeps no gradients");
        }
        model.Dispose();
        return parameters.Count;
    }

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>VmRSS from /proc/self/status on Linux, else the working set.</summary>
    private static long ResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return Environment.WorkingSet;
    }
}
