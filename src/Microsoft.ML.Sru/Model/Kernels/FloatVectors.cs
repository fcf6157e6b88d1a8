using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Sru.Model.Kernels;

/// <summary>
/// The handful of float SIMD operations the SRU kernel needs, as static abstract members so that the
/// kernel is written once and the JIT specialises it for each register width (generic code over
/// struct type arguments is compiled per type, so none of this costs a call or a box).
/// </summary>
internal unsafe interface IFloatVector<TSelf>
    where TSelf : unmanaged, IFloatVector<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TSelf Load(float* source);

    static abstract void Store(TSelf value, float* destination);

    static abstract TSelf Create(float value);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    /// <summary>a·b + c, fused where the hardware can.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>
    /// <paramref name="value"/> limited to [<paramref name="low"/>, <paramref name="high"/>] with the
    /// hardware's min and max, ordered so that a NaN value comes out as NaN (x86 returns the second
    /// operand when either is NaN; Arm's fmin/fmax return NaN).
    /// </summary>
    static abstract TSelf Clamp(TSelf value, TSelf low, TSelf high);

    static abstract TSelf Abs(TSelf value);

    /// <summary>1/x to within a few ulps: the hardware estimate refined by one Newton step where there is one.</summary>
    static abstract TSelf Reciprocal(TSelf value);

    /// <summary>
    /// 2^n from t = n + 1.5·2^23 (the float that rounding x + 1.5·2^23 produces, with integral n in
    /// [−126, 127]): t's low mantissa bits hold n, which shifted into the exponent field gives 2^n.
    /// </summary>
    static abstract TSelf Pow2FromShifted(TSelf t);

    /// <summary>A non-negative <paramref name="magnitude"/> with the sign of <paramref name="sign"/>.</summary>
    static abstract TSelf WithSignOf(TSelf magnitude, TSelf sign);
}

