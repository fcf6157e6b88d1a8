using Microsoft.ML.Sru.Tests.Trainers;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Sru.Tests.Onnx;

/// <summary>
/// The exported pipeline on the whole MNIST test set: a briefly trained classifier (one epoch on 5,000 rows, its default
/// network otherwise) gives Transform's PredictedLabel on all 10,000 rows and its scores within 1e-4, in ONNX Runtime and
/// through ApplyOnnxModel.
/// </summary>
[TestClass]
public sealed class OnnxMnistTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [TestCategory("RealData")]
    [Timeout(900_000, CooperativeCancellation = true)]
    [DataRow("SRU")]
    [DataRow("GRU")]
    [DataRow("LSTM")]
    public void Exported_pipeline_gives_the_Transform_scores_on_the_MNIST_test_set(string cell)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.TakeRows(ml.Data.LoadMnist(MnistSplit.Train), 5000);
        IDataView test = ml.Data.LoadMnist(MnistSplit.Test);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        RecurrentTrainerOptions options = CellTrainers.NewOptions(cell);
        options.MaxEpoch = 1;
        IEstimator<ITransformer> trainer = CellTrainers.Trainer(ml, options);
        ITransformer model = toKey.Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(train);

        float largest = OnnxParity.AssertMatchesTransform(ml, model, test);
        TestContext.WriteLine($"{cell}: 10,000 MNIST test rows, same PredictedLabel on each, largest score difference {largest:G3}");
        (model as IDisposable)?.Dispose();
    }
}
