using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru.Tests.Model;

/// <summary>
/// The network description's bytes: the weights' checksum covers them, so the same spec must give the same bytes for
/// every saved model to keep loading.
/// </summary>
[TestClass]
public sealed class ModelSpecFormatTests
{
    private const int Steps = 7, StepSize = 5, Hidden = 16, Layers = 2, Classes = 4;

    private static readonly Dictionary<string, NetworkSpec> Specs = new()
    {
        ["SRU"] = new(RecurrentCellKind.Sru, Steps, StepSize, Hidden, Layers, Classes),
        ["SRU without highway"] = new(RecurrentCellKind.Sru, Steps, StepSize, Hidden, Layers, Classes) { SruCell = SruCellSpec.Classic with { UseHighway = false } },
        ["SRU, every option but the highway"] = new(RecurrentCellKind.Sru, Steps, StepSize, Hidden, Layers, Classes)
        {
            SruCell = new SruCellSpec(false, true, true, SruActivation.Identity, -1.5f, true, 0.25f, SruLayerNorm.AfterRecurrence, 3),
        },
        ["LSTM"] = Options(new LstmTrainer.Options()).ToSpec(RecurrentCellKind.Lstm, StepSize, Classes),
        ["GRU"] = Options(new GruTrainer.Options()).ToSpec(RecurrentCellKind.Gru, StepSize, Classes),
        ["SRU trainer, defaults"] = Options(new SruTrainer.Options()).ToSpec(RecurrentCellKind.Sru, StepSize, Classes),
    };

    private static RecurrentTrainerOptions Options(RecurrentTrainerOptions options)
    {
        options.SequenceLength = Steps;
        options.HiddenSize = Hidden;
        options.NumberOfLayers = Layers;
        return options;
    }

    [TestMethod]
    // Cell, 7 steps, 5 values a step, 16 units, 2 layers, 4 classes, the highway; from 0x00010003 the SRU options
    // (bidirectional, cell-state weights, rescale, a zero byte, activation, layer norm, highway bias, dropout,
    // projection); from 0x00010005 the task; from 0x00010006 the embedding's rows.
    [DataRow("SRU", 0x00010006u, "010000000700000005000000100000000200000004000000" + "01" + "000000000000000000000000000000000000000000000000" + "01000000" + "00000000")]
    [DataRow("SRU without highway", 0x00010006u, "010000000700000005000000100000000200000004000000" + "00" + "000000000000000000000000000000000000000000000000" + "01000000" + "00000000")]
    [DataRow("SRU, every option but the highway", 0x00010006u, "010000000700000005000000100000000200000004000000" + "00" + "01010100" + "01000000" + "02000000" + "0000c0bf" + "0000803e" + "03000000" + "01000000" + "00000000")]
    [DataRow("LSTM", 0x00010006u, "020000000700000005000000100000000200000004000000" + "00" + "000000000000000000000000000000000000000000000000" + "01000000" + "00000000")]
    [DataRow("GRU", 0x00010006u, "030000000700000005000000100000000200000004000000" + "00" + "000000000000000000000000000000000000000000000000" + "01000000" + "00000000")]
    [DataRow("SRU trainer, defaults", 0x00010006u, "010000000700000005000000100000000200000004000000" + "01" + "000000000000000000000000000000000000000000000000" + "01000000" + "00000000")]
    [DataRow("SRU", 0x00010002u, "010000000700000005000000100000000200000004000000" + "01")]
    [DataRow("SRU without highway", 0x00010002u, "010000000700000005000000100000000200000004000000" + "00")]
    [DataRow("LSTM", 0x00010004u, "020000000700000005000000100000000200000004000000" + "00" + "000000000000000000000000000000000000000000000000")]
    public void A_spec_writes_the_bytes_every_saved_model_of_its_format_has_and_reads_back_from_them(string name, uint version, string hex)
    {
        NetworkSpec spec = Specs[name];
        byte[] bytes = ModelSpecFormat.ToBytes(spec, version);

        Assert.AreEqual(hex, Convert.ToHexStringLower(bytes));
        Assert.HasCount(ModelSpecFormat.Size(version), bytes);
        Assert.AreEqual(spec, ModelSpecFormat.Read(new BinaryReader(new MemoryStream(bytes)), version));
    }

    [TestMethod]
    public void A_format_before_the_SRU_options_refuses_any_but_the_2017_form()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ModelSpecFormat.ToBytes(Specs["SRU, every option but the highway"], 0x00010002));
        StringAssert.Contains(e.Message, "2017 form");
    }

    [TestMethod]
    [DataRow("sru-format-00010002.zip", 0x00010002u, "Sru", true)]
    [DataRow("sru-format-00010004.zip", 0x00010004u, "Sru", true)]
    [DataRow("lstm-format-00010004.zip", 0x00010004u, "Lstm", false)]
    public void Every_fixture_s_description_reads_and_writes_back_to_its_stored_bytes(string fixture, uint version, string cell, bool highway)
    {
        byte[] key = ModelKey(Path.Combine(AppContext.BaseDirectory, "Reliability", "Fixtures", fixture));
        int signature = key.AsSpan().IndexOf("SRUMLNET"u8);
        Assert.AreEqual(version, BinaryPrimitives.ReadUInt32LittleEndian(key.AsSpan(signature + 8)));
        // ML.NET's header gives where the model's own bytes start (FpModel, after its signature and version); they open
        // with the float width, then the description.
        int at = (int)BinaryPrimitives.ReadInt64LittleEndian(key.AsSpan(16));
        Assert.AreEqual(sizeof(float), BinaryPrimitives.ReadInt32LittleEndian(key.AsSpan(at)));
        byte[] stored = key.AsSpan(at + sizeof(int), ModelSpecFormat.Size(version)).ToArray();

        NetworkSpec spec = ModelSpecFormat.Read(new BinaryReader(new MemoryStream(stored)), version);

        Assert.AreEqual((Enum.Parse<RecurrentCellKind>(cell), highway), (spec.Cell, spec.SruCell.UseHighway));
        CollectionAssert.AreEqual(stored, ModelSpecFormat.ToBytes(spec, version));
    }

    /// <summary>The classifier's Model.key: the entry that names this library's loader.</summary>
    private static byte[] ModelKey(string zipPath)
    {
        using ZipArchive zip = ZipFile.OpenRead(zipPath);
        foreach (ZipArchiveEntry entry in zip.Entries.Where(e => e.Name == "Model.key"))
        {
            using var buffer = new MemoryStream();
            using (Stream stream = entry.Open())
                stream.CopyTo(buffer);
            if (buffer.ToArray().AsSpan().IndexOf("SRUMLNET"u8) >= 0)
                return buffer.ToArray();
        }
        Assert.Fail($"{zipPath} has no Model.key of a recurrent classifier.");
        return [];
    }
}
