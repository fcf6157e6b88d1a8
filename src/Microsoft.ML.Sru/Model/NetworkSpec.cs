using System.Globalization;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// Everything needed to rebuild a trained network's shape: what the model zip stores beside the
/// weights, and what the weights are checked against when loaded.
/// </summary>
internal sealed record NetworkSpec(
    RecurrentCellKind Cell,
    int SequenceLength,
    int StepSize,
    int HiddenSize,
    int NumberOfLayers,
    int ClassCount,
    bool UseHighway)
{
    /// <summary>The flattened feature vector's length: SequenceLength steps of StepSize values.</summary>
    public int FeatureCount => SequenceLength * StepSize;

    /// <summary>Upper bounds that keep a corrupt or hostile model file from asking for absurd allocations.</summary>
    public const int MaxSize = 1 << 16;

    public const int MaxLayers = 64;

    public const int MaxClasses = 100_000;

    /// <summary>Throws <see cref="FormatException"/> when a stored spec is out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what, object value)
        {
            if (!ok)
                throw new FormatException(string.Format(CultureInfo.InvariantCulture, "The model stores an invalid {0}: {1}.", what, value));
        }

        Check(Enum.IsDefined(Cell), "cell kind", (int)Cell);
        Check(SequenceLength is > 0 and <= MaxSize, "sequence length", SequenceLength);
        Check(StepSize is > 0 and <= MaxSize, "step size", StepSize);
        Check((long)SequenceLength * StepSize <= MaxSize * 16L, "feature count", (long)SequenceLength * StepSize);
        Check(HiddenSize is > 0 and <= MaxSize, "hidden size", HiddenSize);
        Check(NumberOfLayers is > 0 and <= MaxLayers, "number of layers", NumberOfLayers);
        Check(ClassCount is >= 2 and <= MaxClasses, "class count", ClassCount);
    }

    /// <summary>Builds a freshly initialised network of this shape.</summary>
    public SequenceClassifier Build() => new(this);
}
