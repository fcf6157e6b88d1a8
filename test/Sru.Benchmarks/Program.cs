using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.OnnxRuntime;
using Sru.Benchmarks;

// Every figure is measured in this one run, after warm-up, as the median of repeated runs.
//   dotnet run -c Release --project test/Sru.Benchmarks [-- --steps-only | --memory-only [--no-trim]] [--json PATH]
//   ... -- --accuracy-table [--datasets Digits,Fashion] [--epochs 3,10] [--models sru,best,lstm,gru]   (the README's results table)
//   ... -- --blog-table [--seeds 1,2,3] [--no-ablation | --ablation-only]   (the blog's run reproduced; the defaults' changes one at a time)
//   ... -- --text [--contenders ...] [--categories a,b]   (fortunes categories from their words: recurrent trainers against FeaturizeText)
//   ... -- --weather [--contenders Sru,Lstm,Gru,Sdca,FastTree,LightGbm]   (binary and regression on 14-day weather windows)
//   ... -- --robustness [--variants 0,3] [--trainers Sru,Lstm,Gru,SdcaMaximumEntropy,LightGbm] [--normalization None|Global|PerStepPosition] [--max-epoch N]
//   ... -- --fused-steps-only   (fused SRU steps alone, by phase, for a profiler)
//   ... -- --scoring-only [--cells SRU,LSTM,GRU] [--rounds 2]   (item 4 alone, on models trained briefly: their speed, not their
//                                 accuracy; LSTM and GRU through TorchSharp's scorer and the managed one in turn, same model)
//   ... -- --checkpoints-only   (checkpoints' size, write time and share of training time on MNIST; docs/checkpoints.md)
//   ... -- --onnx               (the exported models in ONNX Runtime beside Transform and PredictionEngine)
//   ... -- --streaming [--rows 1000000] [--subset 100000] [--rounds 2]   (training streamed from a binary IDataView on disk against in memory; fresh processes)
//   ... -- --bf16-gemm          (the step's products on Sgemm512 fp32 against libtorch's bf16 matmul, and their share of the step)
//   ... -- --onnx-scan          (the exported SRU's recurrence unrolled against the same model with a Scan per layer, in ONNX Runtime)
bool stepsOnly = args.Contains("--steps-only");
bool memoryOnly = args.Contains("--memory-only");
int jsonAt = Array.IndexOf(args, "--json");
string jsonPath = jsonAt >= 0 && jsonAt + 1 < args.Length ? args[jsonAt + 1] : "benchmark-results/benchmark.json";
var figures = new Dictionary<string, object>
{
    ["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}",
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"),
};

Console.WriteLine($"Machine: {figures["machine"]}");
if (args.Contains("--accuracy-table"))
{
    // --accuracy-table [--datasets Digits,Fashion] [--epochs 3,10] [--models sru,best,lstm,gru]: the README's results table.
    string Value(string name, string fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    var datasets = Value("--datasets", "Digits,Fashion").Split(',').Select(Enum.Parse<MnistVariant>).ToArray();
    var epochCounts = Value("--epochs", "3,10").Split(',').Select(int.Parse).ToArray();
    var wanted = Value("--models", "sru,best,lstm,gru").Split(',');
    string Key(AccuracyTable.Model m) => m.Name.StartsWith("SRU (best", StringComparison.Ordinal) ? "best" : m.Name.Split(' ')[0].ToLowerInvariant();
    Console.WriteLine("Results table: test accuracy and training time, seed 1, separate runs per epoch count:");
    var entries = AccuracyTable.Run(datasets, epochCounts, m => wanted.Contains(Key(m)));
    figures["accuracy_table"] = entries;
    SaveFigures();
    return 0;
}

if (args.Length == 4 && args[0] == StreamingBenchmark.ChildCommand)
    return StreamingBenchmark.RunChild(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));

if (args.Contains("--streaming"))
{
    // --streaming [--rows 1000000] [--subset 100000] [--rounds 2]: DataLoading.Streaming on augmented MNIST written to disk.
    string Value(string name, string fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    int rows = int.Parse(Value("--rows", "1000000"), System.Globalization.CultureInfo.InvariantCulture);
    int subset = int.Parse(Value("--subset", "100000"), System.Globalization.CultureInfo.InvariantCulture);
    int rounds = int.Parse(Value("--rounds", "2"), System.Globalization.CultureInfo.InvariantCulture);
    Console.WriteLine($"Streaming: SRU defaults, one epoch, each run in a fresh process (glibc's default allocator settings), load average {StreamingBenchmark.LoadAverage():F1} at the start:");
    var runs = StreamingBenchmark.Measure(rows, subset, rounds, Console.WriteLine);
    double Median(string mode) => Statistics.Median(runs.Where(r => r.Mode == mode && r.Rows == subset).Select(r => r.EpochRowsPerSecond).ToArray());
    var ratios = runs.Where(r => r.Rows == subset).Chunk(2).Select(pair => pair.Single(r => r.Mode == "Streaming").EpochRowsPerSecond / pair.Single(r => r.Mode == "InMemory").EpochRowsPerSecond).ToArray();
    var full = runs.Single(r => r.Rows == rows);
    Console.WriteLine(System.FormattableString.Invariant(
        $"   {subset:N0} rows: streamed / in memory, epoch rows/s, per round: {string.Join(", ", ratios.Select(r => r.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)))} (target ≥ 80 %: {(ratios.Min() >= 0.8 ? "met" : ratios.Max() >= 0.8 ? "met in some rounds" : "not met")})"));
    Console.WriteLine(System.FormattableString.Invariant(
        $"   {rows:N0} rows streamed: peak working set {full.PeakWorkingSetMiB} MiB (target ≤ 1,536 MiB: {(full.PeakWorkingSetMiB <= 1536 ? "met" : "not met")})"));
    figures["streaming"] = new
    {
        rows, subset, rounds, runs,
        epoch_rows_per_second_median = new { in_memory = Median("InMemory"), streaming = Median("Streaming") },
        streamed_over_in_memory_per_round = ratios,
        full_peak_working_set_mib = full.PeakWorkingSetMiB,
    };
    SaveFigures();
    return 0;
}

if (args.Contains("--checkpoints-only"))
{
    // Checkpoints' size, write time and share of training time on full MNIST, SRU defaults, 3 epochs: none, per epoch, every 500 steps.
    Console.WriteLine("Checkpoints on full MNIST, SRU defaults, 3 epochs (serialized on the training thread; written, flushed and renamed in the background):");
    var runs = CheckpointBenchmark.Run(epochs: 3);
    foreach (var r in runs)
    {
        string written = r.CheckpointBytes.Length == 0 ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"; {r.CheckpointBytes.Length} checkpoints of {r.CheckpointBytes.Average() / 1024:F0} KiB, on the training thread median {Statistics.Median(r.BlockedMilliseconds):F1} ms (max {r.BlockedMilliseconds.Max():F1}; serializing median {Statistics.Median(r.SerializingMilliseconds):F1}), background write median {Statistics.Median(r.WritingMilliseconds):F1} ms (max {r.WritingMilliseconds.Max():F1}); {r.CheckpointShare:P2} of training time");
        Console.WriteLine($"   {r.Setting,-18} Fit {r.FitSeconds,6:F1} s, training {r.TrainingSeconds,6:F1} s ({r.TrainingSeconds / 3:F2} s an epoch){written}");
    }
    figures["checkpoints"] = runs.Select(r => new
    {
        setting = r.Setting, fit_s = r.FitSeconds, training_s = r.TrainingSeconds, checkpoint_bytes = r.CheckpointBytes,
        training_thread_ms = r.BlockedMilliseconds, serializing_ms = r.SerializingMilliseconds, background_write_ms = r.WritingMilliseconds,
        share_of_training = r.CheckpointShare,
    }).ToArray();
    SaveFigures();
    return 0;
}

if (args.Contains("--blog-table"))
{
    // --blog-table [--seeds 1,2,3] [--no-ablation]: the blog's run reproduced, and what the defaults add one change at a time.
    int seedsAt = Array.IndexOf(args, "--seeds");
    int[] seeds = (seedsAt >= 0 && seedsAt + 1 < args.Length ? args[seedsAt + 1] : "1,2,3").Split(',').Select(int.Parse).ToArray();
    Console.WriteLine($"The blog's run ({BlogReproduction.TrainingRows:N0} training rows, 3 epochs) and the defaults' changes on top of its SRU:");
    figures["blog"] = BlogTable.Run(seeds, blogRuns: !args.Contains("--ablation-only"), ablation: !args.Contains("--no-ablation"));
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Figures written to {Path.GetFullPath(jsonPath)}.");
    return 0;
}

if (args.Contains("--text"))
{
    // --text [--contenders A,B] [--categories a,b,c]: the fortunes corpus's categories from the entries' words.
    string Value(string name, string? fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback!;
    var contenders = Value("--contenders", string.Join(',', TextBenchmark.ContenderNames)).Split(',');
    string[]? categories = Value("--categories", null)?.Split(',');
    Console.WriteLine("Text classification: test accuracy, Fit time and scoring rows/s, seed 1:");
    figures["text"] = TextBenchmark.Run(contenders, categories);
    SaveFigures();
    return 0;
}

if (args.Contains("--ink-rows"))
{
    // --ink-rows: MNIST's fixed 28 rows against each digit cut to its ink rows (variable length), SRU defaults.
    Console.WriteLine("Variable-length rows: test accuracy, Fit time and scoring rows/s, seed 1:");
    figures["ink-rows"] = InkRowsBenchmark.Run();
    SaveFigures();
    return 0;
}

if (args.Contains("--length-probe"))
{
    // --length-probe 0,4,5,w [--try "WeightDecay=0.1;Dropout=0.2"]: the SRU's training-length and regularisation choices.
    LengthProbe.Run(args[Array.IndexOf(args, "--length-probe") + 1], Array.IndexOf(args, "--try") is int t and >= 0 ? args[t + 1] : null);
    return 0;
}

if (args.Contains("--weather"))
{
    // --weather [--contenders Sru,Sdca]: rain tomorrow (binary) and tomorrow's highest temperature (regression) from 14 days.
    string Value(string name, string? fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback!;
    var contenders = Value("--contenders", string.Join(',', WeatherBenchmark.ContenderNames)).Split(',');
    Console.WriteLine("Weather: test AUC / RMSE, Fit time and scoring rows/s, seed 1, defaults, a normalizer only before Sdca:");
    figures["weather"] = WeatherBenchmark.Run(contenders);
    SaveFigures();
    return 0;
}

if (args.Contains("--robustness"))
{
    // --robustness [--variants 0,3] [--trainers Sru,LightGbm] [--normalization PerStepPosition] [--max-epoch N] [--seeds 1,2,3]:
    // every trainer with its defaults on dataset variants it was not tuned for, no normalizer in the pipeline.
    string Value(string name, string? fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback!;
    List<RobustnessSuite.Variant> variants;
    try
    {
        variants = Value("--variants", null) is { } picked
            ? picked.Split(',').Select(text => int.TryParse(text, out int i) && i >= 0 && i < RobustnessSuite.Variants.Count
                ? RobustnessSuite.Variants[i]
                : throw new ArgumentException($"--variants: '{text}' is not a variant index 0–{RobustnessSuite.Variants.Count - 1}.")).ToList()
            : Value("--custom-variants", null) is { } custom
            // --custom-variants Fashion:5000:raw:28,Digits:20000:unit:56 — variants outside the suite, to check a default on.
            ? custom.Split(',').Select(text => RobustnessSuite.ParseVariant(text)).ToList()
            : RobustnessSuite.Variants.ToList();
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }
    var trainers = Value("--trainers", string.Join(',', RobustnessSuite.TrainerNames)).Split(',');
    string? normalization = Value("--normalization", null);
    string? maxEpoch = Value("--max-epoch", null);
    // --set Name=Value,Name=Value: any option property (of the recurrent trainers that have it) set by name.
    string? settings = Value("--set", null);
    Action<RecurrentTrainerOptions>? change = normalization is null && maxEpoch is null && settings is null ? null : o =>
    {
        if (normalization is not null)
            o.InputNormalization = Enum.Parse<InputNormalization>(normalization);
        if (maxEpoch is not null)
            o.MaxEpoch = int.Parse(maxEpoch, System.Globalization.CultureInfo.InvariantCulture);
        foreach (string setting in (settings ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] pair = setting.Split('=', 2);
            var property = o.GetType().GetProperty(pair[0]);
            if (property is null)
                continue;
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            property.SetValue(o, type.IsEnum ? Enum.Parse(type, pair[1]) : Convert.ChangeType(pair[1], type, System.Globalization.CultureInfo.InvariantCulture));
        }
    };
    int[]? seeds = Value("--seeds", null)?.Split(',').Select(int.Parse).ToArray();
    Console.WriteLine($"Robustness suite: test accuracy and Fit time, seed {(seeds is null ? "1" : string.Join(",", seeds))}, defaults{(change is null ? "" : $" except {(normalization is null ? "" : $"InputNormalization={normalization} ")}{(maxEpoch is null ? "" : $"MaxEpoch={maxEpoch} ")}{settings}")}, no normalizer:");
    figures["robustness"] = RobustnessSuite.Run(variants, trainers, change, seeds);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Figures written to {Path.GetFullPath(jsonPath)}.");
    return 0;
}

if (args.Contains("--rnn-steps"))
{
    // LSTM and GRU: the fused layers against nn.LSTM/nn.GRU, first with glibc's default allocator settings, then tuned.
    Console.WriteLine($"LSTM/GRU training step at B={StepBenchmark.Batch}, T={StepBenchmark.Steps}, I={StepBenchmark.StepSize}, H={StepBenchmark.Hidden}, " +
        $"{StepBenchmark.Layers} layers, Adam (median of 40, in turn in blocks of 10 after 40 warm-up steps each); load average {PageFaults.LoadAverage()}:");
    var rnnFigures = new Dictionary<string, object>();
    foreach (bool tune in new[] { false, true })
    {
        // The allocator setting is process-wide and cannot be undone, so the default comes first.
        string allocator = tune ? (Microsoft.ML.Sru.Runtime.NativeMemory.TuneAllocatorForTraining() ? "glibc tuned (TuneNativeAllocator)" : "glibc default (tuning not available)") : "glibc default";
        Console.WriteLine($"  allocator: {allocator}");
        var steps = StepBenchmark.RecurrentCellSteps(warmup: 40, repeats: 40);
        foreach (var step in steps)
            Console.WriteLine($"   {step.Name,-11} {step.Milliseconds,8:F2} ms   {step.MinorFaults,8:F0} minor faults/step");
        Console.WriteLine($"   nn.LSTM / fused LSTM {steps[1].Milliseconds / steps[0].Milliseconds:F2}×, nn.GRU / fused GRU {steps[3].Milliseconds / steps[2].Milliseconds:F2}×; load average now {PageFaults.LoadAverage()}");
        rnnFigures[tune ? "tuned_allocator" : "default_allocator"] = steps;
    }
    figures["rnn_steps"] = rnnFigures;
    SaveFigures();
    return 0;
}
if (args.Contains("--lstm-fit"))
{
    // Trainers.Lstm() with its defaults on full MNIST: the fused layers, then nn.LSTM (the internal switch off).
    var ml = new MLContext(seed: 1);
    IDataView train = ml.Data.LoadMnist(MnistSplit.Train);
    IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
    Console.WriteLine($"Trainers.Lstm() defaults, full MNIST; load average {PageFaults.LoadAverage()}:");
    foreach (bool reference in args.Contains("--no-reference") ? new[] { false } : new[] { false, true })
    {
        Microsoft.ML.Sru.Model.FusedRnnPath.ReferenceOnly.Value = reference;
        var result = MnistBenchmark.Run(reference ? "nn.LSTM" : "LSTM fused", ml.MulticlassClassification.Trainers.Lstm(), ml, train, test);
        Console.WriteLine($"   {result.Trainer,-10} Fit {result.TrainSeconds,7:F1} s, with evaluation {result.WallSeconds,7:F1} s, test accuracy {result.Accuracy:P2}; load average {PageFaults.LoadAverage()}");
        figures[reference ? "lstm_fit_reference" : "lstm_fit_fused"] = new { fit_seconds = result.TrainSeconds, wall_seconds = result.WallSeconds, accuracy = result.Accuracy };
        SaveFigures();
    }
    Microsoft.ML.Sru.Model.FusedRnnPath.ReferenceOnly.Value = false;
    return 0;
}
if (args.Contains("--fused-steps-only"))
{
    // Only fused SRU steps, for an outside profiler such as `perf record`.
    double[] phases = StepBenchmark.FusedPhaseMilliseconds(warmup: 40, repeats: 400);
    Console.WriteLine($"fused step by phase: forward+loss {phases[0]:F2} ms, backward {phases[1]:F2} ms, clipping+Adam {phases[2]:F2} ms");
    return 0;
}
if (args.Contains("--bf16-gemm"))
{
    figures["bf16_gemm"] = Bf16GemmBenchmark.Run();
    SaveFigures();
    return 0;
}
if (args.Contains("--onnx-scan"))
{
    // The SRU (defaults: 3 × 128, 2017 form) exported unrolled and rewritten with a Scan per layer (docs/onnx.md,
    // "Scan/Loop versus unrolled"); trained briefly as for --onnx: the speed does not depend on the weights.
    var ml = new MLContext(seed: 1);
    IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 6000);
    IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
    var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
    IDataView keyedTrain = keyed.Transform(train), keyedTest = keyed.Transform(test);
    var options = new SruTrainer.Options { MaxEpoch = 1 };
    ITransformer model = ml.MulticlassClassification.Trainers.Sru(options).Fit(keyedTrain);
    var spec = ((RecurrentPredictionTransformer)model).Model.Spec;
    // The load average before and after: other processes on the machine change the figures.
    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
    string loadBefore = LoadAverage();
    var r = OnnxScanBenchmark.Run(ml, model, keyedTest, spec.SequenceLength, spec.NumberOfLayers);
    string loadAfter = LoadAverage();
    (model as IDisposable)?.Dispose();
    Console.WriteLine($"SRU {spec.NumberOfLayers} × {spec.HiddenSize}, T = {spec.SequenceLength}, S = {spec.StepSize}, {spec.ClassCount} classes; ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version}, default session options; MNIST test split ({r.Rows:N0} rows)");
    Console.WriteLine($"Parity: largest Score difference Scan − unrolled {r.LargestScoreDifference:G3} over {r.Rows:N0} rows (tolerance 1e-4), predicted classes differing: {r.PredictionsDiffering}");
    Console.WriteLine($"Medians of {r.Rounds} rounds (the two forms in turn, alternating which goes first); batches of 128; one row: {r.LatencyRows:N0} rows a round");
    Console.WriteLine("   form       nodes   bytes       rows/s batched   one row p50 µs   p99 µs");
    foreach (var f in new[] { r.Unrolled, r.Scan })
        Console.WriteLine($"   {f.Name,-9} {f.Nodes,6} {f.Bytes,9:N0}   {f.RowsPerSecond,14:N0}   {f.P50,14:F1}   {f.P99,7:F1}");
    Console.WriteLine($"   load average (1, 5, 15 min) before {loadBefore}, after {loadAfter}");
    Console.WriteLine($"   Scan / unrolled: rows/s {r.Scan.RowsPerSecond / r.Unrolled.RowsPerSecond:F2}×, p50 {r.Scan.P50 / r.Unrolled.P50:F2}×, p99 {r.Scan.P99 / r.Unrolled.P99:F2}×");
    figures["onnx_scan"] = new
    {
        model = $"SRU {spec.NumberOfLayers}x{spec.HiddenSize}, T={spec.SequenceLength}, S={spec.StepSize}, {spec.ClassCount} classes, trained 1 epoch on 6,000 MNIST rows",
        rows = r.Rows, scan_layers = r.ScanLayers, largest_score_difference = r.LargestScoreDifference, predictions_differing = r.PredictionsDiffering,
        rounds = r.Rounds, latency_rows = r.LatencyRows, batch = 128, load_average_before = loadBefore, load_average_after = loadAfter,
        unrolled = Figures(r.Unrolled), scan = Figures(r.Scan),
        scan_over_unrolled = new { rows_per_second = r.Scan.RowsPerSecond / r.Unrolled.RowsPerSecond, p50 = r.Scan.P50 / r.Unrolled.P50, p99 = r.Scan.P99 / r.Unrolled.P99 },
    };
    SaveFigures();
    return 0;

    static object Figures(OnnxScanBenchmark.Form f) => new
    {
        nodes = f.Nodes, bytes = f.Bytes, rows_per_second = f.RowsPerSecond, p50_us = f.P50, p99_us = f.P99,
        rounds_rows_per_second = f.RoundRowsPerSecond, rounds_p50_us = f.RoundP50, rounds_p99_us = f.RoundP99,
    };
}
if (args.Contains("--onnx"))
{
    var onnxFigures = new List<object>();
    // The exported classifiers in ONNX Runtime beside Transform and PredictionEngine (docs/onnx.md); briefly trained, as --scoring-only.
    var ml = new MLContext(seed: 1);
    IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 6000);
    IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
    var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
    IDataView keyedTrain = keyed.Transform(train), keyedTest = keyed.Transform(test);
    Console.WriteLine("ONNX export, MNIST test split (10,000 rows): rows/s batched, single-row latency p50 / p99");
    foreach (var (name, trainer) in new (string, IEstimator<ITransformer>)[]
    {
        ("SRU", ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { MaxEpoch = 1 })),
        ("LSTM", ml.MulticlassClassification.Trainers.Lstm(new LstmTrainer.Options { MaxEpoch = 1 })),
        ("GRU", ml.MulticlassClassification.Trainers.Gru(new GruTrainer.Options { MaxEpoch = 1 })),
    })
    {
        ITransformer model = trainer.Fit(keyedTrain);
        double rowsPerSecond = MnistBenchmark.ScoringRowsPerSecond(model, keyedTest);
        var (p50, p99) = MnistBenchmark.PredictionLatency(ml, model, keyedTest);
        var onnx = OnnxBenchmark.Measure(ml, model, keyedTest);
        Console.WriteLine($"   {name,-5} Transform {rowsPerSecond,8:N0} rows/s, PredictionEngine {p50,7:F1} / {p99,7:F1} µs | ONNX Runtime {onnx.RowsPerSecond,8:N0} rows/s, one row {onnx.P50,7:F1} / {onnx.P99,7:F1} µs");
        onnxFigures.Add(new { model = name, transform_rows_per_s = rowsPerSecond, prediction_engine_p50_us = p50, prediction_engine_p99_us = p99,
            onnx_runtime_rows_per_s = onnx.RowsPerSecond, onnx_runtime_p50_us = onnx.P50, onnx_runtime_p99_us = onnx.P99 });
        (model as IDisposable)?.Dispose();
    }
    figures["onnx"] = onnxFigures;
    SaveFigures();
    return 0;
}
if (args.Contains("--scoring-only"))
{
    // Item 4 alone: scoring speed does not depend on how well the model was trained, so one epoch on 6,000 rows will do.
    // LSTM and GRU: the same model through TorchSharp's scorer (TorchBatchScorer, the path before the managed scorer
    // covered them) and the managed one, in turn, --rounds times; the SRU through its managed scorer.
    string Value(string name, string fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    var cells = Value("--cells", "SRU,LSTM,GRU").ToUpperInvariant().Split(',');
    int rounds = int.Parse(Value("--rounds", "2"), System.Globalization.CultureInfo.InvariantCulture);
    var ml = new MLContext(seed: 1);
    IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 6000);
    IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
    var keyed = ml.Transforms.Conversion.MapValueToKey("Label");
    Console.WriteLine($"Scoring the 10,000 MNIST test rows (28 steps of 28) through Transform (median of 3 passes), and PredictionEngine single rows " +
        $"(p50/p99 of 2,000 after 100 warm-up); models 2 × 128, one epoch on 6,000 rows; allocator: glibc default; load average {PageFaults.LoadAverage()}:");
    var scoringFigures = new List<object>();
    foreach (var (name, trainer) in new (string, IEstimator<ITransformer>)[]
    {
        ("SRU", ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { MaxEpoch = 1 })),
        ("LSTM", ml.MulticlassClassification.Trainers.Lstm(new LstmTrainer.Options { MaxEpoch = 1 })),
        ("GRU", ml.MulticlassClassification.Trainers.Gru(new GruTrainer.Options { MaxEpoch = 1 })),
    }.Where(c => cells.Contains(c.Item1)))
    {
        ITransformer model = keyed.Append(trainer).Fit(train);
        var paths = name == "SRU" ? new[] { false } : new[] { true, false };
        for (int round = 0; round < rounds; round++)
        {
            var measured = new List<(double RowsPerSecond, double P50, double P99)>();
            foreach (bool torchOnly in paths)
            {
                // Read where each cursor and PredictionEngine creates its scorer, on this thread.
                RecurrentModelParameters.TorchScoringOnly.Value = torchOnly;
                double rowsPerSecond = MnistBenchmark.ScoringRowsPerSecond(model, test);
                var (p50, p99) = MnistBenchmark.PredictionLatency(ml, model, test);
                RecurrentModelParameters.TorchScoringOnly.Value = false;
                string scorer = torchOnly ? "TorchSharp" : "managed";
                Console.WriteLine($"   {name,-5} {scorer,-10} {rowsPerSecond,10:N0} rows/s   PredictionEngine p50 {p50,8:F1} µs, p99 {p99,8:F1} µs   (round {round + 1}, load average {PageFaults.LoadAverage()})");
                scoringFigures.Add(new { model = name, scorer, round = round + 1, rows_per_second = rowsPerSecond, predict_p50_us = p50, predict_p99_us = p99 });
                measured.Add((rowsPerSecond, p50, p99));
            }
            if (measured.Count == 2)
                Console.WriteLine($"   {name,-5} managed / TorchSharp: rows/s {measured[1].RowsPerSecond / measured[0].RowsPerSecond:F2}×, p50 {measured[0].P50 / measured[1].P50:F2}× faster, p99 {measured[0].P99 / measured[1].P99:F2}× faster");
        }
        (model as IDisposable)?.Dispose();
    }
    figures["scoring"] = scoringFigures;
    SaveFigures();
    return 0;
}
if (!memoryOnly)
{
    Console.WriteLine($"1. Training step at B={StepBenchmark.Batch}, T={StepBenchmark.Steps}, I={StepBenchmark.StepSize}, H={StepBenchmark.Hidden}, {StepBenchmark.Layers} layers, Adam (median of 40, taken in turn in blocks of 10 after 40 warm-up steps each):");
    var (fused, _, _) = MeasureSteps("step_ms");

    double[] phases = StepBenchmark.FusedPhaseMilliseconds(warmup: 20, repeats: 40);
    Console.WriteLine($"   fused step by phase: forward+loss {phases[0]:F2} ms, backward {phases[1]:F2} ms, clipping+Adam {phases[2]:F2} ms");
    figures["fused_phases_ms"] = new { forward = phases[0], backward = phases[1], clipping_and_adam = phases[2] };

    double sgemm = StepBenchmark.SgemmGflops();
    double sruGflops = StepBenchmark.SruGemmFlops() / (fused / 1000) / 1e9;
    Console.WriteLine($"2. SRU step: {sruGflops:F1} GFLOP/s of GEMM work; SGEMM 2048² through libtorch: {sgemm:F1} GFLOP/s ({sruGflops / sgemm:P0} of it).");
    figures["gflops"] = new { sru_step = sruGflops, sgemm, fraction = sruGflops / sgemm };

    if (!stepsOnly)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadMnist(MnistSplit.Train);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
        Console.WriteLine("3. Full MNIST (60,000 / 10,000), 3 epochs for the recurrent trainers, defaults otherwise; wall time includes evaluation:");
        var results = new List<MnistBenchmark.Result>
        {
            MnistBenchmark.Run("SRU", ml.MulticlassClassification.Trainers.Sru(), ml, train, test),
            MnistBenchmark.Run("LSTM", ml.MulticlassClassification.Trainers.Lstm(), ml, train, test),
            MnistBenchmark.Run("LightGbm", ml.MulticlassClassification.Trainers.LightGbm(), ml, train, test),
            MnistBenchmark.Run("SdcaMaximumEntropy", ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(), ml, train, test),
        };
        foreach (var r in results)
            Console.WriteLine($"   {r.Trainer,-20} {r.WallSeconds,7:F1} s wall ({r.TrainSeconds:F1} s training)   accuracy {r.Accuracy:P2}   peak working set so far {r.PeakWorkingSetMiB} MiB");
        figures["mnist"] = results.Select(r => new { trainer = r.Trainer, wall_s = r.WallSeconds, train_s = r.TrainSeconds, accuracy = r.Accuracy, peak_working_set_mib = r.PeakWorkingSetMiB }).ToArray();

        Console.WriteLine("4. Scoring the 10,000 test rows through Transform, and PredictionEngine single rows:");
        var scoring = new List<object>();
        foreach (var r in results.Take(2))
        {
            double rowsPerSecond = MnistBenchmark.ScoringRowsPerSecond(r.Model, test);
            var (p50, p99) = MnistBenchmark.PredictionLatency(ml, r.Model, test);
            Console.WriteLine($"   {r.Trainer,-5} {rowsPerSecond,10:N0} rows/s   PredictionEngine p50 {p50,8:F1} µs, p99 {p99,8:F1} µs");
            scoring.Add(new { trainer = r.Trainer, rows_per_second = rowsPerSecond, predict_p50_us = p50, predict_p99_us = p99 });
        }
        figures["scoring"] = scoring;
    }
}

