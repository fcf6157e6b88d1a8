namespace Sru.ScoringService.Models;

/// <summary>
/// One row as the model reads it. Its feature column's name and size come from the model's input schema
/// (<see cref="LoadedModel.InputDefinition"/>); the label is fed as 0 to models whose pipeline maps a label
/// (MapValueToKey runs at scoring time too) and left out for the others.
/// </summary>
public sealed class ModelInput
{
    public const string LabelColumn = "Label";

    public float[] Features { get; set; } = [];

    public uint Label { get; set; }
}

/// <summary>What the service reads back: ML.NET's multiclass Score column, one probability per class.</summary>
public sealed class ModelOutput
{
    public const string ScoreColumn = "Score";

    public float[] Score { get; set; } = [];
}
