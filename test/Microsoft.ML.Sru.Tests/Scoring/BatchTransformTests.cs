using Microsoft.ML.Data;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Tests.Reliability;
using Microsoft.ML.Sru.Tests.Trainers;

namespace Microsoft.ML.Sru.Tests.Scoring;

/// <summary>
/// Transform scores rows in batches pulled ahead from the input: the same columns and values as row-by-row scoring,
/// whatever rows a cursor reads, with errors at the row they belong to.
/// </summary>
[TestClass]
public sealed class BatchTransformTests
{
    // More than two batches, the last one partial.
    private const int RowCount = 2 * RecurrentPredictionTransformer.BatchSize + 44;

    /// <summary>A row with columns beside the features, to see them pass through; a row can be made to fail when its features are read.</summary>
    public sealed class NamedRow
    {
        private float[] _features = Array.Empty<float>();

        public string Name { get; set; } = "";

        public uint Label { get; set; }

        [VectorType(OrderedMarkers.FeatureCount)]
        public float[] Features
        {
            get => FailWith is null ? _features : throw new InvalidDataException(FailWith);
            set => _features = value;
        }

        [NoColumn]
        public string? FailWith { get; set; }
    }

    private static List<NamedRow> Rows(int count, int seed, int failingRow = -1) => OrderedMarkers.Generate(count, seed)
        .Select((row, i) => new NamedRow
        {
            Name = $"row {i}",
            Label = row.Label,
            Features = row.Features,
            FailWith = i == failingRow ? $"row {i} cannot be read" : null,
        })
        .ToList();

    private static IDataView Load(MLContext ml, IEnumerable<NamedRow> rows)
    {
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(raw).Transform(raw);
    }

    private static RecurrentPredictionTransformer Train(MLContext ml, string cell)
    {
        IDataView train = OrderedMarkers.Load(ml, 200, seed: 1);
        return CellTrainers.Trainer(ml, TinyModels.For(cell)).Fit(train);
    }

