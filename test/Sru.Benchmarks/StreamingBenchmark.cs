using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sru;

namespace Sru.Benchmarks;

/// <summary>
/// Training on data larger than one wants in memory (<see cref="DataLoading.Streaming"/>): MNIST's training rows, each
/// shifted by a random −2 to 2 pixels across and down, written as a binary IDataView of <c>rows</c> rows to a temporary
/// folder (deleted after). Each measurement runs in a fresh child process, so that one run's peak working set
/// (VmHWM) is its own: the SRU's defaults, one epoch, in memory and streamed on the first <c>subset</c> rows (a set that
/// fits both; alternated, <c>rounds</c> times) and streamed on all of them.
/// </summary>
internal static class StreamingBenchmark
{
    public const string ChildCommand = "--streaming-child";

    /// <param name="Mode">InMemory or Streaming.</param>
    /// <param name="Rows">Training rows read.</param>
    /// <param name="FitSeconds">The whole Fit: reading (and, streamed, the statistics reads), training one epoch.</param>
    /// <param name="EpochRowsPerSecond">Rows trained a second in the epoch (the training loop's own clock: reading overlapped, not the first reads).</param>
    /// <param name="PeakWorkingSetMiB">The child process's peak resident set (VmHWM).</param>
    /// <param name="LoadAverage">The 1-minute load average when the child ended.</param>
    public sealed record Run(string Mode, int Rows, double FitSeconds, double EpochRowsPerSecond, long PeakWorkingSetMiB, double LoadAverage, float TrainingAccuracy);

    /// <summary>A 28 × 28 image with a key label (1–10 for digits 0–9), as the binary file stores it.</summary>
    private sealed class ImageRow
    {
        [KeyType(10)]
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    public static IReadOnlyList<Run> Measure(int rows, int subset, int rounds, Action<string> log)
    {
        string folder = Path.Combine(Path.GetTempPath(), "sru-streaming-benchmark-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string file = Path.Combine(folder, "augmented-mnist.idv");
            var clock = Stopwatch.StartNew();
            Write(file, rows);
            log(string.Create(CultureInfo.InvariantCulture,
                $"   wrote {rows:N0} augmented MNIST rows to a binary IDataView: {new FileInfo(file).Length / 1048576.0:F0} MiB in {clock.Elapsed.TotalSeconds:F0} s"));
            var runs = new List<Run>();
            for (int round = 0; round < rounds; round++)
            {
                // Alternated so that a change in the machine's load falls on both modes.
                foreach (string mode in round % 2 == 0 ? new[] { "InMemory", "Streaming" } : new[] { "Streaming", "InMemory" })
                    runs.Add(Child(file, mode, subset, log));
            }
            runs.Add(Child(file, "Streaming", rows, log));
            return runs;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>MNIST's rows shifted at random, <paramref name="rows"/> of them, read lazily by the saver: never all in memory.</summary>
    private static void Write(string file, int rows)
    {
        var ml = new MLContext(seed: 1);
        var mnist = ml.Data.CreateEnumerable<MnistSource>(ml.Data.LoadMnist(MnistSplit.Train), reuseRowObject: false).ToArray();
        IEnumerable<ImageRow> Augmented()
        {
            var random = new Random(1);
            for (int i = 0; i < rows; i++)
            {
                MnistSource source = mnist[random.Next(mnist.Length)];
                int dx = random.Next(-2, 3), dy = random.Next(-2, 3);
                var shifted = new float[784];
                for (int y = 0; y < 28; y++)
                {
                    int from = y - dy;
                    if (from is < 0 or >= 28)
                        continue;
                    for (int x = 0; x < 28; x++)
                    {
                        int fromX = x - dx;
                        if (fromX is >= 0 and < 28)
                            shifted[y * 28 + x] = source.Features[from * 28 + fromX];
                    }
                }
                yield return new ImageRow { Label = source.Label + 1, Features = shifted };
            }
        }
        using var stream = File.Create(file);
        ml.Data.SaveAsBinary(ml.Data.LoadFromEnumerable(Augmented()), stream);
    }

    private sealed class MnistSource
    {
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    private static Run Child(string file, string mode, int rows, Action<string> log)
    {
        string self = typeof(StreamingBenchmark).Assembly.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(self);
        foreach (string argument in new[] { ChildCommand, file, mode, rows.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        using var child = Process.Start(start)!;
        Run? run = null;
        while (child.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                run = JsonSerializer.Deserialize<Run>(line["RESULT ".Length..]);
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || run is null)
            throw new InvalidOperationException($"The {mode} run on {rows} rows failed (exit code {child.ExitCode}).");
        log(string.Create(CultureInfo.InvariantCulture,
            $"   {run.Mode,-9} {run.Rows,9:N0} rows: Fit {run.FitSeconds,6:F1} s, epoch {run.EpochRowsPerSecond,7:F0} rows/s, peak working set {run.PeakWorkingSetMiB,5} MiB, training accuracy {run.TrainingAccuracy:P2}, load {run.LoadAverage:F1}"));
        return run;
    }

    /// <summary>In the child: one epoch of the SRU's defaults on the file's first <paramref name="rows"/> rows; prints RESULT and the run as JSON.</summary>
    public static int RunChild(string file, string mode, int rows)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.TakeRows(ml.Data.LoadFromBinary(file), rows);
        TrainingProgress? epoch = null;
        var options = new SruTrainer.Options
        {
            MaxEpoch = 1,
            DataLoading = Enum.Parse<DataLoading>(mode),
            Progress = new Progress(report => { if (report.Kind == TrainingProgressKind.Epoch) epoch = report; }),
        };
        var clock = Stopwatch.StartNew();
        using (ml.MulticlassClassification.Trainers.Sru(options).Fit(data))
        {
        }
        double fit = clock.Elapsed.TotalSeconds;
        var run = new Run(mode, rows, fit, epoch!.RowsPerSecond, PeakResidentMiB(), LoadAverage(), epoch.Accuracy);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(run));
        return 0;
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private static long PeakResidentMiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) >> 10;
        }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 >> 20;
    }

    public static double LoadAverage() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : double.NaN;
}
