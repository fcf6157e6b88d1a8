using Microsoft.ML;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Runtime;
using Microsoft.ML.Sru.Tests.Trainers;

// Trains a tiny SRU with a checkpoint after every step, resuming from CHECKPOINTS if it holds one, and saves the model
// atomically to MODEL. The tests kill it (SIGKILL) at random moments and run it again until it finishes.
//   Sru.TrainingProcess CHECKPOINTS MODEL [STOP_IN_WRITE]
// Prints "STEP n" after every step, the library's resume messages, and "DONE" at the end. With STOP_IN_WRITE = n, the
// n-th checkpoint this process writes stops halfway through its file: "STOPPED path" is printed and the process waits
// there to be killed.
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: Sru.TrainingProcess CHECKPOINTS MODEL [STOP_IN_WRITE]");
    return 2;
}
int stopInWrite = args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 0, writes = 0;
AtomicFile.MidWriteHook = path =>
{
    if (++writes != stopInWrite)
        return;
    Console.WriteLine($"STOPPED {path}");
    Thread.Sleep(TimeSpan.FromMinutes(2));
};

var ml = new MLContext(seed: 7);
ml.Log += (_, e) =>
{
    if (e.Message.Contains("Resuming from checkpoint", StringComparison.Ordinal) || e.Message.Contains("had finished", StringComparison.Ordinal)
        || e.Message.Contains("interrupted", StringComparison.Ordinal))
        Console.WriteLine($"LOG {e.Message}");
};
IDataView train = OrderedMarkers.Load(new MLContext(seed: 1), 400, seed: 1);
var options = new SruTrainer.Options
{
    SequenceLength = OrderedMarkers.Steps,
    HiddenSize = 8,
    NumberOfLayers = 2,
    MaxEpoch = 4,
    BatchSize = 32,
    LearningRate = 0.01f,
    CheckpointDirectory = args[0],
    CheckpointEveryNSteps = 1,
    KeepCheckpoints = 3,
    Progress = new StepPrinter(),
};
var model = ml.MulticlassClassification.Trainers.Sru(options).Fit(train);
ml.Model.SaveAtomically(model, train.Schema, args[1]);
Console.WriteLine("DONE");
return 0;

internal sealed class StepPrinter : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.Kind == TrainingProgressKind.Step)
            Console.WriteLine($"STEP {(value.Epoch - 1) * value.StepsPerEpoch + value.Step}");
    }
}
