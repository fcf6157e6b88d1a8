namespace Sru.MnistSample.Models;

/// <summary>The trainers <c>compare</c> can put side by side.</summary>
internal enum ComparedModel
{
    /// <summary>SRU with the library's defaults.</summary>
    Sru,

    /// <summary>LSTM with the library's defaults.</summary>
    Lstm,

    /// <summary>GRU with the library's defaults.</summary>
    Gru,

    /// <summary>ML.NET's LightGbm multiclass trainer on the 784 pixels.</summary>
    LightGbm,

    /// <summary>ML.NET's SdcaMaximumEntropy (linear) on the 784 pixels.</summary>
    Sdca,
}
