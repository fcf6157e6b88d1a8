using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using Microsoft.ML.Data;
using Sru.ScoringService.Models;

namespace Sru.ScoringService.Scoring;

/// <summary>
/// <see cref="ScoringEngine.Batch"/>: requests wait in a queue; one worker per core takes whatever has queued up (at
/// most <see cref="ScoringOptions.MaxBatchSize"/>) and scores it through the model's Transform, which the recurrent
/// models run as one network call per batch. Consecutive requests on the same model form one batch; a swap splits it.
/// </summary>
public sealed class BatchingScorer(IOptions<ScoringOptions> options) : BackgroundService, IPredictionScorer
{
    private readonly int _maxBatch = options.Value.MaxBatchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });

    public ValueTask<float[]> ScoreAsync(LoadedModel model, float[] features, CancellationToken cancellationToken)
    {
        var pending = new Pending(model, features);
        if (!_queue.Writer.TryWrite(pending))
            throw new InvalidOperationException("The scoring queue is closed: the service is stopping.");
        return new ValueTask<float[]>(pending.Result.Task);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(_maxBatch);
        var pipeline = new BatchPipeline();
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out Pending? pending))
                batch.Add(pending);
            int start = 0;
            for (int i = 1; i <= batch.Count; i++)
            {
                if (i == batch.Count || batch[i].Model != batch[start].Model)
                {
                    pipeline.Score(batch, start, i - start);
                    start = i;
                }
            }
            pipeline.Rows.Clear();
        }
    }

    /// <summary>
    /// One worker's input view and its transform on one model, built when the model changes and reused for every
    /// batch: a batch only refills <see cref="Rows"/> and opens a cursor (building the view and binding the
    /// transform cost more than scoring a small batch).
    /// </summary>
    private sealed class BatchPipeline
    {
        private LoadedModel? _model;
        private IDataView? _scored;

        public List<ModelInput> Rows { get; } = [];

        public void Score(List<Pending> batch, int start, int count)
        {
            int done = 0;
            try
            {
                LoadedModel model = batch[start].Model;
                if (model != _model)
                {
                    _model = null;
                    IDataView rows = model.Ml.Data.LoadFromEnumerable(new CurrentRows(Rows), model.InputDefinition);
                    _scored = model.Transformer.Transform(rows);
                    _model = model;
                }
                Rows.Clear();
                for (int i = start; i < start + count; i++)
                    Rows.Add(new ModelInput { Features = batch[i].Features });
                DataViewSchema.Column scoreColumn = _scored!.Schema[ModelOutput.ScoreColumn];
                using DataViewRowCursor cursor = _scored.GetRowCursor([scoreColumn]);
                ValueGetter<VBuffer<float>> getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
                VBuffer<float> score = default;
                for (; done < count && cursor.MoveNext(); done++)
                {
                    getScore(ref score);
                    batch[start + done].Result.TrySetResult(score.DenseValues().ToArray());
                }
                if (done < count)
                    throw new InvalidOperationException($"The model scored {done} of a batch of {count} rows.");
            }
            catch (Exception e)
            {
                for (int i = start + done; i < start + count; i++)
                    batch[i].Result.TrySetException(e);
            }
        }
    }

    /// <summary>The rows of the batch being scored, enumerated afresh by every cursor (the scorer may open two).</summary>
    private sealed class CurrentRows(List<ModelInput> rows) : IEnumerable<ModelInput>
    {
        public IEnumerator<ModelInput> GetEnumerator() => rows.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class Pending(LoadedModel model, float[] features)
    {
        public LoadedModel Model { get; } = model;

        public float[] Features { get; } = features;

        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