if (!stepsOnly)
{
    // Memory over a long run: the working set at the end of each of 10 SRU epochs on full MNIST.
    var ml = new MLContext(seed: 2);
    IDataView train = ml.Data.LoadMnist(MnistSplit.Train);
    var perEpoch = new List<long>();
    ml.Log += (_, e) =>
    {
        if (e.Source.Contains("Multiclass", StringComparison.Ordinal) && e.RawMessage.StartsWith("Epoch ", StringComparison.Ordinal) && e.RawMessage.Contains("/10:", StringComparison.Ordinal))
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            perEpoch.Add(process.WorkingSet64 >> 20);
        }
    };
    bool trim = !args.Contains("--no-trim");
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.Sru(new SruTrainer.Options { MaxEpoch = 10, TrimNativeMemoryEachEpoch = trim }));
    using (pipeline.Fit(train) as IDisposable)
    {
    }
    double growth = perEpoch.Count >= 10 ? (double)(perEpoch[9] - perEpoch[1]) / perEpoch[1] : double.NaN;
    Console.WriteLine($"5. SRU, 10 epochs on MNIST, TrimNativeMemoryEachEpoch = {trim}: working set after each epoch {string.Join(", ", perEpoch)} MiB; epochs 2 → 10: {growth:+0.0%;-0.0%}.");
    figures["rss_per_epoch_mib"] = perEpoch;
    figures["rss_growth_epochs_2_to_10"] = growth;
}

