using System.Globalization;
using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Checkpoints;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Mini-batch training: shuffled batches each epoch, the task's loss (<see cref="RecurrentTask"/>), Adam (AdamW with weight decay), gradient clipping,
/// a scheduled learning rate, an optional validation set with early stopping, progress through the ML.NET channel, and a
/// check for cancellation between batches.
/// Every batch runs in its own dispose scope, so memory stays flat however long training runs.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly IHost _host;
    private readonly IChannel _channel;
    private readonly RecurrentTrainerOptions _options;
    private readonly Device _device;
    private readonly int _seed;

    /// <summary>Steps a resumed run had done before this Fit: the time estimate counts only the steps since.</summary>
    private long _stepsBefore;

    private readonly TrainingPlan _plan;

    public TrainingLoop(IHost host, IChannel channel, RecurrentTrainerOptions options, TrainingPlan plan, Device device, int seed)
    {
        _plan = plan;
        _host = host;
        _channel = channel;
        _options = options;
        _device = device;
        _seed = seed;
    }

    /// <summary>
    /// Trains <paramref name="network"/> on <paramref name="set"/>. With a <paramref name="validation"/> set, it is scored after
    /// every epoch; training stops early after the plan's patience in epochs without a
    /// lower validation loss, and with <see cref="TrainingPlan.KeepBestModel"/> the network ends with the weights
    /// of the epoch whose validation loss was lowest. With <see cref="RecurrentTrainerOptions.CheckpointDirectory"/> it writes
    /// checkpoints and continues from the newest one of the same run (<paramref name="initialModel"/>, the model training
    /// started from, is part of what must match).
    /// </summary>
    public void Run(SequenceClassifier network, ITrainingData set, ITrainingData? validation = null, RecurrentModelParameters? initialModel = null)
    {
        network.train();
        RecurrentTask task = RecurrentTask.For(network.Spec.Task);
        // The AVX-512 kernels (SRU, fused LSTM/GRU) bring their own threads; libtorch's spinning workers would crowd them out.
        using TorchThreads? threads = UsesOwnThreads(network) ? TorchThreads.SingleThreaded() : null;
        // Every step asks the fused kernels for the same large tensors: reusing their memory spares the page faults.
        using IDisposable? pool = UsesFusedKernels(network) ? TensorPool.Open() : null;
        var parameters = network.parameters().ToArray();
        using ParameterUpdate update = ParameterUpdate.Create(parameters, _options.LearningRate, _plan.WeightDecay, _options.GradientClipNorm);
        using WeightSnapshot? best = validation is not null && _plan.KeepBestModel ? new WeightSnapshot(network) : null;
        int stepsPerEpoch = (set.RowCount + _options.BatchSize - 1) / _options.BatchSize;
        var schedule = LearningRateScheduler.For(_options, stepsPerEpoch, _plan.Epochs);
        double learningRate = _options.LearningRate;

        if (_options.TuneNativeAllocator && !Runtime.NativeMemory.TuneAllocatorForTraining())
            _channel.Warning("TuneNativeAllocator has no effect here: it needs Linux with glibc's mallopt.");
        _channel.Info("Training {0} on {1} {9}rows: {2}{3} steps of {4}, {5}, {6} epochs of {7} steps{8}.",
            network.Spec.Cell.ToString().ToUpperInvariant(), set.RowCount, set.IsFixedLength ? "" : "up to ", network.Spec.SequenceLength,
            set.Input.Kind == SequenceInputKind.Tokens ? $"one token ({set.Input.Vocabulary.Length} known, embedded in {network.Spec.StepSize} values)" : $"{network.Spec.StepSize} values",
            task.HasAccuracy ? $"{set.ClassCount} classes" : "regression", _plan.Epochs, stepsPerEpoch, validation is null ? "" : $", validating on {validation.RowCount} rows",
            set.IsStreamed ? "streamed " : "");

        using CheckpointStore? checkpoints = _options.CheckpointDirectory is { } directory ? new CheckpointStore(directory, _options.KeepCheckpoints, _channel) : null;
        RunFingerprint? fingerprint = null;
        var state = new RunState { Seed = _seed };
        if (checkpoints is not null)
        {
            fingerprint = RunFingerprint.Of(_options, _plan, network.Spec, set, validation, update.GetType().Name, initialModel);
            if (!_options.ResumeFromCheckpoint)
                checkpoints.DeleteAll();
            else if (checkpoints.FindLatest() is { } checkpoint)
                state = Resume(checkpoint, fingerprint, network, update, best, stepsPerEpoch);
        }

        _stepsBefore = (long)(state.Epoch - 1) * stepsPerEpoch + state.StepsDone;

        // Each epoch's batches depend on the run's seed and the epoch only: a resumed run's rest of the epoch is the same.
        IEpochBatches epochs = set.OpenEpochs(state.Seed, _options.BatchSize);

        var total = Stopwatch.StartNew();
        long totalSteps = (long)stepsPerEpoch * _plan.Epochs;
        for (; !state.Finished; state.Epoch++)
        {
            int epoch = state.Epoch;
            var clock = Stopwatch.StartNew();
            if (state.StepsDone == 0)
                state.BeginEpoch();
            using IEnumerator<TrainingBatch> batches = epochs.Epoch(epoch, state.StepsDone).GetEnumerator();
            for (int step = state.StepsDone; step < stepsPerEpoch; step++)
            {
                // Stops between batches when the host (MLContext) is cancelled.
                _host.CheckAlive();
                _options.CancellationToken.ThrowIfCancellationRequested();
                if (!batches.MoveNext())
                    throw new InvalidOperationException($"Epoch {epoch} of the training data ended after {step} of its {stepsPerEpoch} batches.");
                TrainingBatch batch = batches.Current;
                int rows = batch.Rows;
                long globalStep = (long)(epoch - 1) * stepsPerEpoch + step;
                learningRate = schedule.RateAt(globalStep);
                update.LearningRate = learningRate;

                using var scope = NewDisposeScope();
                Tensor x = batch.ToFeatureTensor(set.Input.ValuesPerStep, _device);
                Tensor y = task.LabelTensor(batch.Labels, _device);
                Tensor logits = network.Forward(x, batch.Lengths);
                Tensor loss = task.Loss(logits, y);
                update.ZeroGradients();
                loss.backward();
                update.Step();

                float lossValue = loss.item<float>();
                if (!float.IsFinite(lossValue))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"Training diverged: the loss became {lossValue} at epoch {epoch}, step {step + 1}. Lower LearningRate or set GradientClipNorm."));
                long batchCorrect = task.Correct(logits, y);
                state.StepsDone = step + 1;
                state.LossSum += lossValue * rows;
                state.WindowLoss += lossValue * rows;
                state.Correct += batchCorrect;
                state.WindowCorrect += batchCorrect;
                state.Seen += rows;
                state.WindowSeen += rows;
                if (_options.Progress is { } progress)
                    progress.Report(MakeReport(TrainingProgressKind.Step, epoch, step + 1, stepsPerEpoch, lossValue, Accuracy(task, batchCorrect, rows),
                        learningRate, state.Seen / clock.Elapsed.TotalSeconds, total.Elapsed, totalSteps));

                if ((step + 1) % _options.LogEveryNSteps == 0)
                {
                    _channel.Info("Epoch {0}, step {1}/{2}: loss {3:F4}{4} (last {5} steps).",
                        epoch, step + 1, stepsPerEpoch, state.WindowLoss / state.WindowSeen, AccuracyText(task, ", accuracy", state.WindowCorrect, state.WindowSeen), _options.LogEveryNSteps);
                    state.WindowLoss = 0;
                    state.WindowCorrect = state.WindowSeen = 0;
                }
                // The epoch's last step is saved with the epoch's end, after validation.
                if (checkpoints is not null && _options.CheckpointEveryNSteps > 0 && (globalStep + 1) % _options.CheckpointEveryNSteps == 0 && step + 1 < stepsPerEpoch)
                    checkpoints.Write(globalStep + 1, () => TrainingCheckpoint.Serialize(fingerprint!, state, network, update, best));
            }

            // A streamed epoch's reader ends here, and any error of its read (rows that changed since the first read) surfaces.
            if (batches.MoveNext())
                throw new InvalidOperationException($"Epoch {epoch} of the training data has more than its {stepsPerEpoch} batches.");
            batches.Dispose();

            // The loss is checked every step, but the last step's update is only seen here: a model must never come
            // out of training with NaN or infinite weights.
            if (!AllFinite(parameters))
                throw new InvalidOperationException(
                    $"Training diverged: the weights became NaN or infinite at epoch {epoch}, step {stepsPerEpoch} (the epoch's last). Lower LearningRate or set GradientClipNorm.");

            (double Loss, double? Accuracy)? validationScore = validation is null ? null : HeldOutEvaluation.Evaluate(_host, network, validation, _device, _options.CancellationToken);
            _channel.Info("Epoch {0}/{1}: loss {2:F4}{3}{4}, learning rate {5:G3}, {6:F1} s.",
                epoch, _plan.Epochs, state.LossSum / state.Seen, AccuracyText(task, ", training accuracy", state.Correct, state.Seen),
                validationScore is { } v ? string.Format(CultureInfo.InvariantCulture, ", validation loss {0:F4}{1}", v.Loss,
                    v.Accuracy is { } accuracy ? string.Format(CultureInfo.InvariantCulture, ", validation accuracy {0:P2}", accuracy) : "") : "",
                learningRate, clock.Elapsed.TotalSeconds);

            _options.Progress?.Report(MakeReport(TrainingProgressKind.Epoch, epoch, stepsPerEpoch, stepsPerEpoch, (float)(state.LossSum / state.Seen),
                Accuracy(task, state.Correct, state.Seen), learningRate, state.Seen / clock.Elapsed.TotalSeconds, total.Elapsed, totalSteps) with
            {
                ValidationLoss = (float?)validationScore?.Loss,
                ValidationAccuracy = (float?)validationScore?.Accuracy,
            });

            if (_options.TrimNativeMemoryEachEpoch)
                Runtime.NativeMemory.TrimAfterEpoch();

            state.Finished = epoch == _plan.Epochs;
            if (validationScore is { } score)
            {
                if (score.Loss < state.BestLoss)
                {
                    state.BestLoss = score.Loss;
                    state.BestEpoch = epoch;
                    best?.Capture();
                }
                else if (_plan.EarlyStoppingPatience > 0 && epoch - state.BestEpoch >= _plan.EarlyStoppingPatience)
                {
                    _channel.Info("Stopping early after epoch {0}: the validation loss has not improved for {1} epoch(s) (best {2:F4} at epoch {3}).",
                        epoch, epoch - state.BestEpoch, state.BestLoss, state.BestEpoch);
                    state.Finished = true;
                }
            }
            if (checkpoints is not null)
            {
                // Saved as the start of the next epoch, so that a resumed run goes on with it (or, finished, only ends).
                var next = new RunState { Seed = state.Seed, Epoch = epoch + 1, Finished = state.Finished, BestLoss = state.BestLoss, BestEpoch = state.BestEpoch };
                checkpoints.Write((long)epoch * stepsPerEpoch, () => TrainingCheckpoint.Serialize(fingerprint!, next, network, update, best));
            }
            state.StepsDone = 0;
        }

        checkpoints?.Complete();

        int lastEpoch = state.Epoch - 1;
        if (best is not null && state.BestEpoch != lastEpoch)
        {
            best.Restore();
            _channel.Info("Keeping the weights of epoch {0}, whose validation loss {1:F4} was the lowest (KeepBestModel).", state.BestEpoch, state.BestLoss);
        }
        // Gradients are needed only while training; the trained model should not keep a second copy of its weights.
        foreach (var parameter in parameters)
            parameter.grad = null;
        network.eval();
    }

    /// <summary>Checks that <paramref name="checkpoint"/> belongs to this run and puts its state into the network, the optimizer and the snapshot.</summary>
    private RunState Resume(TrainingCheckpoint checkpoint, RunFingerprint fingerprint, SequenceClassifier network, ParameterUpdate update,
        WeightSnapshot? best, int stepsPerEpoch)
    {
        var differences = fingerprint.DifferencesFrom(checkpoint.Fingerprint);
        if (differences.Count > 0)
            throw new CheckpointMismatchException(checkpoint.Path, differences);
        try
        {
            checkpoint.Restore(network, update, best);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"The checkpoint '{checkpoint.Path}' matches this run but its tensors do not fit it: {e.Message} Set ResumeFromCheckpoint = false to start over.", e);
        }
        RunState state = checkpoint.State;
        if (state.Finished)
            _channel.Info("Checkpoint '{0}': the run it belongs to had finished (after epoch {1}); its model is returned.", checkpoint.Path, state.Epoch - 1);
        else
            _channel.Info("Resuming from checkpoint '{0}': epoch {1}, after step {2} of {3}.", checkpoint.Path, state.Epoch, state.StepsDone, stepsPerEpoch);
        return state;
    }

    private TrainingProgress MakeReport(TrainingProgressKind kind, int epoch, int step, int stepsPerEpoch, float loss, float accuracy,
        double learningRate, double rowsPerSecond, TimeSpan elapsed, long totalSteps)
    {
        long done = (long)(epoch - 1) * stepsPerEpoch + step;
        // Only the steps since a resume took the elapsed time.
        long doneHere = Math.Max(1, done - _stepsBefore);
        return new TrainingProgress
        {
            Kind = kind,
            Epoch = epoch,
            MaxEpoch = _plan.Epochs,
            Step = step,
            StepsPerEpoch = stepsPerEpoch,
            Loss = loss,
            Accuracy = accuracy,
            LearningRate = (float)learningRate,
            RowsPerSecond = rowsPerSecond,
            Elapsed = elapsed,
            EstimatedRemaining = TimeSpan.FromTicks((long)(elapsed.Ticks * (double)(totalSteps - done) / doneHere)),
        };
    }

    /// <summary>The accuracy reported: NaN for a task without one (regression).</summary>
    private static float Accuracy(RecurrentTask task, long correct, long seen) => task.HasAccuracy ? (float)correct / seen : float.NaN;

    private static string AccuracyText(RecurrentTask task, string label, long correct, long seen) =>
        task.HasAccuracy ? string.Format(CultureInfo.InvariantCulture, "{0} {1:P2}", label, (double)correct / seen) : "";

    private bool UsesFusedKernels(SequenceClassifier network) =>
        network.Spec.Cell == RecurrentCellKind.Sru ? _device.type == DeviceType.CPU : FusedRnnPath.AppliesTo(_device);

    private bool UsesOwnThreads(SequenceClassifier network) => UsesFusedKernels(network) && Model.Kernels.Sgemm512.IsSupported;

    private static bool AllFinite(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        return parameters.All(p => p.isfinite().all().item<bool>());
    }
}
