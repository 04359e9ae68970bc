using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: P(X &gt; threshold) for X ~ N(mean_j, std_j^2) over whole rows, for the group shares and the expected number of
/// forgotten examples, where <see cref="Erasure.ErasureReport.ExceedanceProbability"/> (exact to 2e-15 but a
/// continued fraction per value: about 35 ms for 141,816 examples) would dominate a request.
/// </summary>
/// <remarks>
/// erfc from <see cref="ErfcFit"/> for z &gt;= 0 and erfc(-z) = 2 - erfc(z) (relative error below 1.2e-7 everywhere). The Vector512 path
/// and the scalar fallback evaluate the same expression. A zero std is a step at the threshold, as in the exact function.
/// </remarks>
internal static class NormalTail
{
    private static readonly double s_invSqrt2 = 1 / Math.Sqrt(2);

    /// <summary>Writes P(X_j &gt; threshold) into <paramref name="destination"/>.</summary>
    public static void Exceedance(ReadOnlySpan<double> mean, ReadOnlySpan<double> std, double threshold, Span<double> destination)
    {
        if (std.Length != mean.Length || destination.Length != mean.Length)
        {
            throw new ArgumentException("Mean, std and destination must have the same length.", nameof(destination));
        }

        var j = 0;
        // One Vector512 body: native with AVX-512, and as two Vector256 halves (the runtime's fallback) with AVX2 only.
        if (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated)
        {
            ref var m0 = ref MemoryMarshal.GetReference(mean);
            ref var s0 = ref MemoryMarshal.GetReference(std);
            ref var d0 = ref MemoryMarshal.GetReference(destination);
            var t = Vector512.Create(threshold);
            var scale = Vector512.Create(s_invSqrt2);
            var one = Vector512<double>.One;
            var half = Vector512.Create(0.5);
            var two = Vector512.Create(2.0);
            var limitLow = Vector512.Create(-40.0);
            var limitHigh = Vector512.Create(40.0);
            for (; j <= mean.Length - Vector512<double>.Count; j += Vector512<double>.Count)
            {
                var m = Vector512.LoadUnsafe(ref m0, (nuint)j);
                var s = Vector512.LoadUnsafe(ref s0, (nuint)j);
                var positive = Vector512.GreaterThan(s, Vector512<double>.Zero);
                // x = (threshold - mean) / (std sqrt 2); P = erfc(x) / 2.
                // Clamped to +-40, where erfc is 0 or 2 to double precision: a threshold like -1e308 makes x infinite.
                var x = Vector512.Min(Vector512.Max((t - m) / Vector512.ConditionalSelect(positive, s, one) * scale, limitLow), limitHigh);
                var z = Vector512.Abs(x);
                var u = one / (one + (half * z));
                var erfc = u * Vector512.Exp(ErfcFit.Exponent(u) - (z * z));
                erfc = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), two - erfc, erfc);
                var step = Vector512.ConditionalSelect(Vector512.GreaterThan(m, t), one, Vector512<double>.Zero);
                (Vector512.ConditionalSelect(positive, half * erfc, step)).StoreUnsafe(ref d0, (nuint)j);
            }
        }

        for (; j < mean.Length; j++)
        {
            destination[j] = Scalar(mean[j], std[j], threshold);
        }
    }

    /// <summary>P(X &gt; threshold) for one value (the scalar fallback of <see cref="Exceedance"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Scalar(double mean, double std, double threshold)
    {
        if (!(std > 0))
        {
            return mean > threshold ? 1 : 0;
        }

        var x = Math.Clamp((threshold - mean) / std * s_invSqrt2, -40, 40);
        var z = Math.Abs(x);
        var u = 1 / (1 + (0.5 * z));
        var erfc = u * Math.Exp(ErfcFit.Exponent(u) - (z * z));
        return 0.5 * (x < 0 ? 2 - erfc : erfc);
    }
}

/// <summary>
/// Numerical Recipes' Chebyshev fit of erfc: erfc(z) = u exp(-z^2 + P(u)) with u = 1 / (1 + z / 2), z &gt;= 0, relative
/// error below 1.2e-7. <see cref="Exponent{T}(T)"/> and <see cref="Exponent{T}(Vector512{T})"/> evaluate P(u) with the same
/// operations, in single or double precision, for <see cref="NormalTail"/> and <see cref="SingleRowKernel"/>.
/// </summary>
internal static class ErfcFit
{
    private const double C0 = -1.26551223, C1 = 1.00002368, C2 = 0.37409196, C3 = 0.09678418, C4 = -0.18628806;
    private const double C5 = 0.27886807, C6 = -1.13520398, C7 = 1.48851587, C8 = -0.82215223, C9 = 0.17087277;

    /// <summary>P(u) for one value (Horner, no fused multiply-add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exponent<T>(T u)
        where T : IFloatingPointIeee754<T>
    {
        var poly = T.CreateTruncating(C9);
        poly = (poly * u) + T.CreateTruncating(C8);
        poly = (poly * u) + T.CreateTruncating(C7);
        poly = (poly * u) + T.CreateTruncating(C6);
        poly = (poly * u) + T.CreateTruncating(C5);
        poly = (poly * u) + T.CreateTruncating(C4);
        poly = (poly * u) + T.CreateTruncating(C3);
        poly = (poly * u) + T.CreateTruncating(C2);
        poly = (poly * u) + T.CreateTruncating(C1);
        return (poly * u) + T.CreateTruncating(C0);
    }

    /// <summary>P(u) lane by lane, the same operations as the scalar form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exponent<T>(Vector512<T> u)
        where T : IFloatingPointIeee754<T>
    {
        var poly = Vector512.Create(T.CreateTruncating(C9));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C8));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C7));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C6));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C5));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C4));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C3));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C2));
        poly = (poly * u) + Vector512.Create(T.CreateTruncating(C1));
        return (poly * u) + Vector512.Create(T.CreateTruncating(C0));
    }
}
