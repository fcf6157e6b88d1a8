using Microsoft.ML.Data;

namespace Microsoft.ML.Sru.Tests.Data;

[TestClass]
public sealed class MnistDataViewTests
{
    private const int Count = 37;

    private static readonly byte[] LabelValues = Enumerable.Range(0, Count).Select(i => (byte)(i * 7 % 10)).ToArray();

    private static MnistDataset Dataset() => new(IdxTestFiles.Pixels(Count, 28, 28), LabelValues.ToArray(), Count, 28, 28);

    [TestMethod]
    public void The_view_has_a_uint_label_and_784_singles_of_features()
    {
        IDataView view = Dataset().ToDataView();

        Assert.HasCount(2, view.Schema);
        Assert.AreEqual(NumberDataViewType.UInt32, view.Schema["Label"].Type);
        var features = view.Schema["Features"].Type as VectorDataViewType;
        Assert.IsNotNull(features);
        Assert.AreEqual(NumberDataViewType.Single, features.ItemType);
        Assert.IsTrue(features.IsKnownSize);
        Assert.AreEqual(784, features.Size);
        Assert.AreEqual(Count, view.GetRowCount());
        Assert.IsTrue(view.CanShuffle);
    }

    [TestMethod]
    public void The_cursor_reads_every_row_with_its_label_and_pixels_divided_by_255()
    {
        MnistDataset dataset = Dataset();
        IDataView view = dataset.ToDataView();
        byte[] pixels = IdxTestFiles.Pixels(Count, 28, 28);

        using var cursor = view.GetRowCursor(view.Schema);
        var getLabel = cursor.GetGetter<uint>(view.Schema["Label"]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        var getId = cursor.GetIdGetter();
        uint label = 0;
        VBuffer<float> features = default;
        DataViewRowId id = default;
        int rows = 0;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(rows, cursor.Position);
            getLabel(ref label);
            getFeatures(ref features);
            getId(ref id);
            Assert.AreEqual(LabelValues[rows], label);
            Assert.AreEqual((ulong)rows, id.Low);
            Assert.IsTrue(features.IsDense);
            Assert.AreEqual(784, features.Length);
            ReadOnlySpan<float> values = features.GetValues();
            for (int p = 0; p < 784; p++)
            {
                Assert.AreEqual(pixels[rows * 784 + p] / 255f, values[p]);
                Assert.IsTrue(values[p] is >= 0f and <= 1f);
            }
            rows++;
        }
        Assert.AreEqual(Count, rows);
        Assert.IsFalse(cursor.MoveNext(), "a finished cursor stays finished");
    }

    [TestMethod]
    public void Pixel_0_reads_as_0_and_pixel_255_as_1()
    {
        var pixels = new byte[784];
        pixels[0] = 255;
        pixels[1] = 128;
        var view = new MnistDataset(pixels, new byte[] { 3 }, 1, 28, 28).ToDataView();
        using var cursor = view.GetRowCursor(view.Schema);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(view.Schema["Features"]);
        VBuffer<float> features = default;

        Assert.IsTrue(cursor.MoveNext());
        getFeatures(ref features);

        Assert.AreEqual(1f, features.GetValues()[0]);
        Assert.AreEqual(128 / 255f, features.GetValues()[1]);
        Assert.AreEqual(0f, features.GetValues()[2]);
    }

