namespace Microsoft.ML.Sru;

/// <summary>How a recurrent trainer draws a new network's initial weights (under the MLContext's seed).</summary>
public enum WeightInitialization
{
    /// <summary>
    /// The library's: TorchSharp's for LSTM and GRU, and for the SRU U(±√(3/fan-in)) weights with a forget-gate bias of
    /// +2 (the 2017 form) or the official SRU 2.x recipe (with cell-state weights).
    /// </summary>
    Default = 0,

    /// <summary>
    /// What TensorFlow 1.x gave the blog post the sample reproduces
    /// (<see href="https://hongbomin.com/2017/10/13/tensorflow-lstm-sru-mnist/"/>): Glorot-uniform matrices and gate
    /// biases (<c>tf.get_variable</c> without an initializer), a standard-normal output layer (<c>tf.random_normal</c>),
    /// LSTM biases 0 with the forget gate's +1 (<c>forget_bias=1.0</c>), GRU gate biases 1 and candidate biases 0.
    /// </summary>
    TensorFlow1 = 1,
}
