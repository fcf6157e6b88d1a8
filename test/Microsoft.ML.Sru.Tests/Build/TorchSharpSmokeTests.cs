using TorchSharp;

namespace Microsoft.ML.Sru.Tests.Build;

[TestClass]
public sealed class TorchSharpSmokeTests
{
    [TestMethod]
    public void A_tensor_is_created_and_an_op_runs()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = torch.mm(a, a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
