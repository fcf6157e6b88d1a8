namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The recurrent module inside a sequence classifier; the only part SRU, LSTM and GRU models do not share. The values are
/// stored in model files: never renumber them (a reader refuses a value it does not know).
/// </summary>
internal enum RecurrentCellKind
{
    Sru = 1,
    Lstm = 2,
    Gru = 3,
}
