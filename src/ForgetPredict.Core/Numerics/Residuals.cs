using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: the masked residual that every solver sweep starts from. Float32 cells are widened to double,
/// shifted, and missing (NaN) cells become exact zeros so that they drop out of every dot product.
/// </summary>
/// <remarks>Vector256 and Vector128 paths with a scalar fallback. Each lane does the same IEEE operations as the
/// scalar code (widen, multiply by the scale, subtract offset, subtract shift), so every path gives bit-identical
/// results; a scale of 1 changes no bit.</remarks>
internal static class Residuals
{
    /// <summary>
    /// Effectively computes <c>destination[j] = float.IsNaN(z[j]) ? 0 : (z[j] - offset[j]) - shift</c> and returns
    /// the number of NaN cells. An empty <paramref name="offset"/> means all zeros.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths disagree.</exception>
    public static int Masked(ReadOnlySpan<float> z, ReadOnlySpan<double> offset, double shift, Span<double> destination) =>
        Masked(z, 1, offset, shift, destination);

    /// <summary>
    /// Effectively computes <c>destination[j] = float.IsNaN(z[j]) ? 0 : (z[j] * scale - offset[j]) - shift</c> (the
    /// factor fits read the data in units of its typical magnitude) and returns the number of NaN cells.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths disagree.</exception>
    public static int Masked(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> offset, double shift, Span<double> destination)
    {
        if (destination.Length != z.Length || (offset.Length != 0 && offset.Length != z.Length))
        {
            throw new ArgumentException("Residual spans must have equal lengths.", nameof(destination));
        }

        var hasOffset = offset.Length != 0;
        var missing = 0;
        var j = 0;
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var offRef = ref MemoryMarshal.GetReference(offset);
        ref var dRef = ref MemoryMarshal.GetReference(destination);

        if (Vector256.IsHardwareAccelerated && z.Length >= Vector256<float>.Count)
        {
            var s = Vector256.Create(shift);
            var f = Vector256.Create(scale);
            for (; j <= z.Length - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref zRef, (nuint)j);
                var (lo, hi) = Vector256.Widen(v);
                lo *= f;
                hi *= f;
                if (hasOffset)
                {
                    lo -= Vector256.LoadUnsafe(ref offRef, (nuint)j);
                    hi -= Vector256.LoadUnsafe(ref offRef, (nuint)(j + Vector256<double>.Count));
                }

                lo -= s;
                hi -= s;
                // NaN propagates through the subtractions; Equals(x, x) is false exactly on NaN lanes.
                (lo & Vector256.Equals(lo, lo)).StoreUnsafe(ref dRef, (nuint)j);
                (hi & Vector256.Equals(hi, hi)).StoreUnsafe(ref dRef, (nuint)(j + Vector256<double>.Count));
                missing += BitOperations.PopCount((~Vector256.Equals(v, v)).ExtractMostSignificantBits() & 0xFFu);
            }
        }
        else if (Vector128.IsHardwareAccelerated && z.Length >= Vector128<float>.Count)
        {
            var s = Vector128.Create(shift);
            var f = Vector128.Create(scale);
            for (; j <= z.Length - Vector128<float>.Count; j += Vector128<float>.Count)
            {
                var v = Vector128.LoadUnsafe(ref zRef, (nuint)j);
                var (lo, hi) = Vector128.Widen(v);
                lo *= f;
                hi *= f;
                if (hasOffset)
                {
                    lo -= Vector128.LoadUnsafe(ref offRef, (nuint)j);
                    hi -= Vector128.LoadUnsafe(ref offRef, (nuint)(j + Vector128<double>.Count));
                }

                lo -= s;
                hi -= s;
                (lo & Vector128.Equals(lo, lo)).StoreUnsafe(ref dRef, (nuint)j);
                (hi & Vector128.Equals(hi, hi)).StoreUnsafe(ref dRef, (nuint)(j + Vector128<double>.Count));
                missing += BitOperations.PopCount((~Vector128.Equals(v, v)).ExtractMostSignificantBits() & 0xFu);
            }
        }

        for (; j < z.Length; j++)
        {
            var v = z[j];
            if (float.IsNaN(v))
            {
                destination[j] = 0d;
                missing++;
            }
            else
            {
                destination[j] = (((double)v * scale) - (hasOffset ? offset[j] : 0d)) - shift;
            }
        }

        return missing;
    }

    /// <summary>Effectively computes <c>destination[j] = (double)source[j]</c> (NaN stays NaN).</summary>
    /// <exception cref="ArgumentException">The spans' lengths disagree.</exception>
    public static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        if (destination.Length != source.Length)
        {
            throw new ArgumentException("Widen spans must have equal lengths.", nameof(destination));
        }

        var j = 0;
        ref var sRef = ref MemoryMarshal.GetReference(source);
        ref var dRef = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= source.Length - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref sRef, (nuint)j));
                lo.StoreUnsafe(ref dRef, (nuint)j);
                hi.StoreUnsafe(ref dRef, (nuint)(j + Vector256<double>.Count));
            }
        }

        for (; j < source.Length; j++)
        {
            destination[j] = source[j];
        }
    }
}
