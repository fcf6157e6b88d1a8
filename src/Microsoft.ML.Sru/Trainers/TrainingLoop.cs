using System.Globalization;
using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Mini-batch training: shuffled batches each epoch, cross-entropy, Adam, gradient clipping, a decaying
/// learning rate, progress through the ML.NET channel, and a check for cancellation between batches.
/// Every batch runs in its own dispose scope, so memory stays flat however long training runs.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly IHost _host;
    private readonly IChannel _channel;
    private readonly RecurrentTrainerOptions _options;
    private readonly Device _device;
    private readonly int _seed;

    public TrainingLoop(IHost host, IChannel channel, RecurrentTrainerOptions options, Device device, int seed)
    {
        _host = host;
        _channel = channel;
        _options = options;
        _device = device;
        _seed = seed;
    }

    public void Run(SequenceClassifier network, TrainingSet set)
    {
        network.train();
        var parameters = network.parameters().ToArray();
        using var optimizer = optim.Adam(parameters, _options.LearningRate);
        var random = new Random(_seed);
        int[] order = Enumerable.Range(0, set.RowCount).ToArray();
        int stepsPerEpoch = (set.RowCount + _options.BatchSize - 1) / _options.BatchSize;
        double learningRate = _options.LearningRate;

        _channel.Info("Training {0} on {1} rows: {2} steps of {3} values, {4} classes, {5} epochs of {6} steps.",
            network.Spec.Cell.ToString().ToUpperInvariant(), set.RowCount, network.Spec.SequenceLength, network.Spec.StepSize,
            set.ClassCount, _options.MaxEpoch, stepsPerEpoch);

        var total = Stopwatch.StartNew();
        long totalSteps = (long)stepsPerEpoch * _options.MaxEpoch;
        for (int epoch = 1; epoch <= _options.MaxEpoch; epoch++)
        {
            var clock = Stopwatch.StartNew();
            random.Shuffle(order);
            double lossSum = 0, windowLoss = 0;
            long correct = 0, seen = 0, windowCorrect = 0, windowSeen = 0;
            for (int step = 0; step < stepsPerEpoch; step++)
            {
                // Stops between batches when the host (MLContext) is cancelled.
                _host.CheckAlive();
                int start = step * _options.BatchSize;
                int rows = Math.Min(_options.BatchSize, set.RowCount - start);
                // Gathered straight into arrays of the batch's exact size, which the tensors are made from.
                var features = new float[rows * set.FeatureCount];
                var labels = new long[rows];
                for (int i = 0; i < rows; i++)
                {
                    int row = order[start + i];
                    Array.Copy(set.Features, (long)row * set.FeatureCount, features, (long)i * set.FeatureCount, set.FeatureCount);
                    labels[i] = set.Labels[row];
                }

                using var scope = NewDisposeScope();
                Tensor x = tensor(features, new long[] { rows, set.FeatureCount }, device: _device);
                Tensor y = tensor(labels, new long[] { rows }, device: _device);
                Tensor logits = network.forward(x);
                Tensor loss = nn.functional.cross_entropy(logits, y);
                optimizer.zero_grad();
                loss.backward();
                if (_options.GradientClipNorm > 0)
                    nn.utils.clip_grad_norm_(parameters, _options.GradientClipNorm);
                optimizer.step();

                float lossValue = loss.item<float>();
                if (!float.IsFinite(lossValue))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"Training diverged: the loss became {lossValue} at epoch {epoch}, step {step + 1}. Lower LearningRate or set GradientClipNorm."));
                long batchCorrect = logits.argmax(1).eq(y).sum().item<long>();
                lossSum += lossValue * rows;
                windowLoss += lossValue * rows;
                correct += batchCorrect;
                windowCorrect += batchCorrect;
                seen += rows;
                windowSeen += rows;
                if (_options.Progress is { } progress)
                    progress.Report(MakeReport(TrainingProgressKind.Step, epoch, step + 1, stepsPerEpoch, lossValue, (float)batchCorrect / rows,
                        learningRate, seen / clock.Elapsed.TotalSeconds, total.Elapsed, totalSteps));

                if ((step + 1) % _options.LogEveryNSteps == 0)
                {
                    _channel.Info("Epoch {0}, step {1}/{2}: loss {3:F4}, accuracy {4:P2} (last {5} steps).",
                        epoch, step + 1, stepsPerEpoch, windowLoss / windowSeen, (double)windowCorrect / windowSeen, _options.LogEveryNSteps);
                    windowLoss = 0;
                    windowCorrect = windowSeen = 0;
                }
            }

            // The loss is checked every step, but the last step's update is only seen here: a model must never come
            // out of training with NaN or infinite weights.
            if (!AllFinite(parameters))
                throw new InvalidOperationException(
                    $"Training diverged: the weights became NaN or infinite at epoch {epoch}, step {stepsPerEpoch} (the epoch's last). Lower LearningRate or set GradientClipNorm.");

            _channel.Info("Epoch {0}/{1}: loss {2:F4}, training accuracy {3:P2}, learning rate {4:G3}, {5:F1} s.",
                epoch, _options.MaxEpoch, lossSum / seen, (double)correct / seen, learningRate, clock.Elapsed.TotalSeconds);

            _options.Progress?.Report(MakeReport(TrainingProgressKind.Epoch, epoch, stepsPerEpoch, stepsPerEpoch, (float)(lossSum / seen),
                (float)correct / seen, learningRate, seen / clock.Elapsed.TotalSeconds, total.Elapsed, totalSteps));

            if (_options.TrimNativeMemoryEachEpoch)
                Runtime.NativeMemory.TrimAfterEpoch();
            learningRate *= _options.LearningRateDecay;
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = learningRate;
        }
        // Gradients are needed only while training; the trained model should not keep a second copy of its weights.
        foreach (var parameter in parameters)
            parameter.grad = null;
        network.eval();
    }

    private TrainingProgress MakeReport(TrainingProgressKind kind, int epoch, int step, int stepsPerEpoch, float loss, float accuracy,
        double learningRate, double rowsPerSecond, TimeSpan elapsed, long totalSteps)
    {
        long done = (long)(epoch - 1) * stepsPerEpoch + step;
        return new TrainingProgress
        {
            Kind = kind,
            Epoch = epoch,
            MaxEpoch = _options.MaxEpoch,
            Step = step,
            StepsPerEpoch = stepsPerEpoch,
            Loss = loss,
            Accuracy = accuracy,
            LearningRate = (float)learningRate,
            RowsPerSecond = rowsPerSecond,
            Elapsed = elapsed,
            EstimatedRemaining = TimeSpan.FromTicks((long)(elapsed.Ticks * (double)(totalSteps - done) / done)),
        };
    }

    private static bool AllFinite(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        return parameters.All(p => p.isfinite().all().item<bool>());
    }
}
