namespace Microsoft.ML.Sru.Model;

/// <summary>The recurrent module inside a sequence classifier; the only part SRU and LSTM models do not share.</summary>
internal enum RecurrentCellKind
{
    Sru = 1,
    Lstm = 2,
}
