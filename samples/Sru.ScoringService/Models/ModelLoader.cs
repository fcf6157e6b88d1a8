using Microsoft.Extensions.Options;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Sru.ScoringService.Models;

/// <summary>
/// Loads a model zip from its bytes and checks it before it may serve: it loads, reads a known-size vector of
/// Single in the feature column (and a UInt32 label, or none), writes a Score vector, and scores two probe rows
/// to finite values. A model that fails is disposed and refused with the reason.
/// </summary>
public sealed class ModelLoader(IOptions<ScoringOptions> options)
{
    // ML.NET's annotation naming what each Score slot stands for.
    private const string SlotNames = "SlotNames";

    private readonly ScoringOptions _options = options.Value;

    /// <summary>The checked model, or null and the reason it was refused.</summary>
    public LoadedModel? Load(byte[] zip, ModelVersion version, out string? refusal)
    {
        var ml = new MLContext(seed: 1);
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            using var stream = new MemoryStream(zip, writable: false);
            transformer = ml.Model.Load(stream, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // ML.NET calls loaders through reflection: the reason is the innermost exception.
            refusal = $"it does not load: {e.GetBaseException().Message}";
            return null;
        }

        LoadedModel? model = null;
        try
        {
            refusal = Check(ml, transformer, inputSchema, version, out model);
            return model;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            refusal = $"it fails to score: {e.GetBaseException().Message}";
            return null;
        }
        finally
        {
            if (model is null)
                (transformer as IDisposable)?.Dispose();
        }
    }

    private string? Check(MLContext ml, ITransformer transformer, DataViewSchema inputSchema, ModelVersion version, out LoadedModel? model)
    {
        model = null;
        string featureColumn = _options.FeatureColumn;
        if (inputSchema.GetColumnOrNull(featureColumn) is not { } features)
            return $"it reads no column '{featureColumn}' (Scoring:FeatureColumn); its input columns are {Describe(inputSchema)}.";
        if (features.Type is not VectorDataViewType { ItemType: var item, Size: > 0 and var length } || item != NumberDataViewType.Single)
            return $"it reads '{featureColumn}' as {features.Type}; the service feeds a vector of Single of known size.";

        var definition = SchemaDefinition.Create(typeof(ModelInput));
        SchemaDefinition.Column featureDefinition = definition[nameof(ModelInput.Features)];
        featureDefinition.ColumnName = featureColumn;
        featureDefinition.ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
        if (inputSchema.GetColumnOrNull(ModelInput.LabelColumn) is { } label && featureColumn != ModelInput.LabelColumn)
        {
            if (label.Type != NumberDataViewType.UInt32)
                return $"it reads '{ModelInput.LabelColumn}' as {label.Type}; the service feeds UInt32 labels (as ml.Data.LoadMnist gives).";
        }
        else
        {
            definition.Remove(definition[nameof(ModelInput.Label)]);
        }

        DataViewSchema output = transformer.GetOutputSchema(inputSchema);
        if (output.GetColumnOrNull(ModelOutput.ScoreColumn) is not { } score
            || score.Type is not VectorDataViewType { ItemType: var scoreItem, Size: > 0 and var classCount }
            || scoreItem != NumberDataViewType.Single)
            return $"it writes no '{ModelOutput.ScoreColumn}' vector of Single (not a multiclass classifier).";

        var candidate = new LoadedModel(ml, transformer, definition, length, ClassNames(score, classCount), version, PoolSize());
        string? probe = Probe(candidate, classCount);
        if (probe is null)
            model = candidate;
        return probe;
    }

    /// <summary>Scores an all-zero row and a row of 0.5 with a fresh engine (returned to the pool when it passes).</summary>
    private static string? Probe(LoadedModel model, int classCount)
    {
        PredictionEngine<ModelInput, ModelOutput> engine = model.CreateEngine();
        foreach (float value in new[] { 0f, 0.5f })
        {
            var row = new ModelInput { Features = Enumerable.Repeat(value, model.FeatureLength).ToArray() };
            float[] scores = engine.Predict(row).Score;
            if (scores.Length != classCount)
                return $"it scored a probe row with {scores.Length} values; its schema says {classCount}.";
            if (Array.FindIndex(scores, s => !float.IsFinite(s)) is var bad and >= 0)
                return $"it scored a probe row of {value} with a non-finite Score[{bad}] = {scores[bad]}.";
        }
        model.Engines.Return(engine);
        return null;
    }

    private static string[] ClassNames(DataViewSchema.Column score, int classCount)
    {
        var names = Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (score.Annotations.Schema.GetColumnOrNull(SlotNames) is not null)
        {
            VBuffer<ReadOnlyMemory<char>> slotNames = default;
            score.Annotations.GetValue(SlotNames, ref slotNames);
            int i = 0;
            foreach (ReadOnlyMemory<char> name in slotNames.DenseValues())
            {
                if (i < classCount && !name.IsEmpty)
                    names[i] = name.ToString();
                i++;
            }
        }
        return names;
    }

    private int PoolSize() => _options.PoolSize > 0 ? _options.PoolSize : 2 * Environment.ProcessorCount;

    private static string Describe(DataViewSchema schema) => string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"));
}
