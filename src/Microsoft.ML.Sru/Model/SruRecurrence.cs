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

    public Tensor Forward(Tensor u, Tensor bias, Tensor? skip)
    {
        long steps = u.shape[0], hidden = u.shape[3];
        Tensor z = u.select(2, 0);
        // Gates of the 2017 form do not depend on c, so they are computed for all steps at once.
        Tensor f = (u.select(2, 1) + bias.narrow(0, 0, hidden)).sigmoid();
        Tensor r = (u.select(2, 2) + bias.narrow(0, hidden, hidden)).sigmoid();
        Tensor blend = (1 - f) * z;

        var states = new Tensor[steps];
        Tensor c = zeros_like(z.select(0, 0));
        for (long t = 0; t < steps; t++)
        {
            c = f.select(0, t) * c + blend.select(0, t);
            states[t] = c;
        }

        Tensor h = r * stack(states).tanh();
        if (skip is not null)
            h += (1 - r) * skip;
        return h;
    }
}
