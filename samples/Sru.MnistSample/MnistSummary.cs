using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Sru.MnistSample;

/// <summary>Row counts, counts per digit and one digit drawn: proof that the data is what it should be.</summary>
internal static class MnistSummary
{
    public static void Print(IDataView data, string name)
    {
        var clock = Stopwatch.StartNew();
        var counts = new long[10];
        float checksum = 0;
        var label = data.Schema["Label"];
        var features = data.Schema["Features"];
        using (var cursor = data.GetRowCursor(new[] { label, features }))
        {
            var getLabel = cursor.GetGetter<uint>(label);
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            uint value = 0;
            VBuffer<float> pixels = default;
            while (cursor.MoveNext())
            {
                getLabel(ref value);
                getFeatures(ref pixels);
                checksum += pixels.GetValues()[400];
                counts[value]++;
            }
        }
        Console.WriteLine($"{name}: {counts.Sum()} rows read in {clock.Elapsed.TotalMilliseconds:F0} ms; per digit: {string.Join(" ", counts.Select((c, d) => $"{d}:{c}"))}");
        MnistImage first = FirstRows(data, 1).Single();
        Console.WriteLine($"{name} row 0 is a {first.Label}:");
        Console.WriteLine(AsciiDigit.Render(first.Features));
    }

    public static IEnumerable<MnistImage> FirstRows(IDataView data, int count) =>
        new MLContext().Data.CreateEnumerable<MnistImage>(data, reuseRowObject: false).Take(count);
}
