using Microsoft.ML.Data;

namespace Sru.Datasets.Weather;

/// <summary>
/// One city's weather over <see cref="WeatherHistory.WindowDays"/> days, day by day (precipitation in mm, highest and
/// lowest temperature in °C, mean wind in m/s: <see cref="WeatherHistory.ValuesPerDay"/> values a step), and what
/// happened the day after.
/// </summary>
public sealed class WeatherWindow
{
    public string Location { get; set; } = "";

    /// <summary>The day after the window, as yyyy-MM-dd.</summary>
    public string Date { get; set; } = "";

    [VectorType(WeatherHistory.WindowDays * WeatherHistory.ValuesPerDay)]
    public float[] Features { get; set; } = [];

    /// <summary>The next day's highest temperature (°C): the regression label.</summary>
    public float NextDayMaxTemperature { get; set; }

    /// <summary>Whether any rain or snow fell the next day: the binary label.</summary>
    public bool RainNextDay { get; set; }
}
