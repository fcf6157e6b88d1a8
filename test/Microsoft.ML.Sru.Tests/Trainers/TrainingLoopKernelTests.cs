using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Tests.Reliability;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Trainers;

/// <summary>
/// The training loop runs the fused kernels' networks (the SRU, and LSTM/GRU on an AVX-512 CPU) with the tensor pool open
/// and libtorch single-threaded. Not parallelised: the pool and libtorch's thread count are process-wide.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class TrainingLoopKernelTests
{
    [TestMethod]
    [DataRow("SRU")]
    [DataRow("lstm")]
    [DataRow("gru")]
    public void Training_on_the_fused_kernels_keeps_the_tensor_pool_open_and_libtorch_single_threaded(string cell)
    {
        if (!Sgemm512.IsSupported)
            Assert.Inconclusive("No AVX-512 here: only the SRU trains on the fused kernels.");
        var ml = new MLContext(seed: 3);
        IDataView train = OrderedMarkers.Load(ml, 100, seed: 3);
        var seen = new List<(bool PoolOpen, int Threads)>();
        RecurrentTrainerOptions options = TinyModels.For(cell);
        options.Progress = new SynchronousProgress<TrainingProgress>(report =>
        {
            if (report.Kind == TrainingProgressKind.Step)
                seen.Add((TensorPool.IsOpen, get_num_threads()));
        });
        int threadsBefore = get_num_threads();

        using var model = CellTrainers.Trainer(ml, options).Fit(train);

        Assert.IsNotEmpty(seen, "step reports");
        Assert.IsTrue(seen.All(s => s.PoolOpen), "the tensor pool was open at every step");
        Assert.IsTrue(seen.All(s => s.Threads == 1), $"libtorch ran single-threaded at every step (threads seen: {string.Join(", ", seen.Select(s => s.Threads).Distinct())})");
        Assert.IsFalse(TensorPool.IsOpen, "the pool closes with the run");
        Assert.AreEqual(threadsBefore, get_num_threads(), "libtorch's thread count is restored after the run");
    }
}