/// <summary>512-bit lanes (AVX-512).</summary>
internal readonly unsafe struct FloatVector512 : IFloatVector<FloatVector512>
{
    private readonly Vector512<float> _value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FloatVector512(Vector512<float> value) => _value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(FloatVector512 value, float* destination) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Create(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 operator +(FloatVector512 left, FloatVector512 right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 operator -(FloatVector512 left, FloatVector512 right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 operator *(FloatVector512 left, FloatVector512 right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 operator /(FloatVector512 left, FloatVector512 right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 MultiplyAdd(FloatVector512 a, FloatVector512 b, FloatVector512 c) =>
        new(Vector512.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Clamp(FloatVector512 value, FloatVector512 low, FloatVector512 high) =>
        new(Vector512.MinNative(high._value, Vector512.MaxNative(low._value, value._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Abs(FloatVector512 value) => new(Vector512.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Reciprocal(FloatVector512 value)
    {
        if (!Avx512F.IsSupported)
            return new(Vector512<float>.One / value._value);
        // 14-bit estimate, then r + r·(1 − x·r): relative error about 2^−28 before rounding.
        Vector512<float> r = Avx512F.Reciprocal14(value._value);
        Vector512<float> e = Avx512F.FusedMultiplyAddNegated(value._value, r, Vector512<float>.One);
        return new(Avx512F.FusedMultiplyAdd(r, e, r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 Pow2FromShifted(FloatVector512 t) =>
        new((Vector512.ShiftLeft(t._value.AsInt32(), 23) + Vector512.Create(0x3F800000)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector512 WithSignOf(FloatVector512 magnitude, FloatVector512 sign) =>
        new(magnitude._value | (sign._value & Vector512.Create(-0f)));
}

/// <summary>256-bit lanes (AVX2).</summary>
internal readonly unsafe struct FloatVector256 : IFloatVector<FloatVector256>
{
    private readonly Vector256<float> _value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FloatVector256(Vector256<float> value) => _value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(FloatVector256 value, float* destination) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Create(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 operator +(FloatVector256 left, FloatVector256 right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 operator -(FloatVector256 left, FloatVector256 right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 operator *(FloatVector256 left, FloatVector256 right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 operator /(FloatVector256 left, FloatVector256 right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 MultiplyAdd(FloatVector256 a, FloatVector256 b, FloatVector256 c) =>
        new(Vector256.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Clamp(FloatVector256 value, FloatVector256 low, FloatVector256 high) =>
        new(Vector256.MinNative(high._value, Vector256.MaxNative(low._value, value._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Abs(FloatVector256 value) => new(Vector256.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Reciprocal(FloatVector256 value)
    {
        if (!Avx.IsSupported || !Fma.IsSupported)
            return new(Vector256<float>.One / value._value);
        // 12-bit estimate, then r + r·(1 − x·r): relative error about 2^−23 before rounding.
        Vector256<float> r = Avx.Reciprocal(value._value);
        Vector256<float> e = Fma.MultiplyAddNegated(value._value, r, Vector256<float>.One);
        return new(Fma.MultiplyAdd(r, e, r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 Pow2FromShifted(FloatVector256 t) =>
        new((Vector256.ShiftLeft(t._value.AsInt32(), 23) + Vector256.Create(0x3F800000)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector256 WithSignOf(FloatVector256 magnitude, FloatVector256 sign) =>
        new(magnitude._value | (sign._value & Vector256.Create(-0f)));
}

/// <summary>128-bit lanes: SSE, Arm64 AdvSimd, or the runtime's portable fallback.</summary>
internal readonly unsafe struct FloatVector128 : IFloatVector<FloatVector128>
{
    private readonly Vector128<float> _value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FloatVector128(Vector128<float> value) => _value = value;

    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Load(float* source) => new(Vector128.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(FloatVector128 value, float* destination) => value._value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Create(float value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 operator +(FloatVector128 left, FloatVector128 right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 operator -(FloatVector128 left, FloatVector128 right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 operator *(FloatVector128 left, FloatVector128 right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 operator /(FloatVector128 left, FloatVector128 right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 MultiplyAdd(FloatVector128 a, FloatVector128 b, FloatVector128 c) =>
        new(Vector128.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Clamp(FloatVector128 value, FloatVector128 low, FloatVector128 high) =>
        new(Vector128.MinNative(high._value, Vector128.MaxNative(low._value, value._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Abs(FloatVector128 value) => new(Vector128.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Reciprocal(FloatVector128 value) => new(Vector128<float>.One / value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 Pow2FromShifted(FloatVector128 t) =>
        new((Vector128.ShiftLeft(t._value.AsInt32(), 23) + Vector128.Create(0x3F800000)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatVector128 WithSignOf(FloatVector128 magnitude, FloatVector128 sign) =>
        new(magnitude._value | (sign._value & Vector128.Create(-0f)));
}

/// <summary>One lane: the last elements of a row whose length is not a multiple of the vector width.</summary>
internal readonly unsafe struct FloatScalar : IFloatVector<FloatScalar>
{
    private readonly float _value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FloatScalar(float value) => _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Load(float* source) => new(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(FloatScalar value, float* destination) => *destination = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Create(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar operator +(FloatScalar left, FloatScalar right) => new(left._value + right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar operator -(FloatScalar left, FloatScalar right) => new(left._value - right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar operator *(FloatScalar left, FloatScalar right) => new(left._value * right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar operator /(FloatScalar left, FloatScalar right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar MultiplyAdd(FloatScalar a, FloatScalar b, FloatScalar c) => new(MathF.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Clamp(FloatScalar value, FloatScalar low, FloatScalar high) =>
        new(float.IsNaN(value._value) ? value._value : Math.Min(high._value, Math.Max(low._value, value._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Abs(FloatScalar value) => new(Math.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Reciprocal(FloatScalar value) => new(1f / value._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar Pow2FromShifted(FloatScalar t) =>
        new(BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t._value) << 23) + 0x3F800000));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatScalar WithSignOf(FloatScalar magnitude, FloatScalar sign) =>
        new(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(magnitude._value) | (BitConverter.SingleToInt32Bits(sign._value) & int.MinValue)));
}
