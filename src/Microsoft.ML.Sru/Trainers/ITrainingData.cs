using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Training (or validation) rows as the training loop sees them, held in memory (<see cref="TrainingSet"/>) or read
/// from the data view each epoch (<see cref="StreamedTrainingSet"/>): counted, fitted, and handed over in
/// <see cref="TrainingBatch"/>es, so that the loop has one path for both.
/// </summary>
internal interface ITrainingData
{
    /// <summary>How the rows are read: their kind, the values a step, the vocabulary of tokens.</summary>
    SequenceInput Input { get; }

    /// <summary>Usable rows (a valid label, finite features, at least one step).</summary>
    int RowCount { get; }

    int ClassCount { get; }

    /// <summary>Whether every row has <see cref="SequenceInput.MaxSteps"/> steps (a fixed-size vector column).</summary>
    bool IsFixedLength { get; }

    /// <summary>Whether the rows are read from the data view each epoch rather than held.</summary>
    bool IsStreamed { get; }

    SkippedRows Skipped { get; }

    /// <summary>
    /// Fits the input scaling of <paramref name="kind"/> on the rows, for a network reading <paramref name="stepSize"/>
    /// values a step, and the label standardization when <paramref name="standardizeLabels"/> (null otherwise), both
    /// before any <see cref="Scale"/>.
    /// </summary>
    (InputScaling Scaling, LabelStandardization? Labels) FitStatistics(InputNormalization kind, int stepSize, bool standardizeLabels);

    /// <summary>Rescales every row's values (see <see cref="InputScaling"/>) and, if given, standardizes every label.</summary>
    void Scale(InputScaling scaling, LabelStandardization? labels);

    /// <summary>A SHA-256 of the usable rows as read, which a checkpoint records to recognise its data.</summary>
    string ContentHash(bool classLabels);

    /// <summary>The run's epochs of shuffled batches of <paramref name="batchSize"/> rows, drawn under <paramref name="seed"/>.</summary>
    IEpochBatches OpenEpochs(int seed, int batchSize);

    /// <summary>Every row once, in the data's order, in batches of up to <paramref name="batchRows"/> (for evaluation).</summary>
    IEnumerable<TrainingBatch> InOrder(int batchRows);
}

/// <summary>The batches of a run's epochs: the same seed, data and epoch give the same batches, however the run got there.</summary>
internal interface IEpochBatches
{
    /// <summary>Batches per epoch.</summary>
    int StepsPerEpoch { get; }

    /// <summary>Epoch <paramref name="epoch"/>'s batches (1-based), from batch <paramref name="firstStep"/> (0-based; a resumed epoch's rest).</summary>
    IEnumerable<TrainingBatch> Epoch(int epoch, int firstStep);
}
