using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Reads the training and validation rows as <see cref="RecurrentTrainerOptions.DataLoading"/> says: into memory
/// (<see cref="TrainingSet"/>) or as a stream (<see cref="StreamedTrainingSet"/>); <see cref="DataLoading.Auto"/> streams
/// rows holding more than <see cref="Defaults.InMemoryMaxValues"/> values. A validation set is read the way its training
/// set was.
/// </summary>
internal static class TrainingDataLoading
{
    /// <summary>
    /// The training rows; a token input gets its vocabulary from them first. <paramref name="momentsFor"/> is the input
    /// scaling whose first statistics a stream gathers as it counts the rows.
    /// </summary>
    public static ITrainingData ReadTraining(IHost host, IChannel channel, RecurrentTrainerOptions options, RecurrentTask task,
        DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data, int classCount, SequenceInput input,
        InputNormalization momentsFor)
    {
        input = TrainingSet.WithVocabulary(host, task, labelColumn, featureColumn, data, classCount, input);
        bool stream = options.DataLoading == DataLoading.Streaming;
        if (options.DataLoading == DataLoading.InMemory)
            return TrainingSet.Read(host, task, labelColumn, featureColumn, data, classCount, input);
        if (options.DataLoading == DataLoading.Auto)
        {
            // A fixed-length column with a known row count says its size before a row is read.
            bool tooLarge = input.Kind == SequenceInputKind.FixedLength && data.GetRowCount() is { } rows
                && rows * input.MaxSteps * input.ValuesPerStep > Defaults.InMemoryMaxValues;
            if (!tooLarge && TrainingSet.ReadWithin(host, task, labelColumn, featureColumn, data, classCount, input, Defaults.InMemoryMaxValues) is { } held)
                return held;
            channel.Info(string.Create(CultureInfo.InvariantCulture,
                $"The training rows hold more than {Defaults.InMemoryMaxValues:N0} values (DataLoading = Auto): streaming them."));
            stream = true;
        }
        if (!stream)
            throw new InvalidOperationException($"DataLoading {options.DataLoading} is not handled.");
        StreamedTrainingSet set = StreamedTrainingSet.Open(host, task, labelColumn, featureColumn, data, classCount, input, options.ShuffleBufferSize, momentsFor);
        channel.Info("Streaming {0} training rows: read through a cursor every epoch, shuffled within {1} rows.", set.RowCount, options.ShuffleBufferSize);
        return set;
    }

    public static ITrainingData ReadValidation(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn,
        IDataView data, ITrainingData training) => training switch
        {
            TrainingSet held => TrainingSet.ReadValidation(host, task, labelColumn, featureColumn, data, held),
            _ => StreamedTrainingSet.OpenValidation(host, task, labelColumn, featureColumn, data, training),
        };
}