using (var self = System.Diagnostics.Process.GetCurrentProcess())
{
    figures["peak_working_set_mib"] = self.PeakWorkingSet64 >> 20;
    Console.WriteLine($"6. Peak working set of this run: {self.PeakWorkingSet64 >> 20} MiB.");
}

if (!memoryOnly)
{
    // The allocator setting is process-wide and cannot be undone, so this comes last.
    bool tuned = Microsoft.ML.Sru.Runtime.NativeMemory.TuneAllocatorForTraining();
    Console.WriteLine($"7. Training step as in 1, with TuneNativeAllocator{(tuned ? "" : " (not available here)")}:");
    MeasureSteps("step_ms_tuned_allocator");
}

SaveFigures();
return 0;

void SaveFigures()
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"Figures written to {Path.GetFullPath(jsonPath)}.");
}

(double Fused, double Reference, double Lstm) MeasureSteps(string key)
{
    var (fused, reference, lstm) = StepBenchmark.MedianStepMilliseconds(warmup: 40, repeats: 40);
    Console.WriteLine($"   SRU fused     {fused,8:F2} ms");
    Console.WriteLine($"   SRU reference {reference,8:F2} ms   ({reference / fused:F2}× the fused step)");
    // The LSTM as Trainers.Lstm() trains it: on the fused LSTM layers where they apply (--rnn-steps sets them beside nn.LSTM).
    Console.WriteLine($"   LSTM          {lstm,8:F2} ms   ({lstm / fused:F2}× the fused SRU step)");
    figures[key] = new { sru_fused = fused, sru_reference = reference, lstm, lstm_over_fused = lstm / fused, reference_over_fused = reference / fused };
    return (fused, reference, lstm);
}
