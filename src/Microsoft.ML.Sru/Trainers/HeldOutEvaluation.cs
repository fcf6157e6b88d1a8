using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Mean cross-entropy and accuracy of a network on rows it does not train on (a validation set), computed in
/// batches without autograd, so it costs one forward pass per row and no gradient memory.
/// </summary>
internal static class HeldOutEvaluation
{
    /// <summary>Rows per forward pass: large enough to keep the matrix products efficient, small enough to keep memory flat.</summary>
    private const int BatchRows = 512;

    public static (double Loss, double Accuracy) Evaluate(IHost host, SequenceClassifier network, TrainingSet set, Device device, CancellationToken cancellation)
    {
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            int[] rows = new int[Math.Min(BatchRows, set.RowCount)];
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < set.RowCount; start += BatchRows)
            {
                host.CheckAlive();
                cancellation.ThrowIfCancellationRequested();
                int count = Math.Min(BatchRows, set.RowCount - start);
                for (int i = 0; i < count; i++)
                    rows[i] = start + i;
                var (features, labels) = set.Gather(rows.AsSpan(0, count));
                using var scope = NewDisposeScope();
                Tensor logits = network.forward(tensor(features, new long[] { count, set.FeatureCount }, device: device));
                Tensor y = tensor(labels, new long[] { count }, device: device);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            return (lossSum / set.RowCount, (double)correct / set.RowCount);
        }
        finally
        {
            if (wasTraining)
                network.train();
        }
    }
}
