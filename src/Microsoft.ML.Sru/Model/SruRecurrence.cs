using static TorchSharp.torch;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The SRU recurrence in plain TorchSharp ops, differentiated by autograd. It is the reference the
/// fused kernel is tested against and the path for devices other than the CPU.
/// </summary>
internal sealed class SruRecurrence : ISruRecurrence
{
    public static readonly SruRecurrence Reference = new();

    private SruRecurrence()
    {
    }

    public Tensor Project(Tensor input, Tensor weight) => input.matmul(weight);

    public Tensor Forward(Tensor u, Tensor bias, Tensor? cellWeights, Tensor? skip, SruActivation activation, int[]? lengths = null)
    {
        long steps = u.shape[0], directions = u.shape[2], hidden = u.shape[4];
        // [T, B, 1]: whether step t is one of sequence b's own; pads keep c and get h = 0.
        Tensor? valid = lengths is null ? null
            : arange(steps, device: u.device).unsqueeze(1).lt(tensor(lengths, device: u.device).unsqueeze(0)).unsqueeze(2);
        Tensor b = bias.view(2, directions, hidden);
        Tensor? v = cellWeights?.view(2, directions, hidden);
        var outputs = new Tensor[directions];
        for (long d = 0; d < directions; d++)
        {
            Tensor ud = u.select(2, d);
            Tensor z = ud.select(2, 0);
            Tensor forgetInput = ud.select(2, 1) + b[0, d];
            Tensor resetInput = ud.select(2, 2) + b[1, d];
            var states = new Tensor[steps];
            Tensor c = zeros_like(z.select(0, 0));
            Tensor r;
            if (v is null)
            {
                // Gates of the 2017 form do not depend on c, so they are computed for all steps at once.
                Tensor f = forgetInput.sigmoid();
                Tensor blend = (1 - f) * z;
                for (long p = 0; p < steps; p++)
                {
                    long t = d == 0 ? p : steps - 1 - p;
                    Tensor next = f.select(0, t) * c + blend.select(0, t);
                    c = valid is null ? next : where(valid[t], next, c);
                    states[t] = c;
                }
                r = resetInput.sigmoid();
            }
            else
            {
                var resets = new Tensor[steps];
                for (long p = 0; p < steps; p++)
                {
                    long t = d == 0 ? p : steps - 1 - p;
                    Tensor f = (forgetInput.select(0, t) + v[0, d] * c).sigmoid();
                    resets[t] = (resetInput.select(0, t) + v[1, d] * c).sigmoid();
                    Tensor next = f * c + (1 - f) * z.select(0, t);
                    c = valid is null ? next : where(valid[t], next, c);
                    states[t] = c;
                }
                r = stack(resets);
            }

            Tensor cells = stack(states);
            Tensor h = r * (activation == SruActivation.Tanh ? cells.tanh() : cells);
            if (skip is not null)
                h += (1 - r) * skip.select(2, d);
            outputs[d] = valid is null ? h : h * valid;
        }
        return directions == 1 ? outputs[0].unsqueeze(2) : stack(outputs, 2);
    }
}
