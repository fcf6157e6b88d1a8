using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sru.Model;
using Microsoft.ML.Sru.Scoring;
using Microsoft.ML.Sru.Trainers;

namespace Microsoft.ML.Sru;

/// <summary>
/// A recurrent binary classifier: a score (the head's logit) and its probability (the sigmoid). ML.NET's binary scorer
/// binds it through <see cref="BinaryRowMapper"/> (<see cref="ISchemaBindableMapper"/>), which reads every input kind;
/// <see cref="IValueMapperDist"/> serves callers that map values directly.
/// </summary>
internal sealed class RecurrentBinaryModelParameters : RecurrentModelParameters, IPredictorProducing<float>, IValueMapperDist, ISchemaBindableMapper
{
    internal RecurrentBinaryModelParameters(IHostEnvironment env, SequenceClassifier network, InputScaling scaling, SequenceInput input)
        : base(env, network, scaling, input)
    {
    }

    ISchemaBoundMapper ISchemaBindableMapper.Bind(IHostEnvironment env, RoleMappedSchema schema) => new BinaryRowMapper(schema, this, this);

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
