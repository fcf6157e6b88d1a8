using System.Globalization;

namespace Microsoft.ML.Sru.Model;

/// <summary>
/// The affine map a model applies to every input value before its network, x' = clip((x − offset_j) · factor_j), where j
/// is the value's position within its time step: the training rows' range [min, max] of a position (or of all values)
/// mapped onto [0, 1]. Fitted on the training rows (<see cref="Fit"/>), stored in the model zip, applied in place to
/// training rows and to every batch scored.
/// </summary>
internal sealed class InputScaling
{
    /// <summary>Scaled values are clipped to ± this: beyond it a value says "far out" and nothing more useful.</summary>
    public const float MaxNormalizedValue = 8f;

    /// <summary>A position's range is floored at this share of the widest position's range.</summary>
    private const double RangeFloorShare = 0.1;

    /// <summary>Values further than this many standard deviations from the mean do not widen the range.</summary>
    private const double OutlierSpreads = 6;

    private InputScaling(InputNormalization kind, float[] offsets, float[] factors)
    {
        Kind = kind;
        Offsets = offsets;
        Factors = factors;
    }

    public InputNormalization Kind { get; }

    /// <summary>One per value position within a step: the range's lower end.</summary>
    public float[] Offsets { get; }

    /// <summary>One per value position within a step: the reciprocal of the (floored) range.</summary>
    public float[] Factors { get; }

    public int StepSize => Offsets.Length;

    /// <summary>The map that leaves every value as it is; what models saved before input scaling existed use.</summary>
    public static InputScaling Identity(int stepSize) =>
        new(InputNormalization.None, new float[stepSize], Enumerable.Repeat(1f, stepSize).ToArray());

    public bool IsIdentity => Kind == InputNormalization.None;

    /// <summary>
    /// Fits the map on <paramref name="rows"/> rows of <paramref name="features"/> (row-major, each row whole steps of
    /// <paramref name="stepSize"/> values). The range leaves out values more than <see cref="OutlierSpreads"/> standard
    /// deviations from the mean, so that a few extreme rows cannot squash every other value towards zero.
    /// </summary>
    public static InputScaling Fit(InputNormalization kind, ReadOnlySpan<float> features, int rows, int stepSize)
    {
        if (kind == InputNormalization.None || rows == 0)
            return Identity(stepSize);
        int groups = kind == InputNormalization.Global ? 1 : stepSize;
        int Group(int i) => groups == 1 ? 0 : i % stepSize;

        // Mean and standard deviation per group, in double, centred on each group's first value so that a large common
        // offset costs no precision.
        var count = new long[groups];
        var sum = new double[groups];
        var squares = new double[groups];
        var pivot = new double[groups];
        for (int g = 0; g < groups; g++)
            pivot[g] = features[g];
        for (int i = 0; i < features.Length; i++)
        {
            int g = Group(i);
            double d = features[i] - pivot[g];
            count[g]++;
            sum[g] += d;
            squares[g] += d * d;
        }
        var low = new double[groups];
        var high = new double[groups];
        var lowest = new double[groups];
        var highest = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            double m = sum[g] / count[g];
            double spread = Math.Sqrt(Math.Max(0, squares[g] / count[g] - m * m));
            low[g] = pivot[g] + m - OutlierSpreads * spread;
            high[g] = pivot[g] + m + OutlierSpreads * spread;
            lowest[g] = double.PositiveInfinity;
            highest[g] = double.NegativeInfinity;
        }
        for (int i = 0; i < features.Length; i++)
        {
            int g = Group(i);
            double v = features[i];
            if (v < low[g] || v > high[g])
                continue;
            lowest[g] = Math.Min(lowest[g], v);
            highest[g] = Math.Max(highest[g], v);
        }

        double widest = Enumerable.Range(0, groups).Max(g => highest[g] - lowest[g]);
        var offsets = new float[stepSize];
        var factors = new float[stepSize];
        for (int j = 0; j < stepSize; j++)
        {
            int g = groups == 1 ? 0 : j;
            offsets[j] = (float)lowest[g];
            // Every position constant: shifting alone is all there is to do.
            double range = Math.Max(highest[g] - lowest[g], RangeFloorShare * widest);
            factors[j] = range > 0 && double.IsFinite(1 / range) ? (float)(1 / range) : 1f;
        }
        return new InputScaling(kind, offsets, factors);
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
