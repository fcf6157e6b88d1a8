using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>Whether a model that training should continue from has the network the trainer's options and data describe.</summary>
internal static class InitialModelCheck
{
    /// <summary>Throws <see cref="ArgumentException"/> naming every difference between the model's network and the wanted one.</summary>
    public static void ThrowIfUnfit(NetworkSpec model, NetworkSpec wanted, string labelColumn, string featureColumn)
    {
        if (model == wanted)
            return;
        var differences = new List<string>();
        if (model.Task != wanted.Task)
            differences.Add($"the model is a {model.Task} model but this trainer trains {wanted.Task}");
        if (model.Cell != wanted.Cell)
            differences.Add($"the model's cell is {Name(model.Cell)} but this trainer trains {Name(wanted.Cell)}");
        if (model.SequenceLength != wanted.SequenceLength)
            differences.Add($"SequenceLength is {model.SequenceLength} in the model but {wanted.SequenceLength} in the options");
        if (model.FeatureCount != wanted.FeatureCount)
            differences.Add($"the model reads {model.FeatureCount} feature values but column '{featureColumn}' has {wanted.FeatureCount}");
        if (model.HiddenSize != wanted.HiddenSize)
            differences.Add($"HiddenSize is {model.HiddenSize} in the model but {wanted.HiddenSize} in the options");
        if (model.NumberOfLayers != wanted.NumberOfLayers)
            differences.Add($"NumberOfLayers is {model.NumberOfLayers} in the model but {wanted.NumberOfLayers} in the options");
        if (model.ClassCount != wanted.ClassCount)
            differences.Add($"the model scores {model.ClassCount} classes but label column '{labelColumn}' has {wanted.ClassCount}");
        if (model.Cell == wanted.Cell && model.SruCell.UseHighway != wanted.SruCell.UseHighway)
            differences.Add($"UseHighway is {model.SruCell.UseHighway} in the model but {wanted.SruCell.UseHighway} in the options");
        // Any other setting a network description may carry.
        if (differences.Count == 0)
            differences.Add($"the model's network is {model} but the options and data describe {wanted}");
        throw new ArgumentException(
            $"Training cannot continue from this model: {string.Join("; ", differences)}. Use the options and data the model was trained with.",
            "initialModel");
    }

    private static string Name(RecurrentCellKind cell) => cell.ToString().ToUpperInvariant();
}
