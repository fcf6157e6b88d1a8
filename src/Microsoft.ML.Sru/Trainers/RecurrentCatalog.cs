using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru;
using Microsoft.ML.Sru.Runtime.Interop;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML;

/// <summary>
/// Catalog methods that create the SRU, LSTM and GRU sequence models: multiclass and binary classifiers and regression
/// models, one trainer each with the same options.
/// </summary>
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
        => new(EnvironmentOf(catalog), options, RecurrentTask.Multiclass);

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
        => new(EnvironmentOf(catalog), options, RecurrentTask.Multiclass);

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
        => new(EnvironmentOf(catalog), options, RecurrentTask.Multiclass);

    /// <summary>
    /// Creates an <see cref="SruTrainer"/> for binary classification: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked SRU layers, and a linear head gives one logit per row: Score, its sigmoid as Probability (trained with binary cross-entropy, not calibrated further) and PredictedLabel (Score &gt; 0).
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">Boolean label column (true or false).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers; the SRU's default, <see cref="Defaults.SruNumberOfLayers"/>, differs from the LSTM's and GRU's.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static SruTrainer Sru(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.SruNumberOfLayers, int? maxEpoch = null)
        => Sru(catalog, Simple(new SruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="SruTrainer"/> for binary classification with every option.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static SruTrainer Sru(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, SruTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Binary);

    /// <summary>
    /// Creates an <see cref="LstmTrainer"/> for binary classification: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked LSTM layers, and a linear head gives one logit per row: Score, its sigmoid as Probability (trained with binary cross-entropy, not calibrated further) and PredictedLabel (Score &gt; 0).
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">Boolean label column (true or false).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static LstmTrainer Lstm(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Lstm(catalog, Simple(new LstmTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="LstmTrainer"/> for binary classification with every option.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static LstmTrainer Lstm(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, LstmTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Binary);

    /// <summary>
    /// Creates a <see cref="GruTrainer"/> for binary classification: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked GRU layers, and a linear head gives one logit per row: Score, its sigmoid as Probability (trained with binary cross-entropy, not calibrated further) and PredictedLabel (Score &gt; 0).
    /// </summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="labelColumnName">Boolean label column (true or false).</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static GruTrainer Gru(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Gru(catalog, Simple(new GruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates a <see cref="GruTrainer"/> for binary classification with every option.</summary>
    /// <param name="catalog">The binary classification trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static GruTrainer Gru(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, GruTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Binary);

    /// <summary>
    /// Creates an <see cref="SruTrainer"/> for regression: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked SRU layers, and a linear head predicts one value per row, Score, in the label's units (trained with mean squared error on the label standardized by its training mean and standard deviation).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">Single label column; rows with a NaN or infinite label are skipped.</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers; the SRU's default, <see cref="Defaults.SruNumberOfLayers"/>, differs from the LSTM's and GRU's.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static SruTrainer Sru(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.SruNumberOfLayers, int? maxEpoch = null)
        => Sru(catalog, Simple(new SruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="SruTrainer"/> for regression with every option.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static SruTrainer Sru(this RegressionCatalog.RegressionTrainers catalog, SruTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Regression);

    /// <summary>
    /// Creates an <see cref="LstmTrainer"/> for regression: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked LSTM layers, and a linear head predicts one value per row, Score, in the label's units (trained with mean squared error on the label standardized by its training mean and standard deviation).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">Single label column; rows with a NaN or infinite label are skipped.</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static LstmTrainer Lstm(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Lstm(catalog, Simple(new LstmTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates an <see cref="LstmTrainer"/> for regression with every option.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static LstmTrainer Lstm(this RegressionCatalog.RegressionTrainers catalog, LstmTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Regression);

    /// <summary>
    /// Creates a <see cref="GruTrainer"/> for regression: a feature vector of length L is read as <paramref name="sequenceLength"/>
    /// steps of L / sequenceLength values, run through stacked GRU layers, and a linear head predicts one value per row, Score, in the label's units (trained with mean squared error on the label standardized by its training mean and standard deviation).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">Single label column; rows with a NaN or infinite label are skipped.</param>
    /// <param name="featureColumnName">Fixed-size vector of Single.</param>
    /// <param name="sequenceLength">Time steps per row; must divide the feature vector's length.</param>
    /// <param name="hiddenSize">Width of each recurrent layer.</param>
    /// <param name="numberOfLayers">Number of stacked layers.</param>
    /// <param name="maxEpoch">Passes over the training data; null chooses them from the data (see <see cref="RecurrentTrainerOptions.MaxEpoch"/>).</param>
    public static GruTrainer Gru(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName,
        int sequenceLength = Defaults.SequenceLength, int hiddenSize = Defaults.HiddenSize,
        int numberOfLayers = Defaults.NumberOfLayers, int? maxEpoch = null)
        => Gru(catalog, Simple(new GruTrainer.Options(), labelColumnName, featureColumnName, sequenceLength, hiddenSize, numberOfLayers, maxEpoch));

    /// <summary>Creates a <see cref="GruTrainer"/> for regression with every option.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">Trainer options; invalid values are rejected here, naming the option.</param>
    public static GruTrainer Gru(this RegressionCatalog.RegressionTrainers catalog, GruTrainer.Options options)
        => new(EnvironmentOf(catalog), options, RecurrentTask.Regression);

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

    private static IHostEnvironment EnvironmentOf(TrainCatalogBase.CatalogInstantiatorBase catalog) => MlNetCatalogs.EnvironmentOf(catalog);
}
