using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Sru.ScoringService.Models;

/// <summary>
/// A model that passed <see cref="ModelLoader"/>'s checks, with what the service needs to score it, counted holds
/// and its PredictionEngine pool. The holder's publication is one hold, every running request another; the
/// model and its engines are disposed when the last hold is released, so never under a running request.
/// </summary>
public sealed class LoadedModel
{
    // Starts at 1: the hold of the ModelHolder that publishes it. 0 means retired: no new holds.
    private int _holds = 1;

    internal LoadedModel(MLContext ml, ITransformer transformer, SchemaDefinition inputDefinition, int featureLength,
        IReadOnlyList<string> classes, ModelVersion version, int poolSize)
    {
        Ml = ml;
        Transformer = transformer;
        InputDefinition = inputDefinition;
        FeatureLength = featureLength;
        Classes = classes;
        Version = version;
        Engines = new DefaultObjectPool<PredictionEngine<ModelInput, ModelOutput>>(new EnginePolicy(this), poolSize);
    }

    public MLContext Ml { get; }

    public ITransformer Transformer { get; }

    /// <summary>How <see cref="ModelInput"/> maps onto the model's input columns (names, the vector's size, label or none).</summary>
    public SchemaDefinition InputDefinition { get; }

    /// <summary>The length of the feature vector the model reads (784 for MNIST).</summary>
    public int FeatureLength { get; }

    /// <summary>The class each Score slot stands for: the training labels' values where the model names them, else the slot index.</summary>
    public IReadOnlyList<string> Classes { get; }

    public ModelVersion Version { get; }

    /// <summary>
    /// Engines for single rows. An engine dropped because the pool is full is left to the GC, not disposed:
    /// disposing a PredictionEngine disposes the model it was made from (ML.NET's rule).
    /// </summary>
    public ObjectPool<PredictionEngine<ModelInput, ModelOutput>> Engines { get; }

    /// <summary>Whether the model has been retired and disposed (tests watch this).</summary>
    public bool IsDisposed => Volatile.Read(ref _holds) == 0;

    public PredictionEngine<ModelInput, ModelOutput> CreateEngine() =>
        Ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(Transformer, ignoreMissingColumns: true, inputSchemaDefinition: InputDefinition);

    /// <summary>Takes a hold unless the model is already retired.</summary>
    internal bool TryHold()
    {
        int holds = Volatile.Read(ref _holds);
        while (holds > 0)
        {
            int seen = Interlocked.CompareExchange(ref _holds, holds + 1, holds);
            if (seen == holds)
                return true;
            holds = seen;
        }
        return false;
    }

    internal void Release()
    {
        int holds = Interlocked.Decrement(ref _holds);
        if (holds == 0)
            DisposeModel();
        else if (holds < 0)
            throw new InvalidOperationException("A model hold was released twice.");
    }

    private void DisposeModel()
    {
        // Disposing the transformer releases the recurrent model's native tensors; engines hold nothing else.
        (Transformer as IDisposable)?.Dispose();
    }

    private sealed class EnginePolicy(LoadedModel model) : IPooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
    {
        public PredictionEngine<ModelInput, ModelOutput> Create() => model.CreateEngine();

        public bool Return(PredictionEngine<ModelInput, ModelOutput> engine) => true;
    }
}
