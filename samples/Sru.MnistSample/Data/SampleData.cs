using Microsoft.ML;
using Microsoft.ML.Sru;
using Sru.MnistSample.Cli;

namespace Sru.MnistSample.Data;

/// <summary>Loads the splits the commands need, turning the library's data errors into exit code 3.</summary>
internal sealed class SampleData
{
    /// <summary>Training rows in both data sets' training split.</summary>
    public const int TrainingRows = 60_000;

    private readonly MLContext _ml;
    private readonly string? _directory;
    private readonly Action<string>? _log;

    /// <param name="ml">The context to load into.</param>
    /// <param name="dataset">MNIST or Fashion-MNIST.</param>
    /// <param name="directory">The --data directory, or null.</param>
    /// <param name="log">Every step of the look-up (--verbose); null shows only what is fetched (<see cref="FetchReport"/>).</param>
    public SampleData(MLContext ml, DatasetName dataset, string? directory, Action<string>? log)
    {
        _ml = ml;
        Dataset = dataset;
        _directory = directory;
        _log = log ?? new FetchReport(dataset.Title(), Output.Terminal.Line).Log;
        if (directory is not null && !Directory.Exists(directory))
            throw SampleException.Usage($"--data: the directory '{directory}' does not exist.");
    }

    public DatasetName Dataset { get; }

    /// <summary>The whole split.</summary>
    public IDataView Load(MnistSplit split)
    {
        try
        {
            return _ml.Data.LoadMnist(split, _directory, Dataset.Variant(), _log);
        }
        catch (Exception e) when (e is MnistUnavailableException or MnistDataException)
        {
            throw new SampleException(ExitCode.DataUnavailable, $"{Dataset.Title()} {split.ToString().ToLowerInvariant()} data is unavailable: {e.Message}", e);
        }
    }

    /// <summary>
    /// The training rows to fit on (the first <paramref name="limit"/> rows, or all) and the validation rows held
    /// out from the end of the split, which never overlap them.
    /// </summary>
    public (IDataView Train, IDataView? Validation) LoadTraining(int? limit, int validationRows)
    {
        if (limit + validationRows > TrainingRows)
            throw SampleException.Usage($"--limit {limit} plus --validation {validationRows} is more than the {TrainingRows:N0} training rows.");
        IDataView all = Load(MnistSplit.Train);
        IDataView train = _ml.Data.TakeRows(all, limit ?? TrainingRows - validationRows);
        IDataView? validation = validationRows > 0 ? _ml.Data.SkipRows(all, TrainingRows - validationRows) : null;
        return (train, validation);
    }

    /// <summary>The test split, or its first <paramref name="limit"/> rows.</summary>
    public IDataView LoadTest(int? limit)
    {
        IDataView test = Load(MnistSplit.Test);
        return limit is int n ? _ml.Data.TakeRows(test, n) : test;
    }
}
