namespace Microsoft.ML.Sru;

/// <summary>How a trainer reads its training and validation rows (<see cref="RecurrentTrainerOptions.DataLoading"/>).</summary>
public enum DataLoading
{
    /// <summary>
    /// In memory while the training rows hold at most <see cref="Defaults.InMemoryMaxValues"/> feature values (1 GiB of
    /// Single), streamed beyond that.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// Every usable row copied once into memory, shuffled whole each epoch: the fastest epochs, as long as the rows fit
    /// (at most 2³¹ values).
    /// </summary>
    InMemory = 1,

    /// <summary>
    /// The rows read through a cursor every epoch, shuffled through a buffer of
    /// <see cref="RecurrentTrainerOptions.ShuffleBufferSize"/> rows on a reader thread while training runs; memory does not
    /// grow with the data. The data view must give the same rows on every read (a file loader, a binary file, a cache).
    /// </summary>
    Streaming = 2,
}