    [TestMethod]
    [DataRow("SRU")]
    [DataRow("LSTM")]
    [DataRow("GRU")]
    public void Transform_gives_every_row_the_PredictionEngine_scores_and_passes_the_other_columns_through(string cell)
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, cell);
        List<NamedRow> rows = Rows(RowCount, seed: 7);
        IDataView scored = model.Transform(Load(ml, rows));
        var engine = ml.Model.CreatePredictionEngine<NamedRow, OrderedMarkers.Prediction>(model, Load(ml, rows).Schema);

        using var cursor = scored.GetRowCursor(scored.Schema);
        Assert.IsInstanceOfType<BatchScoringCursor>(cursor);
        var name = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["Name"]);
        var features = cursor.GetGetter<VBuffer<float>>(scored.Schema["Features"]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var predicted = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
        ReadOnlyMemory<char> n = default;
        VBuffer<float> f = default, s = default;
        uint p = 0;
        int count = 0;
        for (; cursor.MoveNext(); count++)
        {
            NamedRow row = rows[count];
            name(ref n);
            features(ref f);
            score(ref s);
            predicted(ref p);
            Assert.AreEqual(row.Name, n.ToString());
            CollectionAssert.AreEqual(row.Features, f.DenseValues().ToArray(), $"features of {row.Name}");
            OrderedMarkers.Prediction expected = engine.Predict(row);
            float[] actual = s.DenseValues().ToArray();
            for (int c = 0; c < actual.Length; c++)
                Assert.AreEqual(expected.Score[c], actual[c], 1e-5, $"{row.Name}, class {c}");
            Assert.AreEqual(expected.PredictedLabel, p, row.Name);
        }
        Assert.AreEqual(RowCount, count);
    }

    [TestMethod]
    public void A_cursor_reading_the_scores_of_some_rows_only_gets_the_same_scores()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        IDataView scored = model.Transform(Load(ml, Rows(RowCount, seed: 7)));
        float[][] all = RecurrentTrainerTests.Scores(scored);

        // Rows skipped at the start, inside a batch, across a batch's end and up to the last row.
        var wanted = new HashSet<int> { 3, 5, 127, 128, 200, 201, RowCount - 1 };
        using var cursor = scored.GetRowCursor(scored.Schema);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> s = default;
        while (cursor.MoveNext())
        {
            if (!wanted.Contains((int)cursor.Position))
                continue;
            score(ref s);
            score(ref s);
            CollectionAssert.AreEqual(all[cursor.Position], s.DenseValues().ToArray(), $"row {cursor.Position}");
        }
    }

    [TestMethod]
    public void Two_cursors_read_in_turn_each_score_their_own_rows()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        IDataView scored = model.Transform(Load(ml, Rows(RowCount, seed: 7)));
        float[][] all = RecurrentTrainerTests.Scores(scored);

        using var first = scored.GetRowCursor(scored.Schema);
        using var second = scored.GetRowCursor(scored.Schema);
        var firstScore = first.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var secondScore = second.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> s = default;
        // The second cursor starts 100 rows behind, so the two batches never line up.
        for (int i = 0; i < 100; i++)
            first.MoveNext();
        while (second.MoveNext())
        {
            if (first.MoveNext())
            {
                firstScore(ref s);
                CollectionAssert.AreEqual(all[first.Position], s.DenseValues().ToArray(), $"first cursor, row {first.Position}");
            }
            secondScore(ref s);
            CollectionAssert.AreEqual(all[second.Position], s.DenseValues().ToArray(), $"second cursor, row {second.Position}");
        }
    }

    [TestMethod]
    public void A_cursor_that_reads_no_scored_column_scores_nothing()
    {
        var ml = new MLContext(seed: 1);
        RecurrentPredictionTransformer model = Train(ml, "SRU");
        IDataView scored = model.Transform(Load(ml, Rows(50, seed: 7)));
        // A disposed model cannot score: reading the labels must not try to.
        model.Dispose();

        using (var cursor = scored.GetRowCursor(new[] { scored.Schema["Label"], scored.Schema["Name"] }))
        {
            Assert.IsNotInstanceOfType<BatchScoringCursor>(cursor);
            var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
            uint l = 0;
            int count = 0;
            while (cursor.MoveNext())
            {
                label(ref l);
                count++;
            }
            Assert.AreEqual(50, count);
        }

        Assert.Throws<ObjectDisposedException>(() => RecurrentTrainerTests.Scores(scored));
    }

    [TestMethod]
    public void A_row_that_fails_ahead_of_the_cursor_fails_only_when_the_cursor_reaches_it()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        const int failing = RecurrentPredictionTransformer.BatchSize + 22;
        IDataView good = model.Transform(Load(ml, Rows(RowCount, seed: 7)));
        IDataView bad = model.Transform(Load(ml, Rows(RowCount, seed: 7, failingRow: failing)));
        float[][] expected = RecurrentTrainerTests.Scores(good);

        using var cursor = bad.GetRowCursor(new[] { bad.Schema["Score"] });
        var score = cursor.GetGetter<VBuffer<float>>(bad.Schema["Score"]);
        VBuffer<float> s = default;
        for (int row = 0; row < failing; row++)
        {
            Assert.IsTrue(cursor.MoveNext());
            score(ref s);
            CollectionAssert.AreEqual(expected[row], s.DenseValues().ToArray(), $"row {row}");
        }
        Assert.IsTrue(cursor.MoveNext());
        Exception e = Assert.Throws<Exception>(() => score(ref s));
        Assert.IsTrue(TinyModels.Chain(e).Any(x => x.Message.Contains($"row {failing} cannot be read")), TinyModels.Describe(e));
        // The rows after it score as before.
        Assert.IsTrue(cursor.MoveNext());
        score(ref s);
        CollectionAssert.AreEqual(expected[failing + 1], s.DenseValues().ToArray(), $"row {failing + 1}");
    }

    [TestMethod]
    public void Shuffled_cursors_cursor_sets_and_an_input_with_its_own_Score_column_score_as_the_row_scorer()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        IDataView data = Load(ml, Rows(RowCount, seed: 7));
        IDataView scored = model.Transform(data);
        float[][] all = RecurrentTrainerTests.Scores(scored);
        var byName = RecurrentTrainerTests.Scores(scored).Zip(Rows(RowCount, seed: 7)).ToDictionary(p => p.Second.Name, p => p.First);

        // Shuffled: the row scorer's cursor, the same scores for the same rows.
        Assert.AreEqual(data.CanShuffle, scored.CanShuffle);
        using (var cursor = scored.GetRowCursor(new[] { scored.Schema["Name"], scored.Schema["Score"] }, new Random(3)))
        {
            Assert.IsNotInstanceOfType<BatchScoringCursor>(cursor);
            var name = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["Name"]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            ReadOnlyMemory<char> n = default;
            VBuffer<float> s = default;
            while (cursor.MoveNext())
            {
                name(ref n);
                score(ref s);
                float[] expected = byName[n.ToString()];
                float[] actual = s.DenseValues().ToArray();
                for (int c = 0; c < actual.Length; c++)
                    Assert.AreEqual(expected[c], actual[c], 1e-5, $"{n}, class {c}");
            }
        }

        // A cursor set is one batch-scoring cursor.
        DataViewRowCursor[] set = scored.GetRowCursorSet(new[] { scored.Schema["Score"] }, 4);
        Assert.HasCount(1, set);
        set[0].Dispose();

        // An input that already has Score and PredictedLabel: the new ones hide them, and are still the model's.
        IDataView withOwn = ml.Transforms.CopyColumns("Score", "Features").Append(ml.Transforms.CopyColumns("PredictedLabel", "Label")).Fit(data).Transform(data);
        float[][] again = RecurrentTrainerTests.Scores(model.Transform(withOwn));
        Assert.HasCount(all.Length, again);
        for (int i = 0; i < all.Length; i++)
            for (int c = 0; c < all[i].Length; c++)
                Assert.AreEqual(all[i][c], again[i][c], 1e-5, $"row {i}, class {c}");
    }

    /// <summary>An input that gives each cursor different rows, against the IDataView contract.</summary>
    private sealed class ChangingDataView(IDataView first, IDataView second) : IDataView
    {
        private int _cursors;

        public DataViewSchema Schema => first.Schema;

        public bool CanShuffle => false;

        public long? GetRowCount() => null;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            IDataView source = Interlocked.Increment(ref _cursors) % 2 == 1 ? first : second;
            return source.GetRowCursor(columnsNeeded.Select(c => source.Schema[c.Name]));
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            new[] { GetRowCursor(columnsNeeded, rand) };
    }

    [TestMethod]
    public void An_input_that_gives_two_cursors_different_rows_is_reported_not_scored_against_the_wrong_rows()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        // The cursor reading ahead sees the same rows in another order, so their ids differ at the same position.
        IDataView first = Load(ml, Rows(40, seed: 7));
        IDataView second = ml.Data.ShuffleRows(Load(ml, Rows(40, seed: 7)), seed: 5);
        IDataView scored = model.Transform(new ChangingDataView(first, second));

        var e = Assert.Throws<InvalidOperationException>(() => RecurrentTrainerTests.Scores(scored));
        StringAssert.Contains(e.Message, "different row");
        StringAssert.Contains(e.Message, "'Features'");
    }

    [TestMethod]
    public void Data_whose_features_do_not_fit_the_model_are_refused_by_Transform_naming_the_column()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");

        IDataView halfLength = OrderedMarkers.LoadHalfLength(ml, 20);
        foreach (var (what, act) in new (string, Action)[]
        {
            ("Transform", () => model.Transform(halfLength)),
            ("GetOutputSchema", () => model.GetOutputSchema(halfLength.Schema)),
            ("PredictionEngine", () => ml.Model.CreatePredictionEngine<OrderedMarkers.HalfLengthRow, OrderedMarkers.Prediction>(model)),
        })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(act, what);
            Assert.AreEqual("Features", e.ParamName, what);
            StringAssert.Contains(e.Message, "Feature column 'Features' is Vector<Single, 16>", what);
            StringAssert.Contains(e.Message, "Vector<Single, 32>", what);
        }

        IDataView renamed = ml.Transforms.CopyColumns("Pixels", "Features").Append(ml.Transforms.DropColumns("Features")).Fit(halfLength).Transform(halfLength);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(renamed));
        StringAssert.Contains(missing.Message, "no feature column 'Features'");
    }

    [TestMethod]
    public void A_saved_and_loaded_model_still_scores_in_batches()
    {
        var ml = new MLContext(seed: 1);
        using RecurrentPredictionTransformer model = Train(ml, "SRU");
        IDataView data = Load(ml, Rows(RowCount, seed: 7));
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);

        using var loaded = (RecurrentPredictionTransformer)new MLContext(seed: 2).Model.Load(new MemoryStream(zip.ToArray()), out _);
        IDataView scored = loaded.Transform(data);
        using (var cursor = scored.GetRowCursor(scored.Schema))
            Assert.IsInstanceOfType<BatchScoringCursor>(cursor);
        Assert.IsTrue(TinyModels.SameScores(RecurrentTrainerTests.Scores(model.Transform(data)), RecurrentTrainerTests.Scores(scored)));
    }
}
