using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Mean loss and accuracy (none for regression) of a network on rows it does not train on (a validation set), computed in
/// batches without autograd, so it costs one forward pass per row and no gradient memory.
/// </summary>
internal static class HeldOutEvaluation
{
    /// <summary>Rows per forward pass: large enough to keep the matrix products efficient, small enough to keep memory flat.</summary>
    private const int BatchRows = 512;

    public static (double Loss, double? Accuracy) Evaluate(IHost host, SequenceClassifier network, ITrainingData set, Device device, CancellationToken cancellation)
    {
        bool wasTraining = network.training;
        network.eval();
        RecurrentTask task = RecurrentTask.For(network.Spec.Task);
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0;
            foreach (TrainingBatch batch in set.InOrder(BatchRows))
            {
                host.CheckAlive();
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                Tensor x = batch.ToFeatureTensor(set.Input.ValuesPerStep, device);
                Tensor logits = network.Forward(x, batch.Lengths);
                Tensor y = task.LabelTensor(batch.Labels, device);
                lossSum += task.Loss(logits, y, nn.Reduction.Sum).item<float>();
                correct += task.Correct(logits, y);
            }
            return (lossSum / set.RowCount, task.HasAccuracy ? (double)correct / set.RowCount : null);
        }
        finally
        {
            if (wasTraining)
                network.train();
        }
    }
}
