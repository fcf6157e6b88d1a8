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
    /// <paramref name="stepSize"/> values). The range leaves out values more than six standard
    /// deviations from the mean (<see cref="InputScalingFitter"/>), so that a few extreme rows cannot squash every other value towards zero.
    /// </summary>
    public static InputScaling Fit(InputNormalization kind, ReadOnlySpan<float> features, int rows, int stepSize)
    {
        if (kind == InputNormalization.None || rows == 0)
            return Identity(stepSize);
        var fitter = new InputScalingFitter(kind, stepSize);
        fitter.AddMoments(features);
        fitter.AddRange(features);
        return fitter.Finish();
    }

    /// <summary>A map of these positions' offsets and factors (<see cref="InputScalingFitter"/>'s result).</summary>
    internal static InputScaling Create(InputNormalization kind, float[] offsets, float[] factors) => new(kind, offsets, factors);

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
