using Microsoft.ML.Sru;

namespace Sru.MnistSample.Data;

/// <summary>The data sets the sample reads (the value of <c>--dataset</c>).</summary>
internal enum DatasetName
{
    /// <summary>Handwritten digits.</summary>
    Mnist,

    /// <summary>Zalando's Fashion-MNIST.</summary>
    Fashion,
}

/// <summary>What each data set means to the library and to a reader.</summary>
internal static class DatasetNames
{
    public static MnistVariant Variant(this DatasetName dataset) => dataset == DatasetName.Fashion ? MnistVariant.Fashion : MnistVariant.Digits;

    /// <summary>The name of class <paramref name="label"/> (0–9): the digit, or the kind of clothing.</summary>
    public static string ClassName(this DatasetName dataset, uint label) =>
        dataset == DatasetName.Fashion && label < MnistDataset.FashionClassNames.Count ? MnistDataset.FashionClassNames[(int)label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Title(this DatasetName dataset) => dataset == DatasetName.Fashion ? "Fashion-MNIST" : "MNIST";
}
