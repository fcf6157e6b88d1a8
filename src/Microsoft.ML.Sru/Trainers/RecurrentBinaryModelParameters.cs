using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// A recurrent binary classifier: a score (the head's logit) and its probability (the sigmoid). ML.NET's binary scorer
/// binds it through <see cref="BinaryRowMapper"/> (<see cref="ISchemaBindableMapper"/>), which reads every input kind;
/// <see cref="IValueMapperDist"/> serves callers that map values directly. ML.NET's binary scorer exports it to ONNX as the
/// bound mapper it is (<see cref="IBindableCanSaveOnnx"/>).
/// </summary>
internal sealed class RecurrentBinaryModelParameters : RecurrentModelParameters, IPredictorProducing<float>, IValueMapperDist, ISchemaBindableMapper, IBindableCanSaveOnnx
{
    internal RecurrentBinaryModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling, SequenceInput input)
        : base(env, network, scaling, input)
    {
    }

    ISchemaBoundMapper ISchemaBindableMapper.Bind(IHostEnvironment env, RoleMappedSchema schema) => new BinaryRowMapper(schema, this, this);

    /// <summary>
    /// Writes Score and Probability from the feature column's variable (none while the column is not in the graph, as
    /// ML.NET's own bindable predictors); <paramref name="outputNames"/> are the scorer's PredictedLabel, Score and
    /// Probability, and the scorer writes PredictedLabel from Score itself.
    /// </summary>
    bool IBindableCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, RoleMappedSchema schema, string[] outputNames)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckParam(schema.Feature.HasValue, nameof(schema), "A binary model needs its feature column.");
        string features = schema.Feature!.Value.Name;
        return ctx.ContainsColumn(features) && ((ISingleCanSaveOnnx)this).SaveAsOnnx(ctx, outputNames, ctx.GetVariableName(features));
    }

    DataViewType IValueMapperDist.DistType => NumberDataViewType.Single;

    ValueMapper<TIn, TOut, TDist> IValueMapperDist.GetMapper<TIn, TOut, TDist>()
    {
        Host.Check(typeof(TIn) == typeof(VBuffer<float>) && typeof(TOut) == typeof(float) && typeof(TDist) == typeof(float),
            "Only a float vector in, a float score and a float probability out are supported.");
        ValueMapper<VBuffer<float>, float> score = ((IValueMapper)this).GetMapper<VBuffer<float>, float>();
        ValueMapper<VBuffer<float>, float, float> map = (in VBuffer<float> src, ref float dst, ref float probability) =>
        {
            score(in src, ref dst);
            probability = BinaryClassificationTask.Probability(dst);
        };
        return (ValueMapper<TIn, TOut, TDist>)(Delegate)map;
    }
}
