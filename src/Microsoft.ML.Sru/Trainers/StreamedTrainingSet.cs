using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Runtime;

namespace Microsoft.ML.Sru.Trainers;

/// <summary>
/// Training (or validation) rows read from the data view through a cursor every epoch instead of held: a first read
/// counts the usable rows (skipping and counting the others as <see cref="TrainingSet"/> does), hashes them for
/// checkpoints, and gathers the first half of the input scaling's statistics; <see cref="FitStatistics"/> reads them once
/// more for the rest. Each epoch a reader thread shuffles the rows through a <see cref="ShuffleBuffer"/> of a bounded
/// number of rows, seeded by the run's seed and the epoch, and builds batches into a bounded queue
/// (<see cref="Runtime.BackgroundProducer"/>) while the loop trains. Memory: the buffer, a few batches, and one row of the cursor.
/// </summary>
internal sealed class StreamedTrainingSet : ITrainingData
{
    /// <summary>Batches built ahead of the one training: enough to ride out a slow stretch of the reader.</summary>
    public const int ReadyBatches = 8;

    private readonly IHost _host;
    private readonly RecurrentTask _task;
    private readonly DataViewSchema.Column _labelColumn, _featureColumn;
    private readonly IDataView _data;
    private readonly int _shuffleBufferRows;
    private readonly string _hash;
    private readonly InputScalingFitter _moments;
    private readonly double _labelSum;
    private InputScaling? _scaling;
    private LabelStandardization? _labels;

    private StreamedTrainingSet(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input, int shuffleBufferRows, int rowCount, SkippedRows skipped, string hash, InputScalingFitter moments, double labelSum)
    {
        _host = host;
        _task = task;
        _labelColumn = labelColumn;
        _featureColumn = featureColumn;
        _data = data;
        _shuffleBufferRows = shuffleBufferRows;
        _hash = hash;
        _moments = moments;
        _labelSum = labelSum;
        Input = input;
        ClassCount = classCount;
        RowCount = rowCount;
        Skipped = skipped;
    }

    public SequenceInput Input { get; }

    public int RowCount { get; }

    public int ClassCount { get; }

    public bool IsFixedLength => Input.Kind == SequenceInputKind.FixedLength;

    public bool IsStreamed => true;

    public SkippedRows Skipped { get; }

    /// <summary>Rows the shuffle buffer holds at most.</summary>
    public int ShuffleBufferRows => _shuffleBufferRows;

    /// <summary>The most rows any epoch's shuffle buffer held so far (never more than <see cref="ShuffleBufferRows"/>).</summary>
    public int MostRowsHeld { get; private set; }

