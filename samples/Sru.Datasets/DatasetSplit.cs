namespace Sru.Datasets;

/// <summary>Which part of a dataset: the rows to train on or the held-out rows to evaluate on.</summary>
public enum DatasetSplit
{
    Train,
    Test,
}
