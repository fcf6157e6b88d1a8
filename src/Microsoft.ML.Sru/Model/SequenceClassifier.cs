using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// A recurrent encoder and a linear head on its summary of the sequence (the last step; see <see cref="SruEncoder"/>
/// for a bidirectional SRU): flattened features [B, T·S] → class logits [B, C], or one output [B, 1]
/// for binary classification and regression (see <see cref="NetworkSpec.HeadWidth"/>). SRU, LSTM and GRU classifiers differ
/// only in the encoder.
/// </summary>
internal sealed class SequenceClassifier : nn.Module<Tensor, Tensor>
{
    private readonly NetworkSpec _spec;

#pragma warning disable IDE1006 // Field names are the state-dict keys.
    private readonly Embedding? embedding;
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly Linear head;
#pragma warning restore IDE1006

    public SequenceClassifier(NetworkSpec spec) : base(nameof(SequenceClassifier))
    {
        _spec = spec;
        // Row 0 (the missing key, keys unseen in training) stays a zero vector: padding_idx keeps its gradient at zero.
        if (spec.EmbeddingRows > 0)
            embedding = nn.Embedding(spec.EmbeddingRows, spec.StepSize, padding_idx: 0);
        encoder = spec.Cell switch
        {
            RecurrentCellKind.Sru => new SruEncoder(spec),
            RecurrentCellKind.Lstm => new LstmEncoder(spec.StepSize, spec.HiddenSize, spec.NumberOfLayers),
            RecurrentCellKind.Gru => new GruEncoder(spec.StepSize, spec.HiddenSize, spec.NumberOfLayers),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Cell, "Unknown recurrent cell."),
        };
        head = nn.Linear(spec.OutputWidth, spec.HeadWidth);
        RegisterComponents();
    }

    public NetworkSpec Spec => _spec;

    /// <summary>A copy of the token embedding's weights [EmbeddingRows, StepSize], row-major; null when the network reads values.</summary>
    public float[]? EmbeddingTable()
    {
        if (embedding?.weight is not { } weight)
            return null;
        using var scope = NewDisposeScope();
        return weight.detach().cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>The SRU layers, for swapping their recurrence; empty for other cells.</summary>
    public IEnumerable<SruLayer> SruLayers => encoder is SruEncoder sru ? sru.Layers : Enumerable.Empty<SruLayer>();

    /// <summary>Restarts every SRU layer's dropout masks from <paramref name="seed"/> (each layer its own sequence).</summary>
    public void SeedDropout(long seed)
    {
        foreach (var (layer, index) in SruLayers.Select((layer, index) => (layer, index)))
            layer.SeedDropout(seed + index);
    }

    /// <summary>The LSTM's or GRU's layers' parameters; empty for the SRU.</summary>
    public IReadOnlyList<TorchRnnEncoder.LayerWeights> RnnLayers => encoder is TorchRnnEncoder rnn ? rnn.Layers : [];

    /// <summary>Redraws every weight as <see cref="WeightInitialization.TensorFlow1"/> says (see <see cref="TensorFlowInitialization"/>).</summary>
    public void InitializeAsTensorFlow1()
    {
        TensorFlowInitialization.Head(head);
        switch (encoder)
        {
            case SruEncoder sru:
                foreach (SruLayer layer in sru.Layers)
                    layer.InitializeAsTensorFlow1();
                break;
            case TorchRnnEncoder rnn:
                rnn.InitializeAsTensorFlow1(_spec.StepSize, _spec.HiddenSize);
                break;
        }
    }

    /// <summary>
    /// Maps the head's outputs y to <paramref name="scale"/>·y + <paramref name="shift"/> by changing its weights: how a
    /// regression model trained on the standardized label comes to predict in the label's units, and back.
    /// </summary>
    public void RescaleHead(float scale, float shift)
    {
        using var noGrad = no_grad();
        head.weight!.mul_(scale);
        head.bias!.mul_(scale).add_(shift);
    }

    public override Tensor forward(Tensor features) =>
        head.forward(encoder.forward(Steps(features, features.shape[0], _spec.SequenceLength)));

    /// <summary>Batch-major rows [B, T·W] as time-major steps [T, B, S]: the values as they are, or tokens through the embedding.</summary>
    private Tensor Steps(Tensor features, long batch, long steps)
    {
        if (embedding is null)
            return features.view(batch, steps, _spec.StepSize).transpose(0, 1);
        using Tensor tokens = features.view(batch, steps).transpose(0, 1).to_type(ScalarType.Int64);
        return embedding.forward(tokens);
    }

    /// <summary>
    /// Sequences of unequal lengths: features [B, T·S] padded at the end with zeros to the longest's T steps, and each
    /// sequence's own length in steps; each row's logits are those it gets alone. Null lengths: <see cref="forward"/>.
    /// </summary>
    public Tensor Forward(Tensor features, int[]? lengths)
    {
        if (lengths is null)
            return forward(features);
        long batch = features.shape[0], steps = features.shape[1] / _spec.InputWidth;
        PaddedSteps.Check(lengths, batch, steps);
        return head.forward(((ISequenceEncoder)encoder).Encode(Steps(features, batch, steps), lengths));
    }
}