    [TestMethod]
    public void A_shuffled_cursor_visits_every_row_once_in_another_order_with_stable_ids()
    {
        IDataView view = Dataset().ToDataView();

        var order = new List<ulong>();
        using (var cursor = view.GetRowCursor(view.Schema, new Random(42)))
        {
            var getLabel = cursor.GetGetter<uint>(view.Schema["Label"]);
            var getId = cursor.GetIdGetter();
            uint label = 0;
            DataViewRowId id = default;
            while (cursor.MoveNext())
            {
                getId(ref id);
                getLabel(ref label);
                Assert.AreEqual(LabelValues[(int)id.Low], label, "the id names the row the values come from");
                order.Add(id.Low);
            }
        }

        CollectionAssert.AreEquivalent(Enumerable.Range(0, Count).Select(i => (ulong)i).ToList(), order);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, Count).Select(i => (ulong)i).ToList(), order);
    }

    [TestMethod]
    public void MLContext_reads_and_shuffles_the_view()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = Dataset().ToDataView();

        var rows = ml.Data.CreateEnumerable<Row>(ml.Data.ShuffleRows(view, seed: 3), reuseRowObject: false).ToList();

        Assert.HasCount(Count, rows);
        CollectionAssert.AreEquivalent(LabelValues.Select(l => (uint)l).ToList(), rows.Select(r => r.Label).ToList());
        Assert.IsTrue(rows.All(r => r.Features.Length == 784 && r.Features.All(v => v is >= 0f and <= 1f)));
    }

    [TestMethod]
    public void A_getter_off_a_row_an_unrequested_column_or_a_wrong_type_throws()
    {
        IDataView view = Dataset().ToDataView();
        var label = view.Schema["Label"];
        var features = view.Schema["Features"];
        using var cursor = view.GetRowCursor(new[] { label });
        var getLabel = cursor.GetGetter<uint>(label);
        uint value = 0;

        Assert.ThrowsExactly<InvalidOperationException>(() => getLabel(ref value));
        Assert.IsFalse(cursor.IsColumnActive(features));
        Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(features));
        Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<float>(label));
    }

    [TestMethod]
    public void Image_and_label_counts_must_match()
    {
        using var dir = new TempDirectory();
        IdxFile images = IdxReader.ReadImages(dir.Write("train-images-idx3-ubyte", IdxTestFiles.Images(3, 28, 28)));
        IdxFile labels = IdxReader.ReadLabels(dir.Write("train-labels-idx1-ubyte", IdxTestFiles.Labels(1, 2)));

        var e = Assert.ThrowsExactly<MnistDataException>(() => MnistDataset.FromIdx(images, labels));

        StringAssert.Contains(e.Message, "holds 3 images");
        StringAssert.Contains(e.Message, "holds 2 labels");
        StringAssert.Contains(e.Message, images.Path);
        StringAssert.Contains(e.Message, labels.Path);
    }

    [TestMethod]
    public void A_label_above_9_is_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        IdxFile images = IdxReader.ReadImages(dir.Write("i", IdxTestFiles.Images(3, 2, 2)));
        IdxFile labels = IdxReader.ReadLabels(dir.Write("l", IdxTestFiles.Labels(1, 10, 2)));

        var e = Assert.ThrowsExactly<MnistDataException>(() => MnistDataset.FromIdx(images, labels));

        Assert.AreEqual(labels.Path, e.FilePath);
        StringAssert.Contains(e.Message, "label 10 at item 1");
    }

    [TestMethod]
    public void The_dataset_exposes_its_bytes_labels_and_sizes()
    {
        MnistDataset dataset = Dataset();

        Assert.AreEqual(Count, dataset.Count);
        Assert.AreEqual(28, dataset.Rows);
        Assert.AreEqual(28, dataset.Columns);
        Assert.AreEqual(Count * 784, dataset.Pixels.Length);
        Assert.AreEqual(LabelValues[5], dataset.GetLabel(5));
        CollectionAssert.AreEqual(IdxTestFiles.Pixels(Count, 28, 28)[(2 * 784)..(3 * 784)], dataset.GetImage(2).ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => dataset.GetLabel(Count));
    }

    [TestMethod]
    public void Fashion_class_names_are_the_ten_published_ones()
    {
        CollectionAssert.AreEqual(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            MnistDataset.FashionClassNames.ToArray());
    }

    [TestMethod]
    [DataRow(784)]
    [DataRow(13)]
    [DataRow(0)]
    public void Every_byte_value_scales_exactly_as_the_scalar_division(int length)
    {
        byte[] pixels = Enumerable.Range(0, length).Select(i => (byte)(i * 37 + 11)).ToArray();
        if (length >= 256)
            for (int b = 0; b < 256; b++)
                pixels[b] = (byte)b;
        var features = new float[length];

        PixelScaling.ToUnitInterval(pixels, features);

        for (int i = 0; i < length; i++)
            Assert.AreEqual(pixels[i] / 255f, features[i], $"pixel {i} = {pixels[i]}");
    }

    private sealed class Row
    {
        public uint Label { get; set; }

        [VectorType(784)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }
}
