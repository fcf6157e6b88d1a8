using Microsoft.ML.Sru;
using Sru.Datasets;
using Sru.Datasets.Digits;
using Sru.Datasets.Text;
using Sru.Datasets.Weather;

namespace Microsoft.ML.Sru.Tests.Datasets;

/// <summary>The example datasets: parsing on tiny inputs, and the real files read as the figures were measured on.</summary>
[TestClass]
public sealed class ExampleDatasetTests
{
    [TestMethod]
    public void Fortune_entries_are_the_texts_between_percent_lines_trimmed_and_never_empty()
    {
        string file = "First line\n  second\n%\n%\n\nTwo\r\n%\r\nLast, no closing %\n";

        CollectionAssert.AreEqual(new[] { "First line\n  second", "Two", "Last, no closing %" }, FortuneCorpus.Entries(file).ToArray());
    }

    [TestMethod]
    [DataRow(new byte[] { 0, 0, 0, 0, 5, 0, 0, 0, 0, 255, 0, 0 }, new[] { 5 / 255f, 0, 0, 0, 0, 1f })]
    [DataRow(new byte[] { 9, 0, 0, 0, 0, 0 }, new[] { 9 / 255f, 0 })]
    [DataRow(new byte[] { 0, 0, 0, 0 }, new[] { 0f, 0 })]
    public void A_digit_is_cut_to_the_rows_from_its_first_to_its_last_ink(byte[] image, float[] expected)
    {
        CollectionAssert.AreEqual(expected, InkRowsMnist.Crop(image, width: 2));
    }

    [TestMethod]
    public void A_missing_fortunes_directory_says_which_package_to_install()
    {
        var e = Assert.ThrowsExactly<DatasetException>(() => FortuneCorpus.Read(DatasetSplit.Train, directory: "/no/such/fortunes"));

        StringAssert.Contains(e.Message, "/no/such/fortunes");
        StringAssert.Contains(e.Message, "apt-get install fortunes");
    }

    [TestMethod]
    [TestCategory("RealData")]
    public void The_fortunes_categories_split_about_one_in_five_with_no_entry_in_both_splits()
    {
        var train = FortuneCorpus.Read(DatasetSplit.Train);
        var test = FortuneCorpus.Read(DatasetSplit.Test);

        Assert.AreEqual(3457, train.Count);
        Assert.AreEqual(843, test.Count);
        CollectionAssert.AreEquivalent(FortuneCorpus.DefaultCategories.ToArray(), test.Select(e => e.Category).Distinct().ToArray());
        Assert.IsFalse(train.Select(e => e.Text).Intersect(test.Select(e => e.Text)).Any());
    }

    [TestMethod]
    [TestCategory("RealData")]
    public void Weather_windows_train_on_2012_to_2014_and_test_on_2015()
    {
        var train = WeatherHistory.Read(DatasetSplit.Train);
        var test = WeatherHistory.Read(DatasetSplit.Test);

        Assert.IsTrue(train.All(w => string.CompareOrdinal(w.Date, "2015") < 0) && test.All(w => w.Date.StartsWith("2015", StringComparison.Ordinal)));
        Assert.AreEqual(2 * 365, test.Count);
        Assert.AreEqual(2 * (3 * 365 + 1 - WeatherHistory.WindowDays), train.Count);
        Assert.IsTrue(train.All(w => w.Features.Length == WeatherHistory.WindowDays * WeatherHistory.ValuesPerDay));
        double rainy = test.Average(w => w.RainNextDay ? 1.0 : 0.0);
        Assert.IsTrue(rainy is > 0.2 and < 0.8, $"share of rainy days {rainy}");
    }
}
