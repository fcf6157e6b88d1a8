namespace Sru.MnistSample.Models;

/// <summary>What <c>series</c> predicts from a sequence (the value of <c>series --task</c>).</summary>
internal enum SeriesTask
{
    /// <summary>A yes/no label (<c>BinaryClassification.Trainers</c>): the label column holds true/false or 1/0.</summary>
    Binary,

    /// <summary>A number (<c>Regression.Trainers</c>).</summary>
    Regression,
}
