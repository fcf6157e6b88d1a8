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
    int ClassCount)
{
    /// <summary>What the head predicts (multiclass for models saved before tasks were stored).</summary>
    public RecurrentTaskKind Task { get; init; } = RecurrentTaskKind.MulticlassClassification;

    /// <summary>Outputs of the head: one per class for multiclass classification, one value otherwise.</summary>
    public int HeadWidth => Task == RecurrentTaskKind.MulticlassClassification ? ClassCount : 1;

    /// <summary>The SRU's recurrence options (<see cref="SruCellSpec.Classic"/>, the 2017 form, unless set; ignored by other cells).</summary>
    public SruCellSpec SruCell { get; init; } = SruCellSpec.Classic;

    /// <summary>Width of each layer's output and of what the head reads: both directions' for a bidirectional SRU.</summary>
    public int OutputWidth => Cell == RecurrentCellKind.Sru ? SruCell.Directions * HiddenSize : HiddenSize;

    /// <summary>
    /// Rows of the embedding that turns tokens into the first layer's StepSize-wide steps (row 0 the shared unknown token);
    /// 0 for networks that read values.
    /// </summary>
    public int EmbeddingRows { get; init; }

    /// <summary>Values a step holds in the features the network reads: a token (an embedding row) or StepSize values.</summary>
    public int InputWidth => EmbeddingRows > 0 ? 1 : StepSize;

    /// <summary>A full-length row's features: SequenceLength steps of <see cref="InputWidth"/> values.</summary>
    public int FeatureCount => SequenceLength * InputWidth;

    /// <summary>Upper bounds that keep a corrupt or hostile model file from asking for absurd allocations.</summary>
    public const int MaxSize = 1 << 16;

    public const int MaxLayers = 64;

    public const int MaxClasses = 100_000;

    /// <summary>The largest feature vector a network may read: <see cref="MaxSize"/> × 16 values.</summary>
    public const long MaxFeatureCount = MaxSize * 16L;

    /// <summary>
    /// A lower bound on the number of weights any network of this shape holds, whatever the details of its
    /// layers: every SRU layer maps its input through a dense matrix (or two low-rank factors) to at least three
    /// H-wide blocks (z, f, r) per direction, every LSTM layer through input and hidden matrices to four, every GRU
    /// layer to three, and the head maps the last layer's output to the classes.
    /// A loader compares it with the weights a file actually holds before building the network, so a damaged
    /// or hostile shape cannot make it allocate more than a small multiple of the file's size.
    /// </summary>
    public long MinimumParameterCount
    {
        get
        {
            long hidden = HiddenSize, total = (long)OutputWidth * HeadWidth + (long)EmbeddingRows * StepSize;
            for (int layer = 0; layer < NumberOfLayers; layer++)
            {
                long input = layer == 0 ? StepSize : OutputWidth;
                total += Cell switch
                {
                    RecurrentCellKind.Lstm => 4 * hidden * (input + hidden),
                    RecurrentCellKind.Gru => 3 * hidden * (input + hidden),
                    _ => SruCell.MinimumLayerParameters(input, hidden),
                };
            }
            return total;
        }
    }

    /// <summary>The first value out of range, or null when every value is in range.</summary>
    public SpecProblem? FindProblem()
    {
        if (!Enum.IsDefined(Cell))
            return new SpecProblem("cell kind", null, (int)Cell, string.Format(CultureInfo.InvariantCulture, "must be {0} for SRU, {1} for LSTM or {2} for GRU",
                (int)RecurrentCellKind.Sru, (int)RecurrentCellKind.Lstm, (int)RecurrentCellKind.Gru));
        if (SequenceLength is < 1 or > MaxSize)
            return SpecProblem.Range("sequence length", nameof(SequenceLength), SequenceLength, 1, MaxSize);
        if (StepSize is < 1 or > MaxSize)
            return SpecProblem.Range("step size (values per time step)", null, StepSize, 1, MaxSize);
        if ((long)SequenceLength * StepSize > MaxFeatureCount)
            return SpecProblem.Range("feature count (sequence length × step size)", null, (long)SequenceLength * StepSize, 1, MaxFeatureCount);
        if (EmbeddingRows != 0 && EmbeddingRows is < 2 or > SequenceInput.MaxVocabulary + 1)
            return SpecProblem.Range("embedding rows (known tokens + 1)", null, EmbeddingRows, 2, SequenceInput.MaxVocabulary + 1);
        if (HiddenSize is < 1 or > MaxSize)
            return SpecProblem.Range("hidden size", nameof(HiddenSize), HiddenSize, 1, MaxSize);
        if (NumberOfLayers is < 1 or > MaxLayers)
            return SpecProblem.Range("number of layers", nameof(NumberOfLayers), NumberOfLayers, 1, MaxLayers);
        if (FindTaskProblem() is { } taskProblem)
            return taskProblem;
        return SruCell.FindProblem();
    }

    /// <summary>The task and its class count: a binary classifier has 2 classes and a regression model 1 value.</summary>
    private SpecProblem? FindTaskProblem() => Task switch
    {
        RecurrentTaskKind.MulticlassClassification when ClassCount is < 2 or > MaxClasses => SpecProblem.Range("class count", null, ClassCount, 2, MaxClasses),
        RecurrentTaskKind.BinaryClassification when ClassCount != 2 => SpecProblem.Range("class count of a binary classifier", null, ClassCount, 2, 2),
        RecurrentTaskKind.Regression when ClassCount != 1 => SpecProblem.Range("output count of a regression model", null, ClassCount, 1, 1),
        RecurrentTaskKind.MulticlassClassification or RecurrentTaskKind.BinaryClassification or RecurrentTaskKind.Regression => null,
        _ => new SpecProblem("task", null, (int)Task, string.Format(CultureInfo.InvariantCulture, "must be {0} for multiclass classification, {1} for binary classification or {2} for regression",
            (int)RecurrentTaskKind.MulticlassClassification, (int)RecurrentTaskKind.BinaryClassification, (int)RecurrentTaskKind.Regression)),
    };

    /// <summary>Throws <see cref="FormatException"/> when a stored spec is out of range.</summary>
    public void Validate()
    {
        if (FindProblem() is { } problem)
            throw new FormatException($"The model stores an invalid {problem}.");
    }

    /// <summary>Builds a freshly initialised network of this shape.</summary>
    public SequenceClassifier Build() => new(this);
}
