using System.Reflection;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Model.Kernels;
using Microsoft.ML.Sru.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

/// <summary>
/// Counts live tensors around a training step through the fused kernels (the SRU's, and the fused LSTM/GRU layers
/// where the AVX-512 GEMM runs), and checks their use of the tensor pool. Not parallelised: the
/// global counts would include other tests' tensors.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class FusedSruMemoryTests
{
    /// <summary>TorchSharp's list of custom autograd nodes whose native node is still alive (internal; read by reflection).</summary>
    private static int? AliveAutogradNodes()
    {
        Type? node = typeof(torch.autograd).GetNestedType("Node", BindingFlags.NonPublic);
        var list = node?.GetField("AliveNodes", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as System.Collections.ICollection;
        if (list is null)
            return null;
        lock (list)
            return list.Count;
    }

    private static void Step(SequenceClassifier network, Tensor features, Tensor labels)
    {
        Tensor loss = nn.functional.cross_entropy(network.forward(features), labels);
        network.zero_grad();
        loss.backward();
    }

    [TestMethod]
    [DataRow(nameof(RecurrentCellKind.Sru))]
    [DataRow(nameof(RecurrentCellKind.Lstm))]
    [DataRow(nameof(RecurrentCellKind.Gru))]
    public void A_forward_and_backward_in_a_dispose_scope_leave_no_tensor_and_no_autograd_node_behind(string cell)
    {
        RecurrentCellKind kind = Enum.Parse<RecurrentCellKind>(cell);
        // Two layers: the SRU's first reads x' from u (I ≠ H), the second skips from its input (I = H).
        using var network = new NetworkSpec(kind, 7, 5, 33, 2, 3).Build();
        // LSTM and GRU run one custom node per layer only on the fused layers, nn.LSTM/nn.GRU none.
        int customNodes = kind == RecurrentCellKind.Sru || Sgemm512.IsSupported ? 2 : 0;
        using var features = randn(9, 35);
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2 });
        Step(network, features, labels); // Warm-up: first-use allocations are not leaks.
        GC.Collect();
        GC.WaitForPendingFinalizers();

        long threadBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long globalBefore = Tensor.TotalCount;
        int? nodesBefore = AliveAutogradNodes();
        using (var scope = NewDisposeScope())
        {
            Step(network, features, labels);
            if (nodesBefore is not null)
            {
                // One custom autograd node per layer: the whole layer where the AVX-512 GEMM runs, else the recurrence.
                Assert.AreEqual(nodesBefore + customNodes, AliveAutogradNodes(), "custom autograd nodes while the graph is alive");
            }
            Assert.IsGreaterThan(threadBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        Assert.AreEqual(threadBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors created on this thread");
        // Also catches tensors created on another thread (e.g. if the backward ran elsewhere) and left to the GC.
        Assert.AreEqual(globalBefore, Tensor.TotalCount, "tensors alive in the process");
        if (nodesBefore is null)
            Assert.Inconclusive("TorchSharp's list of live autograd nodes was not found; only tensor counts were checked.");
        // The nodes held the tensors saved for the backward (x, W, u, bias, c); they are gone with the graph.
        Assert.AreEqual(nodesBefore, AliveAutogradNodes(), "autograd nodes");
    }
    /// <summary>Weights and gradients of one forward and backward, as plain arrays.</summary>
    private static float[][] StepResult(SequenceClassifier network, Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Step(network, features, labels);
        return network.parameters().Select(p => p.grad!.data<float>().ToArray()).ToArray();
    }

    [TestMethod]
    [DataRow(nameof(RecurrentCellKind.Sru))]
    [DataRow(nameof(RecurrentCellKind.Lstm))]
    [DataRow(nameof(RecurrentCellKind.Gru))]
    public void With_the_tensor_pool_open_steps_reuse_the_same_blocks_give_the_same_gradients_and_closing_frees_them(string cell)
    {
        RecurrentCellKind kind = Enum.Parse<RecurrentCellKind>(cell);
        if (kind != RecurrentCellKind.Sru && !Sgemm512.IsSupported)
            Assert.Inconclusive("No AVX-512 here: LSTM and GRU run nn.LSTM/nn.GRU, which take nothing from the pool.");
        // Big enough that the kernels' large tensors (U or the gates, h, c and their gradients) are pooled (at least TensorPool.MinPooledBytes each).
        using var network = new NetworkSpec(kind, 28, 28, 64, 2, 10).Build();
        using var features = randn(128, 28 * 28);
        using var labels = randint(0, 10, new long[] { 128 }, dtype: ScalarType.Int64);
        float[][] unpooled = StepResult(network, features, labels);
        Assert.AreEqual(0, TensorPool.LiveBlockCount, "blocks before the pool opens");

        int afterFirst;
        using (TensorPool.Open())
        {
            float[][] first = StepResult(network, features, labels);
            afterFirst = TensorPool.LiveBlockCount;
            Assert.IsGreaterThan(0, afterFirst, "the step's large tensors came from the pool");
            float[][] second = StepResult(network, features, labels);
            Assert.AreEqual(afterFirst, TensorPool.LiveBlockCount, "the second step allocated no new block: it reused the first step's");
            for (int i = 0; i < unpooled.Length; i++)
            {
                CollectionAssert.AreEqual(unpooled[i], first[i], $"gradient {i}, pooled vs not");
                CollectionAssert.AreEqual(first[i], second[i], $"gradient {i}, second pooled step");
            }
        }

        Assert.AreEqual(0, TensorPool.LiveBlockCount, "closing the pool frees its idle blocks");
    }

    [TestMethod]
    public void A_pooled_tensor_that_outlives_the_pool_keeps_its_values_and_frees_its_block_when_disposed()
    {
        Tensor kept;
        using (TensorPool.Open())
        {
            kept = TensorPool.Empty(512, 256);
            kept.fill_(3f);
            Assert.AreEqual(1, TensorPool.LiveBlockCount);
            using Tensor small = TensorPool.Empty(4, 4);
            Assert.AreEqual(1, TensorPool.LiveBlockCount, "tensors under TensorPool.MinPooledBytes come from libtorch");
        }

        Assert.AreEqual(1, TensorPool.LiveBlockCount, "the block is still in use");
        Assert.AreEqual(3f * 512 * 256, kept.sum().item<float>());
        kept.Dispose();
        Assert.AreEqual(0, TensorPool.LiveBlockCount, "the block went back to the closed pool, which freed it");

        using Tensor unpooled = TensorPool.Empty(512, 256);
        Assert.AreEqual(0, TensorPool.LiveBlockCount, "with the pool closed, Empty is torch.empty");
    }
}
