namespace Microsoft.ML.Sru.Tests.Data;

[TestClass]
public sealed class IdxReaderTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void An_image_file_round_trips_raw_or_gzipped(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Images(count: 3, rows: 4, columns: 5);
        string path = dir.Write("train-images-idx3-ubyte", gzip ? IdxTestFiles.Gzip(raw) : raw);

        IdxFile file = IdxReader.ReadImages(path);

        CollectionAssert.AreEqual(new[] { 3, 4, 5 }, file.Dimensions);
        CollectionAssert.AreEqual(IdxTestFiles.Pixels(3, 4, 5), file.Data);
        Assert.AreEqual(gzip, file.WasCompressed);
        Assert.AreEqual(IdxTestFiles.Sha256(raw), file.Sha256, "the checksum is of the decompressed content, header included");
        Assert.AreEqual(path, file.Path);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void A_label_file_round_trips_raw_or_gzipped(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Labels(7, 2, 1, 0, 9);
        string path = dir.Write("t10k-labels-idx1-ubyte", gzip ? IdxTestFiles.Gzip(raw) : raw);

        IdxFile file = IdxReader.ReadLabels(path);

        CollectionAssert.AreEqual(new[] { 5 }, file.Dimensions);
        CollectionAssert.AreEqual(new byte[] { 7, 2, 1, 0, 9 }, file.Data);
        Assert.AreEqual(IdxTestFiles.Sha256(raw), file.Sha256);
    }

    [TestMethod]
    public void Gzip_is_recognised_by_its_magic_bytes_not_by_the_name()
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Labels(1, 2, 3);
        string gzipWithoutSuffix = dir.Write("labels", IdxTestFiles.Gzip(raw));
        string rawWithSuffix = dir.Write("labels.gz", raw);

        Assert.IsTrue(IdxReader.ReadLabels(gzipWithoutSuffix).WasCompressed);
        Assert.IsFalse(IdxReader.ReadLabels(rawWithSuffix).WasCompressed);
        CollectionAssert.AreEqual(IdxReader.ReadLabels(gzipWithoutSuffix).Data, IdxReader.ReadLabels(rawWithSuffix).Data);
    }

    [TestMethod]
    public void An_image_file_with_no_images_is_read_as_empty()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("empty-images", IdxTestFiles.Images(0, 28, 28));
        Assert.AreEqual(0, IdxReader.ReadImages(path).ItemCount);
    }

    [TestMethod]
    public void A_wrong_magic_number_is_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        byte[] content = IdxTestFiles.Images(2, 2, 2);
        content[0] = 0x12;
        string path = dir.Write("train-images-idx3-ubyte", content);

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "not an IDX file");
    }

    [TestMethod]
    public void An_element_type_other_than_unsigned_byte_is_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("floats", IdxTestFiles.Idx(0x0D, new uint[] { 1, 1, 1 }, new byte[4]));

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        StringAssert.Contains(e.Message, "element type 0x0D");
    }

    [TestMethod]
    public void A_label_file_read_as_an_image_file_is_rejected_for_its_dimensions()
    {
        using var dir = new TempDirectory();
        string labels = dir.Write("labels", IdxTestFiles.Labels(1, 2, 3));
        string images = dir.Write("images", IdxTestFiles.Images(1, 2, 2));

        var asImages = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(labels));
        var asLabels = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadLabels(images));

        StringAssert.Contains(asImages.Message, "has 1 dimension(s)");
        StringAssert.Contains(asImages.Message, "0x00000803");
        StringAssert.Contains(asLabels.Message, "has 3 dimension(s)");
        StringAssert.Contains(asLabels.Message, "0x00000801");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void A_header_declaring_more_images_than_the_file_holds_is_rejected_as_truncated(bool gzip)
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Idx(0x08, new uint[] { 10, 28, 28 }, IdxTestFiles.Pixels(3, 28, 28));
        string path = dir.Write("train-images-idx3-ubyte", gzip ? IdxTestFiles.Gzip(raw) : raw);

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "10 image(s) of 28 × 28");
    }

    [TestMethod]
    public void A_file_ending_inside_its_header_is_rejected_as_truncated()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("short", IdxTestFiles.Images(1, 2, 2)[..9]);

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "inside the header");
    }

    [TestMethod]
    public void An_empty_file_is_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("empty", Array.Empty<byte>());

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadLabels(path));

        StringAssert.Contains(e.Message, "is empty");
    }

    [TestMethod]
    public void Bytes_after_the_declared_data_are_rejected()
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Labels(1, 2, 3).Concat(new byte[] { 4, 5 }).ToArray();
        string path = dir.Write("labels", raw);
        string gz = dir.Write("labels.gz", IdxTestFiles.Gzip(raw));

        StringAssert.Contains(Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadLabels(path)).Message, "after the 3 label(s)");
        StringAssert.Contains(Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadLabels(gz)).Message, "after the 3 label(s)");
    }

    [TestMethod]
    [DataRow(0x80000000u, 28u, 28u, "absurd size 2147483648")]
    [DataRow(0x7FFFFFFFu, 28u, 28u, "more than the 1 GiB")]
    [DataRow(10u, 0u, 28u, "between 1 and 4096")]
    [DataRow(10u, 28u, 4097u, "between 1 and 4096")]
    [DataRow(10u, 0xFFFFFFFFu, 28u, "absurd size")]
    public void Absurd_header_sizes_are_refused_before_anything_is_allocated(uint count, uint rows, uint columns, string expected)
    {
        using var dir = new TempDirectory();
        byte[] raw = IdxTestFiles.Idx(0x08, new[] { count, rows, columns }, new byte[16]);
        string path = dir.Write("images", raw);
        string gz = dir.Write("images.gz", IdxTestFiles.Gzip(raw));

        foreach (string file in new[] { path, gz })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(file));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            StringAssert.Contains(e.Message, expected);
            Assert.IsLessThan(8L << 20, allocated, $"{file}: {allocated:N0} bytes allocated");
        }
    }

    [TestMethod]
    public void A_gzip_header_claiming_a_gigabyte_fails_as_truncated_without_allocating_it()
    {
        using var dir = new TempDirectory();
        // 1 GiB of labels is within the limit, but the stream holds 100 bytes of them.
        string path = dir.Write("labels.gz", IdxTestFiles.Gzip(IdxTestFiles.Idx(0x08, new uint[] { 1u << 30 }, new byte[100])));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadLabels(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "holds only 100 byte(s)");
        Assert.IsLessThan(8L << 20, allocated, $"{allocated:N0} bytes allocated");
    }

    [TestMethod]
    [DataRow("invalid block type")]
    [DataRow("checksum trailer")]
    public void A_corrupt_gzip_stream_is_rejected_naming_the_file(string damage)
    {
        using var dir = new TempDirectory();
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Images(20, 28, 28));
        if (damage == "invalid block type")
            gz[10] = 0x07; // the first deflate block: final, with the reserved block type 11
        else
            gz[^8] ^= 0xFF; // the CRC-32 of the content
        string path = dir.Write("train-images-idx3-ubyte.gz", gz);

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "corrupt gzip stream");
        Assert.IsInstanceOfType<InvalidDataException>(e.InnerException);
    }

    [TestMethod]
    public void A_truncated_gzip_stream_is_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Images(20, 28, 28));
        string path = dir.Write("train-images-idx3-ubyte.gz", gz[..(gz.Length / 2)]);

        var e = Assert.ThrowsExactly<MnistDataException>(() => IdxReader.ReadImages(path));

        Assert.AreEqual(path, e.FilePath);
        Assert.IsTrue(e.Message.Contains("truncated", StringComparison.Ordinal) || e.Message.Contains("corrupt gzip", StringComparison.Ordinal), e.Message);
    }
}
