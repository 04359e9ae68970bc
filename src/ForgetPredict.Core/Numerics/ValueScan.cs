using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>What one pass over a block of float32 values found: missing (NaN) cells, the first infinity,
/// whether every observed value is 0 or 1, and whether any is large enough for single precision to hold the data's
/// scale.</summary>
/// <param name="MissingCount">Number of NaN values.</param>
/// <param name="FirstInfinity">Index of the first +-Infinity, or -1 when there is none.</param>
/// <param name="AllBinary">True when every non-NaN value is exactly 0 or 1 (vacuously true when all are NaN).</param>
/// <param name="HasScale">True when some value's magnitude is at least <see cref="ValueScan.SmallestScale"/>
/// (undefined when an infinity was found).</param>
internal readonly record struct ValueScanResult(long MissingCount, long FirstInfinity, bool AllBinary, bool HasScale);

/// <summary>
/// Kernel: one vectorised pass over float32 values counting NaN, locating the first infinity and testing for
/// a 0/1 matrix. Vector256 and Vector128 paths with a scalar fallback; results are identical on every path.
/// </summary>
internal static class ValueScan
{
    /// <summary>2^-126, the smallest normal float32: below it single precision holds a number with fewer significant bits (a
    /// subnormal), and below about 1.4e-45 as 0. A matrix whose every value is below it has lost digits on its way in.</summary>
    public const float SmallestScale = 1.17549435e-38f;

    /// <summary>Scans <paramref name="values"/>; effectively counts <c>float.IsNaN(v)</c>, finds the first
    /// <c>float.IsInfinity(v)</c> and checks <c>v is 0 or 1</c> for the rest.</summary>
    public static ValueScanResult Scan(ReadOnlySpan<float> values)
    {
        long missing = 0;
        var nonBinary = false;
        var hasScale = false;
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(values);

        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<float>.Count)
        {
            var infinity = Vector256.Create(float.PositiveInfinity);
            var one = Vector256<float>.One;
            var scale = Vector256.Create(SmallestScale);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var observed = Vector256.Equals(v, v);
                if (Vector256.EqualsAny(Vector256.Abs(v), infinity))
                {
                    break; // the scalar loop below counts this vector's NaNs up to the infinity and returns
                }

                missing += BitOperations.PopCount((~observed).ExtractMostSignificantBits() & 0xFFu);
                var binary = Vector256.Equals(v, Vector256<float>.Zero) | Vector256.Equals(v, one) | ~observed;
                nonBinary |= !Vector256.EqualsAll(binary.AsInt32(), Vector256<int>.AllBitsSet);
                hasScale |= Vector256.GreaterThanOrEqualAny(Vector256.Abs(v), scale);
            }
        }
        else if (Vector128.IsHardwareAccelerated && values.Length >= Vector128<float>.Count)
        {
            var infinity = Vector128.Create(float.PositiveInfinity);
            var one = Vector128<float>.One;
            var scale = Vector128.Create(SmallestScale);
            for (; i <= values.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var observed = Vector128.Equals(v, v);
                if (Vector128.EqualsAny(Vector128.Abs(v), infinity))
                {
                    break;
                }

                missing += BitOperations.PopCount((~observed).ExtractMostSignificantBits() & 0xFu);
                var binary = Vector128.Equals(v, Vector128<float>.Zero) | Vector128.Equals(v, one) | ~observed;
                nonBinary |= !Vector128.EqualsAll(binary.AsInt32(), Vector128<int>.AllBitsSet);
                hasScale |= Vector128.GreaterThanOrEqualAny(Vector128.Abs(v), scale);
            }
        }

        for (; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsNaN(v))
            {
                missing++;
            }
            else if (float.IsInfinity(v))
            {
                return new ValueScanResult(missing, i, false, hasScale);
            }
            else if (v != 0f && v != 1f)
            {
                nonBinary = true;
            }

            hasScale |= Math.Abs(v) >= SmallestScale;
        }

        return new ValueScanResult(missing, -1, !nonBinary, hasScale);
    }

    /// <summary>Number of accumulator lanes of <see cref="SumOfSquares"/>: value i of a block is added to lane i mod 8.</summary>
    public const int SquareLanes = 8;

    /// <summary>
    /// Sum of v * v (in double) over the non-NaN values. Value i goes to lane i mod <see cref="SquareLanes"/> and the lanes
    /// are combined as ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)), on every vector width and in the scalar loop, so the
    /// result is the same bits on every machine.
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        Span<double> lanes = stackalloc double[SquareLanes];
        lanes.Clear();
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(values);
        if (Vector256.IsHardwareAccelerated && values.Length >= SquareLanes)
        {
            Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
            for (; i <= values.Length - SquareLanes; i += SquareLanes)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var (a, b) = Vector256.Widen(v & Vector256.Equals(v, v));
                low += a * a;
                high += b * b;
            }

            low.CopyTo(lanes);
            high.CopyTo(lanes[4..]);
        }
        else if (Vector128.IsHardwareAccelerated && values.Length >= SquareLanes)
        {
            Vector128<double> l0 = Vector128<double>.Zero, l1 = Vector128<double>.Zero, l2 = Vector128<double>.Zero, l3 = Vector128<double>.Zero;
            for (; i <= values.Length - SquareLanes; i += SquareLanes)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                var w = Vector128.LoadUnsafe(ref start, (nuint)(i + 4));
                var (a, b) = Vector128.Widen(v & Vector128.Equals(v, v));
                var (c, d) = Vector128.Widen(w & Vector128.Equals(w, w));
                l0 += a * a;
                l1 += b * b;
                l2 += c * c;
                l3 += d * d;
            }

            l0.CopyTo(lanes);
            l1.CopyTo(lanes[2..]);
            l2.CopyTo(lanes[4..]);
            l3.CopyTo(lanes[6..]);
        }

        for (; i < values.Length; i++)
        {
            var v = values[i];
            if (!float.IsNaN(v))
            {
                lanes[i % SquareLanes] += (double)v * v;
            }
        }

        return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    }

    /// <summary>The index of the first value with <c>Math.Abs(v) &gt; limit</c> (compared in double precision; NaN never), or -1.</summary>
    /// <remarks>Vectors skip every block whose magnitudes stay below half the limit in single precision (far below any rounding
    /// of the limit to float); the blocks that do not are checked value by value with the exact comparison.</remarks>
    public static long FirstBeyond(ReadOnlySpan<float> values, double limit)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<float>.Count && limit < float.MaxValue)
        {
            ref var start = ref MemoryMarshal.GetReference(values);
            var half = Vector256.Create((float)(limit * 0.5));
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                if (Vector256.GreaterThanAny(Vector256.Abs(Vector256.LoadUnsafe(ref start, (nuint)i)), half))
                {
                    for (var j = i; j < i + Vector256<float>.Count; j++)
                    {
                        if (Math.Abs(values[j]) > limit)
                        {
                            return j;
                        }
                    }
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (Math.Abs(values[i]) > limit)
            {
                return i;
            }
        }

        return -1;
    }
}
