using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;

namespace Microsoft.ML;

/// <summary>Catalog methods that create the SRU, LSTM and GRU sequence classifiers.</summary>
public static class RecurrentCatalog
{
    /// <summary>
    /// Creates an <see cref="SruTrainer"/>: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, and classified by stacked SRU layers and a linear head.
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column (use MapValueToKey first).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers; the SRU's default, <see cref="Defaults.SruNumberOfLayers"/>, differs from the LSTM's and GRU's.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static SruTrainer Sru(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.SruNumberOfLayers, int? maxEpoch = null)
        => Sru(catalog, Simple(new SruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="SruTrainer"/> with every option.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static SruTrainer Sru(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, SruTrainer.Options options)
        => new(EnvironmentOf(catalog), options);

    /// <summary>
    /// Creates an <see cref="LstmTrainer"/>: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, and classified by stacked LSTM layers and a linear head.
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column (use MapValueToKey first).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static LstmTrainer Lstm(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Lstm(catalog, Simple(new LstmTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="LstmTrainer"/> with every option.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static LstmTrainer Lstm(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, LstmTrainer.Options options)
        => new(EnvironmentOf(catalog), options);

    /// <summary>
    /// Creates a <see cref="GruTrainer"/>: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, and classified by stacked GRU layers and a linear head.
    /// </summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column (use MapValueToKey first).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static GruTrainer Gru(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Gru(catalog, Simple(new GruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates a <see cref="GruTrainer"/> with every option.</summary>
    /// <param name="catalog">The multiclass classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static GruTrainer Gru(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, GruTrainer.Options options)
        => new(EnvironmentOf(catalog), options);

    private static T Simple<T>(T options, string labelColumnName, string featureColumnName, int sequenceLength,
        int hiddenSize, int numberOfLayers, int? maxEpoch)
        where T : RecurrentTrainerOptions
    {
        options.LabelColumnName = labelColumnName;
        options.FeatureColumnName = featureColumnName;
        options.SequenceLength = sequenceLength;
        options.HiddenSize = hiddenSize;
        options.NumberOfLayers = numberOfLayers;
        options.MaxEpoch = maxEpoch;
        return options;
    }

    private static IHostEnvironment EnvironmentOf(MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogUtils.GetEnvironment(catalog);
    }
}
