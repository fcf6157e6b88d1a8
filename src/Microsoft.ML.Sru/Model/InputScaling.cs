using System.Globalization;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The affine map a model applies to every input value before its network, x' = clip((x − offset_j) · factor_j), where j
/// is the value's position within its time step. Fitted on the training rows (<see cref="Fit"/>), stored in the model
/// zip, applied in place to training rows and to every batch scored.
/// </summary>
internal sealed class InputScaling
{
    /// <summary>Normalized values are clipped to ± this: beyond it a value says "far out" and nothing more useful.</summary>
    public const float MaxNormalizedValue = 8f;

    /// <summary>A position's spread is floored at this share of the widest position's spread.</summary>
    private const double SpreadFloorShare = 0.1;

    private InputScaling(InputNormalization kind, float[] offsets, float[] factors)
    {
        Kind = kind;
        Offsets = offsets;
        Factors = factors;
    }

    public InputNormalization Kind { get; }

    /// <summary>One per value position within a step.</summary>
    public float[] Offsets { get; }

    /// <summary>One per value position within a step: the reciprocal of the (floored) standard deviation.</summary>
    public float[] Factors { get; }

    public int StepSize => Offsets.Length;

    /// <summary>The map that leaves every value as it is; what models saved before input scaling existed use.</summary>
    public static InputScaling Identity(int stepSize) =>
        new(InputNormalization.None, new float[stepSize], Enumerable.Repeat(1f, stepSize).ToArray());

    public bool IsIdentity => Kind == InputNormalization.None;

    /// <summary>
    /// Fits the map on <paramref name="rows"/> rows of <paramref name="features"/> (row-major, each row whole steps of
    /// <paramref name="stepSize"/> values), accumulating in double so that large sets and large values lose nothing.
    /// </summary>
    public static InputScaling Fit(InputNormalization kind, ReadOnlySpan<float> features, int rows, int stepSize)
    {
        if (kind == InputNormalization.None || rows == 0)
            return Identity(stepSize);
        // Two passes: the second leaves out values more than OutlierSpreads spreads from the first pass's mean, so that a
        // few extreme rows cannot squash every other value towards zero.
        Moments first = Moments.Of(kind, features, stepSize, null);
        Moments second = Moments.Of(kind, features, stepSize, first);

        double widest = second.Spread.Max();
        var offsets = new float[stepSize];
        var factors = new float[stepSize];
        for (int j = 0; j < stepSize; j++)
        {
            offsets[j] = (float)second.Mean[j];
            // Every position constant: centring alone is all there is to do.
            double floored = Math.Max(second.Spread[j], SpreadFloorShare * widest);
            factors[j] = floored > 0 && double.IsFinite(1 / floored) ? (float)(1 / floored) : 1f;
        }
        return new InputScaling(kind, offsets, factors);
    }

    /// <summary>Values further than this many standard deviations from the first pass's mean do not count in the second.</summary>
    private const double OutlierSpreads = 6;

    /// <summary>Mean and standard deviation per position (all equal for <see cref="InputNormalization.Global"/>), in double.</summary>
    private sealed record Moments(double[] Mean, double[] Spread)
    {
        public static Moments Of(InputNormalization kind, ReadOnlySpan<float> features, int stepSize, Moments? bounds)
        {
            int groups = kind == InputNormalization.Global ? 1 : stepSize;
            var count = new long[groups];
            var sum = new double[groups];
            var squares = new double[groups];
            // Centred on a pivot, the group's first value counted: the sums of squares then lose no precision to a
            // large common offset.
            var pivot = new double[groups];
            Array.Fill(pivot, double.NaN);
            for (int i = 0; i < features.Length; i++)
            {
                int g = groups == 1 ? 0 : i % stepSize;
                if (bounds is not null && Math.Abs(features[i] - bounds.Mean[g]) > OutlierSpreads * bounds.Spread[g])
                    continue;
                if (double.IsNaN(pivot[g]))
                    pivot[g] = features[i];
                double d = features[i] - pivot[g];
                count[g]++;
                sum[g] += d;
                squares[g] += d * d;
            }

            var mean = new double[stepSize];
            var spread = new double[stepSize];
            for (int j = 0; j < stepSize; j++)
            {
                int g = groups == 1 ? 0 : j;
                double m = count[g] == 0 ? 0 : sum[g] / count[g];
                mean[j] = count[g] == 0 ? 0 : pivot[g] + m;
                spread[j] = count[g] == 0 ? 0 : Math.Sqrt(Math.Max(0, squares[g] / count[g] - m * m));
            }
            return new Moments(mean, spread);
        }
    }

    /// <summary>Applies the map in place to whole rows of steps.</summary>
    public void Apply(Span<float> features)
    {
        if (IsIdentity)
            return;
        int stepSize = StepSize;
        for (int start = 0; start < features.Length; start += stepSize)
        {
            Span<float> step = features.Slice(start, stepSize);
            for (int j = 0; j < step.Length; j++)
                step[j] = Math.Clamp((step[j] - Offsets[j]) * Factors[j], -MaxNormalizedValue, MaxNormalizedValue);
        }
    }

    /// <summary>Writes the map in the model zip's binary form.</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write((int)Kind);
        writer.Write(StepSize);
        foreach (float offset in Offsets)
            writer.Write(offset);
        foreach (float factor in Factors)
            writer.Write(factor);
    }

    /// <summary>Reads a map for <paramref name="stepSize"/> values a step; throws <see cref="FormatException"/> for values no saved model can have.</summary>
    public static InputScaling Read(BinaryReader reader, int stepSize)
    {
        var kind = (InputNormalization)reader.ReadInt32();
        if (!Enum.IsDefined(kind))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model stores an unknown input normalization {(int)kind}."));
        int size = reader.ReadInt32();
        if (size != stepSize)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model's input scaling has {size} positions, but its network reads {stepSize} values a step."));
        var offsets = new float[size];
        var factors = new float[size];
        for (int j = 0; j < size; j++)
            offsets[j] = reader.ReadSingle();
        for (int j = 0; j < size; j++)
            factors[j] = reader.ReadSingle();
        for (int j = 0; j < size; j++)
        {
            if (!float.IsFinite(offsets[j]) || !(factors[j] > 0) || !float.IsFinite(factors[j]))
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"The model's input scaling at position {j} is invalid (offset {offsets[j]}, factor {factors[j]})."));
        }
        return new InputScaling(kind, offsets, factors);
    }

    /// <summary>The binary form, for the model's checksum.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            Write(writer);
        return buffer.ToArray();
    }
}
