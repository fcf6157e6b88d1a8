using System.Reflection;
using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Tests.Kernels;

/// <summary>
/// Counts live tensors around a training step through the fused recurrence. Not parallelised: the
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
    public void A_forward_and_backward_in_a_dispose_scope_leave_no_tensor_and_no_autograd_node_behind()
    {
        // Two layers: the first reads x' from u (I ≠ H), the second skips from its input (I = H).
        using var network = new NetworkSpec(RecurrentCellKind.Sru, 7, 5, 33, 2, 3, true).Build();
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
                // Per layer, the recurrence and (where the AVX-512 GEMM runs) the projection are custom autograd nodes.
                int nodesPerLayer = Microsoft.ML.Sru.Model.Kernels.Sgemm512.IsSupported ? 2 : 1;
                Assert.AreEqual(nodesBefore + 2 * nodesPerLayer, AliveAutogradNodes(), "custom autograd nodes while the graph is alive");
            }
            Assert.IsGreaterThan(threadBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        Assert.AreEqual(threadBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "tensors created on this thread");
        // Also catches tensors created on another thread (e.g. if the backward ran elsewhere) and left to the GC.
        Assert.AreEqual(globalBefore, Tensor.TotalCount, "tensors alive in the process");
        if (nodesBefore is null)
            Assert.Inconclusive("TorchSharp's list of live autograd nodes was not found; only tensor counts were checked.");
        // The nodes held the tensors saved for the backward (x, W; u, bias, skip, c); they are gone with the graph.
        Assert.AreEqual(nodesBefore, AliveAutogradNodes(), "autograd nodes");
    }
}