    /// <summary>
    /// Counts and hashes the rows of <paramref name="data"/> (<paramref name="input"/> with its vocabulary, see
    /// <see cref="TrainingSet.WithVocabulary"/>), gathering the moments of an input scaling of <paramref name="momentsFor"/>.
    /// </summary>
    public static StreamedTrainingSet Open(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        int classCount, SequenceInput input, int shuffleBufferRows, InputNormalization momentsFor)
    {
        var moments = new InputScalingFitter(momentsFor, input.ValuesPerStep);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        double labelSum = 0;
        Span<float> label = stackalloc float[1];
        Span<int> steps = stackalloc int[1];
        using var rows = new TrainingRowCursor(host, task, labelColumn, featureColumn, data, classCount, input);
        while (rows.MoveNext())
        {
            if (rows.Usable > int.MaxValue)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"The data has more than {int.MaxValue:N0} usable rows in '{featureColumn.Name}'; train on a sample of them."));
            moments.AddMoments(rows.Values);
            labelSum += rows.Label;
            label[0] = rows.Label;
            steps[0] = rows.Steps;
            hash.AppendData(MemoryMarshal.AsBytes(label));
            hash.AppendData(MemoryMarshal.AsBytes(steps));
            hash.AppendData(MemoryMarshal.AsBytes(rows.Values));
        }
        if (input.Kind != SequenceInputKind.FixedLength)
            hash.AppendData(input.ToBytes());
        return new StreamedTrainingSet(host, task, labelColumn, featureColumn, data, classCount, input, shuffleBufferRows, (int)rows.Usable, rows.Skipped,
            Convert.ToHexString(hash.GetHashAndReset()), moments, labelSum);
    }

    /// <summary>A validation set, read as <paramref name="training"/> reads its rows.</summary>
    public static StreamedTrainingSet OpenValidation(IHost host, RecurrentTask task, DataViewSchema.Column labelColumn, DataViewSchema.Column featureColumn, IDataView data,
        ITrainingData training)
        => Open(host, task, labelColumn, featureColumn, data, training.ClassCount, training.Input, 1, InputNormalization.None);

    public (InputScaling Scaling, LabelStandardization? Labels) FitStatistics(InputNormalization kind, int stepSize, bool standardizeLabels)
    {
        InputScalingFitter fitter = _moments;
        if (kind != InputNormalization.None && _moments.Kind != kind)
        {
            // Only when asked for another kind than the first read gathered.
            fitter = new InputScalingFitter(kind, stepSize);
            ReadAll((values, _) => fitter.AddMoments(values));
        }
        else if (kind == InputNormalization.None)
        {
            fitter = new InputScalingFitter(InputNormalization.None, stepSize);
        }
        double mean = _labelSum / Math.Max(1, RowCount), squares = 0;
        if (fitter.NeedsRows || standardizeLabels)
        {
            ReadAll((values, label) =>
            {
                fitter.AddRange(values);
                squares += (label - mean) * (label - mean);
            });
        }
        return (fitter.Finish(), standardizeLabels ? LabelStandardization.FromSums(mean, squares, RowCount) : null);
    }

    /// <summary>Keeps the maps: rows are rescaled as each epoch reads them.</summary>
    public void Scale(InputScaling scaling, LabelStandardization? labels)
    {
        _scaling = scaling.IsIdentity ? null : scaling;
        _labels = labels;
    }

    public string ContentHash(bool classLabels) => _hash;

    public IEpochBatches OpenEpochs(int seed, int batchSize) => new Epochs(this, seed, batchSize);

    public IEnumerable<TrainingBatch> InOrder(int batchRows) => BackgroundProducer.Run<TrainingBatch>((sink, stop) =>
    {
        var assembler = new BatchAssembler(Input, batchRows, buckets: null, sink, new BatchArrays());
        float[] scratch = [];
        using var rows = Rows();
        while (rows.MoveNext())
        {
            stop.ThrowIfCancellationRequested();
            if (scratch.Length < rows.Values.Length)
                scratch = new float[rows.Values.Length];
            Span<float> values = scratch.AsSpan(0, rows.Values.Length);
            rows.Values.CopyTo(values);
            _scaling?.Apply(values);
            assembler.Add(values, rows.Steps, Label(rows.Label));
        }
        assembler.Finish();
        CheckCount(rows.Usable, "an evaluation");
    }, ReadyBatches);

    /// <summary>The generator of epoch <paramref name="epoch"/>'s shuffle: the run's seed and the epoch, so a resumed run draws the same.</summary>
    public static int EpochSeed(int seed, int epoch) => unchecked((int)(((uint)seed * 0x9E3779B1u) ^ ((uint)epoch * 0x85EBCA77u)));

    private void ProduceEpoch(int seed, int epoch, int firstStep, int batchSize, BatchArrays arrays, Action<TrainingBatch> sink, CancellationToken stop)
    {
        var random = new Random(EpochSeed(seed, epoch));
        var buffer = new ShuffleBuffer(_shuffleBufferRows, Input.ValuesPerStep, random);
        int batch = 0;
        var assembler = new BatchAssembler(Input, batchSize, IsFixedLength ? null : random, built =>
        {
            // A resumed epoch's first batches are built as before, so the rest is the same, and left out.
            if (batch++ >= firstStep)
                sink(built);
            else
                arrays.Return(built.Features);
        }, arrays);
        ShuffleBuffer.RowSink toBatches = assembler.Add;
        Action<Span<float>>? transform = _scaling is null ? null : _scaling.Apply;
        using var rows = Rows();
        while (rows.MoveNext())
        {
            stop.ThrowIfCancellationRequested();
            buffer.Add(rows.Values, rows.Steps, Label(rows.Label), transform, toBatches);
        }
        buffer.Drain(toBatches);
        assembler.Finish();
        MostRowsHeld = Math.Max(MostRowsHeld, buffer.MostHeld);
        CheckCount(rows.Usable, $"epoch {epoch}");
    }

    private float Label(float label) => _labels?.Standardize(label) ?? label;

    private TrainingRowCursor Rows() => new(_host, _task, _labelColumn, _featureColumn, _data, ClassCount, Input);

    private void ReadAll(Action<ReadOnlySpan<float>, float> row)
    {
        using var rows = Rows();
        while (rows.MoveNext())
            row(rows.Values, rows.Label);
        CheckCount(rows.Usable, "a statistics read");
    }

    /// <summary>A view that gives other rows on another read cannot be streamed: its epochs would not be what was counted and fitted.</summary>
    private void CheckCount(long usable, string read)
    {
        if (usable != RowCount)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The data gave {usable:N0} usable rows in {read} but {RowCount:N0} in its first read: streamed data (DataLoading = Streaming) must give the same rows every time it is read. Cache it (AppendCacheCheckpoint) or save it (SaveAsBinary) first."));
    }

    private sealed class Epochs(StreamedTrainingSet set, int seed, int batchSize) : IEpochBatches
    {
        private readonly BatchArrays _arrays = new();

        public int StepsPerEpoch => (set.RowCount + batchSize - 1) / batchSize;

        public IEnumerable<TrainingBatch> Epoch(int epoch, int firstStep) =>
            BackgroundProducer.Run<TrainingBatch>((sink, stop) => set.ProduceEpoch(seed, epoch, firstStep, batchSize, _arrays, sink, stop), ReadyBatches);
    }
}
