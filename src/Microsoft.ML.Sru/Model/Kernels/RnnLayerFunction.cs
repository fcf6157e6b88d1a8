using Microsoft.ML.Sru.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// One layer of nn.LSTM / nn.GRU (zero initial state, one direction) as a TorchSharp autograd function on the C#
/// kernels: the time loop of <see cref="FusedRnnKernel{TCell}"/>, which takes each step's products on <see cref="Sgemm512"/>;
/// the backward runs the loop back in time (summing the bias gradients on the way), then dW_ih = dG^T·X,
/// dW_hh = dG_h^T·H_{t−1} and dX = dG·W_ih as whole-sequence products. The parameters are nn.LSTM's / nn.GRU's own.
/// Arguments to <c>apply</c>: x [T·B, I] contiguous float32 on the CPU, weight_ih [G·H, I], weight_hh [G·H, H],
/// bias_ih [G·H], bias_hh [G·H] (contiguous), and T. Returns h at every step, [T, B, H].
/// </summary>
/// <remarks>TorchSharp keeps one shared instance per function type, so this class must stay stateless.</remarks>
internal sealed class RnnLayerFunction<TCell> : autograd.SingleTensorFunction<RnnLayerFunction<TCell>>
    where TCell : struct, IRecurrentCell
{
    private const string StepsKey = "steps", InputGradientKey = "x.requires_grad";

    public override string Name => $"{typeof(TCell).Name}LayerFunction";

    public override unsafe Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var inputWeights = (Tensor)vars[1];
        var hiddenWeights = (Tensor)vars[2];
        var inputBias = (Tensor)vars[3];
        var hiddenBias = (Tensor)vars[4];
        long steps = (long)vars[5];
        int rows = (int)x.shape[0], hidden = (int)hiddenWeights.shape[1];
        int batch = (int)(rows / steps);

        Tensor gates = TensorPool.Empty(rows, TCell.Gates * hidden), states = TensorPool.Empty(rows, hidden), h = TensorPool.Empty(steps, batch, hidden);
        using (Tensor inputWeightsTransposed = ProductWeights(inputWeights, hidden))
        using (Tensor hiddenWeightsTransposed = ProductWeights(hiddenWeights, hidden))
        {
            new FusedRnnKernel<TCell>((int)steps, batch, hidden, (int)x.shape[1])
            {
                Input = TensorMemory.Pointer(x),
                InputWeightsTransposed = TensorMemory.Pointer(inputWeightsTransposed),
                Gates = TensorMemory.Pointer(gates),
                States = TensorMemory.Pointer(states),
                Hidden = TensorMemory.Pointer(h),
                HiddenWeightsTransposed = TensorMemory.Pointer(hiddenWeightsTransposed),
                InputBias = TensorMemory.Pointer(inputBias),
                HiddenBias = TensorMemory.Pointer(hiddenBias),
            }.Forward();
        }
        ctx.save_for_backward(new List<Tensor> { x, inputWeights, hiddenWeights, gates, states, h });
        ctx.save_data(StepsKey, steps);
        ctx.save_data(InputGradientKey, x.requires_grad);
        return h;
    }

    /// <summary>W [G·H, K] as the forward's products read it: W^T, [K, <see cref="FusedRnnKernel{TCell}.ProductWidth"/>], zero past G·H.</summary>
    private static Tensor ProductWeights(Tensor weights, int hidden)
    {
        using Tensor transposed = weights.detach().t();
        long padding = FusedRnnKernel<TCell>.ProductWidth(hidden) - transposed.shape[1];
        return padding == 0 ? transposed.contiguous() : nn.functional.pad(transposed, new long[] { 0, padding }).contiguous();
    }

    public override unsafe List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor x = saved[0], inputWeights = saved[1], hiddenWeights = saved[2], gates = saved[3], states = saved[4], h = saved[5];
        int steps = (int)(long)ctx.get_data(StepsKey);
        bool inputGradient = (bool)ctx.get_data(InputGradientKey);
        int rows = (int)x.shape[0], inputSize = (int)x.shape[1], hidden = (int)hiddenWeights.shape[1], width = (int)hiddenWeights.shape[0];
        int batch = rows / steps;

        Tensor gradOutput = grad_output.contiguous();
        Tensor inputGates = TensorPool.Empty(rows, width);
        Tensor hiddenGates = TCell.HiddenProductApart ? TensorPool.Empty(rows, width) : inputGates;
        Tensor gradInputBias = empty(width), gradHiddenBias = empty(width);
        new FusedRnnKernel<TCell>(steps, batch, hidden, inputSize)
        {
            Gates = TensorMemory.Pointer(gates),
            States = TensorMemory.Pointer(states),
            Hidden = TensorMemory.Pointer(h),
            HiddenWeights = TensorMemory.Pointer(hiddenWeights),
            OutputGradient = TensorMemory.Pointer(gradOutput),
            InputGateGradient = TensorMemory.Pointer(inputGates),
            HiddenGateGradient = TensorMemory.Pointer(hiddenGates),
            InputBiasGradient = TensorMemory.Pointer(gradInputBias),
            HiddenBiasGradient = TensorMemory.Pointer(gradHiddenBias),
        }.Backward();

        // dW^T = X^T·dG and H_{t−1}^T·dG_h (the operands' transposes read in place), then laid out as nn.LSTM/nn.GRU keep W.
        Tensor inputWeightsGradT = empty(inputSize, width);
        Sgemm512.Multiply(new StridedMatrix(TensorMemory.Pointer(x), 1, inputSize), new StridedMatrix(TensorMemory.Pointer(inputGates), width, 1),
            TensorMemory.Pointer(inputWeightsGradT), inputSize, rows, width);
        Tensor hiddenWeightsGradT = empty(hidden, width);
        // h_{−1} is zero: step 0 adds nothing to dW_hh.
        Sgemm512.Multiply(new StridedMatrix(TensorMemory.Pointer(h), 1, hidden), new StridedMatrix(TensorMemory.Pointer(hiddenGates) + (long)batch * width, width, 1),
            TensorMemory.Pointer(hiddenWeightsGradT), hidden, rows - batch, width);
        Tensor gradInputWeights = inputWeightsGradT.t().contiguous();
        Tensor gradHiddenWeights = hiddenWeightsGradT.t().contiguous();
        Tensor? gradX = null;
        if (inputGradient)
        {
            gradX = TensorPool.Empty(rows, inputSize);
            Sgemm512.Multiply(new StridedMatrix(TensorMemory.Pointer(inputGates), width, 1), new StridedMatrix(TensorMemory.Pointer(inputWeights), inputSize, 1),
                TensorMemory.Pointer(gradX), rows, width, inputSize);
            scope.MoveToOuter(gradX);
        }

        scope.MoveToOuter(gradInputWeights, gradHiddenWeights, gradInputBias, gradHiddenBias);
        // One entry per forward argument: null for x when it needs no gradient, and for T.
        return new List<Tensor> { gradX!, gradInputWeights, gradHiddenWeights, gradInputBias, gradHiddenBias, null! };
    }
}
