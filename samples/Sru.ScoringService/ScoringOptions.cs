using System.ComponentModel.DataAnnotations;

namespace Sru.ScoringService;

/// <summary>How requests are scored on the loaded model.</summary>
public enum ScoringEngine
{
    /// <summary>Each request takes a PredictionEngine from a pool kept per loaded model.</summary>
    Pool,

    /// <summary>Requests queue up and are scored together through the model's Transform, one batch at a time per core.</summary>
    Batch,
}

/// <summary>The service's settings: section <c>Scoring</c> of appsettings.json, <c>Scoring__ModelPath</c> in the environment, or <c>--Scoring:ModelPath</c> on the command line.</summary>
public sealed class ScoringOptions
{
    public const string Section = "Scoring";

    /// <summary>The model zip to serve; replaced on disk (written beside it and renamed over it), it is reloaded. Required.</summary>
    [Required(ErrorMessage = "Scoring:ModelPath is required: the model zip to serve.")]
    public string ModelPath { get; set; } = "";

    /// <summary>The JSON field of <c>POST /predict</c> holding the feature vector. Default "pixels".</summary>
    [Required]
    public string InputField { get; set; } = "pixels";

    /// <summary>The model's input column that receives the feature vector. Default "Features".</summary>
    [Required]
    public string FeatureColumn { get; set; } = "Features";

    /// <summary>How requests are scored. Default <see cref="ScoringEngine.Pool"/> (faster in the load test, see docs/service.md).</summary>
    public ScoringEngine Engine { get; set; } = ScoringEngine.Pool;

    /// <summary>The largest request body accepted, in bytes: 1 KiB to 16 MiB. Default 64 KiB (784 pixels written with full float precision take about 10 KiB).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>How long the model file must stay quiet after a change event before it is read, in milliseconds: 0 to 60,000. Default 250.</summary>
    [Range(0, 60_000)]
    public int DebounceMilliseconds { get; set; } = 250;

    /// <summary>How often the model file is checked even without a change event (file watchers can miss events), in milliseconds: 100 to 3,600,000. Default 2,000.</summary>
    [Range(100, 3_600_000)]
    public int PollMilliseconds { get; set; } = 2_000;

    /// <summary>PredictionEngines kept per model by <see cref="ScoringEngine.Pool"/>: 1 to 1,024. Default 0 = twice the core count.</summary>
    [Range(0, 1024)]
    public int PoolSize { get; set; }

    /// <summary>The most requests one <see cref="ScoringEngine.Batch"/> batch scores: 1 to 4,096. Default 128.</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 128;
}
