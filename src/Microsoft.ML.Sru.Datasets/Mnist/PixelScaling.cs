using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Sru;

/// <summary>Turns pixel bytes into features: <c>b / 255f</c>, vectorised, with the same result as the scalar division.</summary>
internal static class PixelScaling
{
    /// <summary>Writes <c>pixels[i] / 255f</c> to <c>features[i]</c>; <paramref name="features"/> must be at least as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToUnitInterval(ReadOnlySpan<byte> pixels, Span<float> features)
    {
        if (features.Length < pixels.Length)
            throw new ArgumentException("The destination is shorter than the pixels.", nameof(features));
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte source = ref MemoryMarshal.GetReference(pixels);
            ref float target = ref MemoryMarshal.GetReference(features);
            var divisor = Vector128.Create(255f);
            for (; i <= pixels.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)i));
                var (a, b) = Vector128.Widen(low);
                var (c, d) = Vector128.Widen(high);
                // IEEE division is exact per lane, so each lane equals the scalar b / 255f.
                (Vector128.ConvertToSingle(a) / divisor).StoreUnsafe(ref target, (nuint)i);
                (Vector128.ConvertToSingle(b) / divisor).StoreUnsafe(ref target, (nuint)(i + 4));
                (Vector128.ConvertToSingle(c) / divisor).StoreUnsafe(ref target, (nuint)(i + 8));
                (Vector128.ConvertToSingle(d) / divisor).StoreUnsafe(ref target, (nuint)(i + 12));
            }
        }
        for (; i < pixels.Length; i++)
            features[i] = pixels[i] / 255f;
    }
}
