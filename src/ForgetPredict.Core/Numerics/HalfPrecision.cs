using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: conversions between half precision (the residual directions' storage) and float/double, vectorised with
/// integer arithmetic on the IEEE encodings. Both are exact: every result equals the scalar cast (<c>(float)h</c>,
/// <c>(Half)d</c>, round to nearest even) bit for bit, which the tests check over every half and every rounding tie; a NaN
/// converts to a NaN (its payload may differ from the cast's).
/// </summary>
/// <remarks>The scalar casts run in software (several nanoseconds a value); these run 16 values per vector step.</remarks>
internal static class HalfPrecision
{
    /// <summary>destination[i] = (float)source[i].</summary>
    public static void ToSingle(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        var bits = MemoryMarshal.Cast<Half, ushort>(source);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var input = ref MemoryMarshal.GetReference(bits);
            ref var output = ref MemoryMarshal.GetReference(destination);
            for (; i <= bits.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref input, (nuint)i));
                SingleBits(low).StoreUnsafe(ref output, (nuint)i);
                SingleBits(high).StoreUnsafe(ref output, (nuint)(i + Vector256<uint>.Count));
            }
        }

        for (; i < bits.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    /// <summary>destination[i] = (Half)source[i] (round to nearest even; beyond 65520 in magnitude, infinity).</summary>
    public static void FromDouble(ReadOnlySpan<double> source, Span<Half> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination is shorter than the source.", nameof(destination));
        }

        var bits = MemoryMarshal.Cast<double, long>(source);
        var output = MemoryMarshal.Cast<Half, short>(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var input = ref MemoryMarshal.GetReference(bits);
            ref var target = ref MemoryMarshal.GetReference(output);
            const int Step = 4 * 4; // four vectors of four doubles make one vector of sixteen halves
            for (; i <= bits.Length - Step; i += Step)
            {
                var a = Vector256.Narrow(HalfBits(Vector256.LoadUnsafe(ref input, (nuint)i)), HalfBits(Vector256.LoadUnsafe(ref input, (nuint)(i + 4))));
                var b = Vector256.Narrow(HalfBits(Vector256.LoadUnsafe(ref input, (nuint)(i + 8))), HalfBits(Vector256.LoadUnsafe(ref input, (nuint)(i + 12))));
                Vector256.Narrow(a, b).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < bits.Length; i++)
        {
            destination[i] = (Half)source[i];
        }
    }

    // Eight halves (zero-extended encodings) to float encodings. A finite half's exponent and mantissa shifted into a
    // float's places read as the value times 2^-112 (subnormal halves land on float subnormals of the same digits), so one
    // exact multiplication by 2^112 finishes it; infinities and NaNs keep their mantissa under an all-ones exponent.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a loop-free helper would start unoptimised (tier 0) in the hot loop
    private static Vector256<float> SingleBits(Vector256<uint> h)
    {
        var sign = (h & Vector256.Create(0x8000u)) << 16;
        var magnitude = h & Vector256.Create(0x7FFFu);
        var shifted = magnitude << 13;
        var finite = (shifted.AsSingle() * Vector256.Create((127u + 112) << 23).AsSingle()).AsUInt32(); // times 2^112
        var special = shifted | Vector256.Create(0x7F800000u);
        var result = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(magnitude.AsInt32(), Vector256.Create(0x7C00)).AsUInt32(), special, finite);
        return (result | sign).AsSingle();
    }

    // Four doubles to half encodings in the low 16 bits of each lane (F. Giesen's round-to-nearest-even construction,
    // widened to double): magnitudes below 2^-14 are rounded to multiples of 2^-24 by adding 2^28 (the hardware rounds);
    // larger ones drop 42 mantissa bits with a bias of 2^41 - 1 plus the kept mantissa's last bit (ties to even), the
    // exponent rebased from 1023 to 15, a carry rounding up into the next binade or to infinity.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> HalfBits(Vector256<long> bits)
    {
        var sign = bits & Vector256.Create(long.MinValue);
        var magnitude = bits ^ sign;
        var magic = Vector256.Create(1051L << 52); // 2^28
        var subnormal = (magnitude.AsDouble() + magic.AsDouble()).AsInt64() - magic;
        var odd = Vector256.ShiftRightLogical(magnitude, 42) & Vector256<long>.One;
        var normal = Vector256.ShiftRightLogical(magnitude + Vector256.Create((-1008L << 52) + ((1L << 41) - 1)) + odd, 42);
        var special = Vector256.ConditionalSelect(Vector256.GreaterThan(magnitude, Vector256.Create(2047L << 52)), Vector256.Create(0x7E00L), Vector256.Create(0x7C00L));
        var result = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(1009L << 52)), subnormal, normal);
        result = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(1039L << 52)), special, result);
        return result | Vector256.ShiftRightLogical(sign, 48);
    }
}
