using System.Diagnostics;
using Microsoft.ML.Sru.Checkpoints;
using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Reliability;

/// <summary>
/// Training in a child process (test/Sru.TrainingProcess) is killed with SIGKILL at random steps and in the middle of
/// writing a checkpoint, then started again, until it finishes: every checkpoint left behind reads and verifies, a
/// half-written one only ever exists under a temporary name, and the final model has the weights of a run never killed.
/// </summary>
[TestClass]
public sealed class KilledTrainingTests
{
    [TestMethod]
    public void Training_killed_at_random_moments_and_during_checkpoint_writes_resumes_to_the_uninterrupted_model()
    {
        string root = Path.Combine(Path.GetTempPath(), "sru-killed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string referenceModel = Path.Combine(root, "reference.zip");
            Run(Path.Combine(root, "reference"), referenceModel, stopInWrite: 0, kill: null, out _);

            string checkpoints = Path.Combine(root, "checkpoints"), model = Path.Combine(root, "model.zip");
            int seed = Environment.TickCount;
            var random = new Random(seed);
            string context = $"(random seed {seed})";
            int killsInWrites = 0, resumes = 0;
            bool hadCheckpoints = false;
            for (int attempt = 0; attempt < 4; attempt++)
            {
                // Alternately: halfway through the writing of a random checkpoint, or a random time after a random step.
                bool inWrite = attempt % 2 == 0;
                int after = random.Next(1, 15), delay = random.Next(0, 15);
                Func<string, bool> kill = inWrite
                    ? line => line.StartsWith("STOPPED ", StringComparison.Ordinal)
                    : line =>
                    {
                        if (!line.StartsWith("STEP ", StringComparison.Ordinal) || --after > 0)
                            return false;
                        Thread.Sleep(delay);
                        return true;
                    };
                bool killed = Run(checkpoints, model, inWrite ? after : 0, kill, out string output);
                resumes += output.Split('\n').Count(l => l.Contains("Resuming from checkpoint", StringComparison.Ordinal));
                if (!killed)
                    break;
                if (inWrite)
                {
                    killsInWrites++;
                    Assert.IsNotEmpty(Directory.GetFiles(checkpoints, ".checkpoint-*.partial"), $"a kill while writing leaves the temporary file {context}\n{output}");
                }
                string[] files = Directory.GetFiles(checkpoints, "checkpoint-*.srucheckpoint");
                // A kill in the very first write of a fresh run leaves no complete checkpoint, and must leave none.
                bool firstWriteInterrupted = inWrite && after == 1 && !hadCheckpoints;
                if (firstWriteInterrupted)
                    Assert.IsEmpty(files, $"no checkpoint under its final name after the first write was interrupted {context}\n{output}");
                else if (hadCheckpoints || inWrite)
                    Assert.IsNotEmpty(files, $"checkpoints exist after attempt {attempt} {context}\n{output}");
                hadCheckpoints |= files.Length > 0;
                foreach (string file in files)
                    _ = TrainingCheckpoint.Read(file); // throws when half-written or damaged
            }
            Run(checkpoints, model, stopInWrite: 0, kill: null, out string last);
            resumes += last.Split('\n').Count(l => l.Contains("Resuming from checkpoint", StringComparison.Ordinal) || l.Contains("had finished", StringComparison.Ordinal));

            Assert.IsGreaterThanOrEqualTo(1, killsInWrites, context);
            Assert.IsGreaterThanOrEqualTo(2, resumes, $"runs after a kill resumed {context}");
            Assert.IsEmpty(Directory.GetFiles(checkpoints, "*.partial"), "the finishing run deleted the interrupted writes' files");
            CollectionAssert.AreEqual(Weights(referenceModel), Weights(model), $"the killed and resumed run ends with the uninterrupted run's weights {context}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Runs the training process (stopping halfway through its <paramref name="stopInWrite"/>-th checkpoint, if not 0); kills
    /// it (SIGKILL) on the first output line for which <paramref name="kill"/> says so.
    /// Returns whether it was killed; a run not killed must succeed.
    /// </summary>
    private static bool Run(string checkpoints, string model, int stopInWrite, Func<string, bool>? kill, out string output)
    {
        string dll = Path.Combine(AppContext.BaseDirectory.Replace(Path.Combine("test", "Microsoft.ML.Sru.Tests"), Path.Combine("test", "Sru.TrainingProcess"), StringComparison.Ordinal),
            "Sru.TrainingProcess.dll");
        Assert.IsTrue(File.Exists(dll), $"The training process is not built at {dll}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { dll, checkpoints, model, stopInWrite.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        bool killed = false;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
            if (!killed && kill is not null && kill(line))
            {
                process.Kill(); // SIGKILL on Linux: no handler, no finally block runs
                killed = true;
            }
        }
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The training process did not finish within two minutes.");
        }
        output = string.Join('\n', lines) + "\n--- stderr ---\n" + stderr.Result;
        if (!killed)
            Assert.AreEqual(0, process.ExitCode, output);
        return killed;
    }

    private static byte[] Weights(string modelPath)
    {
        var loaded = (ISingleFeaturePredictionTransformer<RecurrentModelParameters>)new MLContext().Model.Load(modelPath, out _);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
            loaded.Model.WriteWeights(writer);
        loaded.Model.Dispose();
        return buffer.ToArray();
    }
}
