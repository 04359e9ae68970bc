using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// A factor model's example side in single precision, laid out for <see cref="SingleRowKernel"/>: r feature rows, the
/// example biases and each example's noise variance, with the examples in a chosen order (groups contiguous).
/// </summary>
internal sealed class SingleLayout
{
    /// <summary>Builds the layout of examples <paramref name="order"/> (a permutation of 0 .. n-1).</summary>
    public SingleLayout(ReadOnlySpan<double> factors, int rank, ReadOnlySpan<double> bias, Func<int, double> noise, int[] order)
    {
        var n = order.Length;
        Order = order;
        Rank = rank;
        Factors = new float[rank * n];
        Bias = bias.IsEmpty ? [] : new float[n];
        Noise = new float[n];
        FactorMaxAbs = new double[rank];
        for (var t = 0; t < n; t++)
        {
            var j = order[t];
            for (var k = 0; k < rank; k++)
            {
                var f = factors[(k * n) + j];
                Factors[(k * n) + t] = (float)f;
                FactorMaxAbs[k] = Math.Max(FactorMaxAbs[k], Math.Abs(f));
            }

            if (!bias.IsEmpty)
            {
                Bias[t] = (float)bias[j];
                BiasMaxAbs = Math.Max(BiasMaxAbs, Math.Abs(bias[j]));
            }

            Noise[t] = (float)noise(j);
            NoiseMax = Math.Max(NoiseMax, Noise[t]);
            NoiseMin = t == 0 ? Noise[t] : Math.Min(NoiseMin, Noise[t]);
        }
    }

    /// <summary>Position t holds example Order[t].</summary>
    public int[] Order { get; }

    /// <summary>Latent dimension r.</summary>
    public int Rank { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Order.Length;

    /// <summary>Feature rows, r x n row-major, in layout order.</summary>
    public float[] Factors { get; }

    /// <summary>Example biases in layout order, or empty.</summary>
    public float[] Bias { get; }

    /// <summary>Noise variance of each example in layout order.</summary>
    public float[] Noise { get; }

    /// <summary>Largest |V[k, j]| of each feature row (for the rounding bound of the mean).</summary>
    public double[] FactorMaxAbs { get; }

    /// <summary>Largest |b_j|.</summary>
    public double BiasMaxAbs { get; }

    /// <summary>Largest noise variance.</summary>
    public double NoiseMax { get; }

    /// <summary>Smallest noise variance (a floor under every example's predictive variance).</summary>
    public double NoiseMin { get; }
}

/// <summary>
/// Kernel: one single-precision pass over a <see cref="SingleLayout"/> that gives each example's predicted mean
/// (mu + b_j + w . V_j), its predictive std (sqrt(x_j^T C x_j + noise_j)) and the probability that the cell exceeds a
/// threshold, and sums the probabilities over contiguous ranges (groups). Memory traffic is half that of the double
/// row kernels and nothing but the means is written, which is what makes a served query cheap.
/// </summary>
/// <remarks>
/// <para>The Vector512 body (native with AVX-512, two Vector256 halves with AVX2 only) and the scalar loop for the tail of
/// each range evaluate the same single-precision expression operation by operation, without fused multiply-adds, so
/// every lane's mean and probability are bit-identical to the scalar code (tested against a plain reference). The
/// probability uses Numerical Recipes' erfc fit (<see cref="ErfcFit"/>, relative error 1.2e-7) and an exp of our own (Cephes' expf
/// polynomial, with the argument clamped to [-87, 0.5], where the erfc fit's exponent lives).</para>
/// <para>Means carry single-precision rounding; callers that rank examples re-evaluate the candidates in double
/// (<see cref="MeanErrorBound"/> bounds the difference).</para>
/// </remarks>
internal static class SingleRowKernel
{
    private const float E0 = 5.0000001201E-1f, E1 = 1.6666665459E-1f, E2 = 4.1665795894E-2f, E3 = 8.3334519073E-3f, E4 = 1.3981999507E-3f, E5 = 1.9875691500E-4f;
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, ExpMin = -87f, ExpMax = 0.5f;
    private const float InvSqrt2 = 0.707106781186547524f;

    /// <summary>
    /// Bound on |mean in single precision - mean in double| for every example: each of the r + 2 terms rounded to single
    /// precision and multiplied (three roundings at most) and r + 1 single-precision additions, with a factor 2 of margin.
    /// </summary>
    public static double MeanErrorBound(SingleLayout layout, double offset, ReadOnlySpan<double> weights)
    {
        var magnitude = Math.Abs(offset) + layout.BiasMaxAbs;
        for (var k = 0; k < layout.Rank; k++)
        {
            magnitude += Math.Abs(weights[k]) * layout.FactorMaxAbs[k];
        }

        return 2 * (layout.Rank + 5) * Math.ScaleB(1, -24) * magnitude;
    }

    /// <summary>
    /// Writes each example's single-precision mean into <paramref name="mean"/> (layout order) and, when
    /// <paramref name="probability"/> is not empty, its P(cell &gt; threshold); adds range g's probabilities (examples
    /// ranges[g] .. ranges[g + 1]) into <paramref name="sums"/>[g]. <paramref name="coefficients"/> is the quadratic form
    /// packed row by row (c[a, a], then 2 c[a, b] for b &gt; a) over p = r + (hasConstant ? 1 : 0) features.
    /// </summary>
    public static void Scan(SingleLayout layout, float offset, ReadOnlySpan<float> weights, bool hasConstant, ReadOnlySpan<float> coefficients,
        float threshold, ReadOnlySpan<int> ranges, Span<double> sums, Span<float> mean, Span<float> probability)
    {
        var n = layout.Count;
        var p = layout.Rank + (hasConstant ? 1 : 0);
        if (weights.Length != layout.Rank || coefficients.Length != p * (p + 1) / 2 || mean.Length != n || (probability.Length != 0 && probability.Length != n)
            || ranges.Length < 2 || sums.Length != ranges.Length - 1 || ranges[0] != 0 || ranges[^1] != n || p > 64)
        {
            throw new ArgumentException("Single-precision row scan spans have inconsistent sizes.", nameof(ranges));
        }

        var cursor = new RangeCursor(ranges);
        var t = 0;
        if (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated)
        {
            t = ScanBlocks(layout, offset, weights, hasConstant, coefficients, threshold, ref cursor, sums, mean, probability);
        }

        Span<float> x = stackalloc float[Math.Max(p, 1)];
        for (; t < n; t++)
        {
            var (m, q) = Cell(layout, t, offset, weights, hasConstant, coefficients, threshold, x);
            mean[t] = m;
            if (!probability.IsEmpty)
            {
                probability[t] = q;
            }

            sums[cursor.RangeOf(t)] += q;
        }
    }

    /// <summary>One example's single-precision mean and exceedance probability (the scalar form of the vector body).</summary>
    public static (float Mean, float Probability) Cell(SingleLayout layout, int t, float offset, ReadOnlySpan<float> weights, bool hasConstant,
        ReadOnlySpan<float> coefficients, float threshold, Span<float> x)
    {
        var n = layout.Count;
        var rank = layout.Rank;
        var p = rank + (hasConstant ? 1 : 0);
        var first = hasConstant ? 1 : 0;
        var m = layout.Bias.Length != 0 ? offset + layout.Bias[t] : offset;
        if (hasConstant)
        {
            x[0] = 1;
        }

        for (var k = 0; k < rank; k++)
        {
            var f = layout.Factors[(k * n) + t];
            x[first + k] = f;
            m += weights[k] * f;
        }

        var quadratic = 0f;
        var c = 0;
        for (var a = 0; a < p; a++)
        {
            var row = coefficients[c++] * x[a];
            for (var b = a + 1; b < p; b++)
            {
                row += coefficients[c++] * x[b];
            }

            quadratic += row * x[a];
        }

        var std = MathF.Sqrt(MathF.Max(quadratic, 0) + layout.Noise[t]);
        return (m, Tail(m, std, threshold));
    }

    /// <summary>P(X &gt; threshold) for X ~ N(mean, std^2) in single precision (a zero std is a step at the threshold).</summary>
    public static float Tail(float mean, float std, float threshold)
    {
        if (!(std > 0))
        {
            return mean > threshold ? 1 : 0;
        }

        var x = (threshold - mean) / std * InvSqrt2;
        var z = MathF.Abs(x);
        var u = 1 / (1 + (0.5f * z));
        var erfc = u * Exp(ErfcFit.Exponent(u) - (z * z));
        return 0.5f * (x < 0 ? 2 - erfc : erfc);
    }

    /// <summary>e^y for y clamped to [-87, 0.5] (Cephes' expf: relative error about 1e-7).</summary>
    public static float Exp(float y)
    {
        y = MathF.Min(MathF.Max(y, ExpMin), ExpMax);
        var k = MathF.Round(y * Log2E);
        var r = (y - (k * Ln2Hi)) - (k * Ln2Lo);
        var poly = (((((((((E5 * r) + E4) * r) + E3) * r) + E2) * r) + E1) * r) + E0;
        var e = ((poly * r * r) + r) + 1;
        return e * BitConverter.Int32BitsToSingle(((int)k + 127) << 23);
    }

    // Blocks of four vectors (64 examples): the loops over features run once per 64 examples instead of once per 16, and
    // their overhead no longer dominates (at rank 5: 2.6 ns per example with the normal tail, 3.6 ns one vector at a time). A block inside one range adds its probabilities to that range's
    // accumulator; a block across a boundary adds them one by one. Returns the first example not processed.
    private static int ScanBlocks(SingleLayout layout, float offset, ReadOnlySpan<float> weights, bool hasConstant, ReadOnlySpan<float> coefficients,
        float threshold, ref RangeCursor cursor, Span<double> sums, Span<float> mean, Span<float> probability)
    {
        const int Lanes = 16, Block = 4 * Lanes;
        var n = layout.Count;
        var rank = layout.Rank;
        var p = rank + (hasConstant ? 1 : 0);
        var first = hasConstant ? 1 : 0;
        var withBias = layout.Bias.Length != 0;
        var withProbability = !probability.IsEmpty;
        ref var f0 = ref MemoryMarshal.GetArrayDataReference(layout.Factors);
        ref var b0 = ref MemoryMarshal.GetArrayDataReference(layout.Bias);
        ref var n0 = ref MemoryMarshal.GetArrayDataReference(layout.Noise);
        ref var m0 = ref MemoryMarshal.GetReference(mean);
        ref var p0 = ref MemoryMarshal.GetReference(probability);
        ref var c0 = ref MemoryMarshal.GetReference(coefficients);
        Span<Vector512<float>> features = stackalloc Vector512<float>[4 * Math.Max(p, 1)];
        ref var x0 = ref MemoryMarshal.GetReference(features);
        Span<float> straddling = stackalloc float[Block];
        var offsetVector = Vector512.Create(offset);
        var thresholdVector = Vector512.Create(threshold);
        var one = Vector512<float>.One;
        var zero = Vector512<float>.Zero;
        var accumulatorLow = Vector512<double>.Zero;
        var accumulatorHigh = Vector512<double>.Zero;
        var t = 0;
        for (; t <= n - Block; t += Block)
        {
            var u = (nuint)t;
            var ma = withBias ? offsetVector + Vector512.LoadUnsafe(ref b0, u) : offsetVector;
            var mb = withBias ? offsetVector + Vector512.LoadUnsafe(ref b0, u + Lanes) : offsetVector;
            var mc = withBias ? offsetVector + Vector512.LoadUnsafe(ref b0, u + (2 * Lanes)) : offsetVector;
            var md = withBias ? offsetVector + Vector512.LoadUnsafe(ref b0, u + (3 * Lanes)) : offsetVector;
            if (hasConstant)
            {
                x0 = one;
                Unsafe.Add(ref x0, 1) = one;
                Unsafe.Add(ref x0, 2) = one;
                Unsafe.Add(ref x0, 3) = one;
            }

            for (var k = 0; k < rank; k++)
            {
                var w = Vector512.Create(weights[k]);
                var at = (nuint)(k * n) + u;
                var fa = Vector512.LoadUnsafe(ref f0, at);
                var fb = Vector512.LoadUnsafe(ref f0, at + Lanes);
                var fc = Vector512.LoadUnsafe(ref f0, at + (2 * Lanes));
                var fd = Vector512.LoadUnsafe(ref f0, at + (3 * Lanes));
                ref var xk = ref Unsafe.Add(ref x0, 4 * (first + k));
                xk = fa;
                Unsafe.Add(ref xk, 1) = fb;
                Unsafe.Add(ref xk, 2) = fc;
                Unsafe.Add(ref xk, 3) = fd;
                ma += w * fa;
                mb += w * fb;
                mc += w * fc;
                md += w * fd;
            }

            ma.StoreUnsafe(ref m0, u);
            mb.StoreUnsafe(ref m0, u + Lanes);
            mc.StoreUnsafe(ref m0, u + (2 * Lanes));
            md.StoreUnsafe(ref m0, u + (3 * Lanes));
            Vector512<float> qa = zero, qb = zero, qc = zero, qd = zero;
            var c = 0;
            for (var a = 0; a < p; a++)
            {
                ref var xa = ref Unsafe.Add(ref x0, 4 * a);
                var ca = Vector512.Create(Unsafe.Add(ref c0, c++));
                var ra = ca * xa;
                var rb = ca * Unsafe.Add(ref xa, 1);
                var rc = ca * Unsafe.Add(ref xa, 2);
                var rd = ca * Unsafe.Add(ref xa, 3);
                for (var b = a + 1; b < p; b++)
                {
                    ref var xb = ref Unsafe.Add(ref x0, 4 * b);
                    var cb = Vector512.Create(Unsafe.Add(ref c0, c++));
                    ra += cb * xb;
                    rb += cb * Unsafe.Add(ref xb, 1);
                    rc += cb * Unsafe.Add(ref xb, 2);
                    rd += cb * Unsafe.Add(ref xb, 3);
                }

                qa += ra * xa;
                qb += rb * Unsafe.Add(ref xa, 1);
                qc += rc * Unsafe.Add(ref xa, 2);
                qd += rd * Unsafe.Add(ref xa, 3);
            }

            var pa = Tail(ma, Vector512.Sqrt(Vector512.Max(qa, zero) + Vector512.LoadUnsafe(ref n0, u)), thresholdVector);
            var pb = Tail(mb, Vector512.Sqrt(Vector512.Max(qb, zero) + Vector512.LoadUnsafe(ref n0, u + Lanes)), thresholdVector);
            var pc = Tail(mc, Vector512.Sqrt(Vector512.Max(qc, zero) + Vector512.LoadUnsafe(ref n0, u + (2 * Lanes))), thresholdVector);
            var pd = Tail(md, Vector512.Sqrt(Vector512.Max(qd, zero) + Vector512.LoadUnsafe(ref n0, u + (3 * Lanes))), thresholdVector);
            if (withProbability)
            {
                pa.StoreUnsafe(ref p0, u);
                pb.StoreUnsafe(ref p0, u + Lanes);
                pc.StoreUnsafe(ref p0, u + (2 * Lanes));
                pd.StoreUnsafe(ref p0, u + (3 * Lanes));
            }

            var previous = cursor.Range;
            if (cursor.RangeOf(t) != previous)
            {
                sums[previous] += Vector512.Sum(accumulatorLow + accumulatorHigh);
                accumulatorLow = accumulatorHigh = Vector512<double>.Zero;
            }

            if (t + Block <= cursor.End)
            {
                var (low, high) = Vector512.Widen((pa + pb) + (pc + pd));
                accumulatorLow += low;
                accumulatorHigh += high;
                continue;
            }

            // Across a range boundary: close the current range, then add lane by lane.
            sums[cursor.Range] += Vector512.Sum(accumulatorLow + accumulatorHigh);
            accumulatorLow = accumulatorHigh = Vector512<double>.Zero;
            pa.CopyTo(straddling);
            pb.CopyTo(straddling[Lanes..]);
            pc.CopyTo(straddling[(2 * Lanes)..]);
            pd.CopyTo(straddling[(3 * Lanes)..]);
            for (var i = 0; i < Block; i++)
            {
                sums[cursor.RangeOf(t + i)] += straddling[i];
            }
        }

        sums[cursor.Range] += Vector512.Sum(accumulatorLow + accumulatorHigh);
        return t;
    }

    // P(X > threshold) for 16 lanes: the vector form of Tail(float, float, float), operation by operation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tail(Vector512<float> m, Vector512<float> std, Vector512<float> threshold)
    {
        var zero = Vector512<float>.Zero;
        var one = Vector512<float>.One;
        var half = Vector512.Create(0.5f);
        var positive = Vector512.GreaterThan(std, zero);
        var x = (threshold - m) / Vector512.ConditionalSelect(positive, std, one) * Vector512.Create(InvSqrt2);
        var z = Vector512.Abs(x);
        var u = one / (one + (half * z));
        var erfc = u * Exp(ErfcFit.Exponent(u) - (z * z));
        erfc = Vector512.ConditionalSelect(Vector512.LessThan(x, zero), Vector512.Create(2f) - erfc, erfc);
        var step = Vector512.ConditionalSelect(Vector512.GreaterThan(m, threshold), one, zero);
        return Vector512.ConditionalSelect(positive, half * erfc, step);
    }

    // Walks the ranges in order: which range holds example t (t never decreases).
    private ref struct RangeCursor(ReadOnlySpan<int> ranges)
    {
        private readonly ReadOnlySpan<int> _ranges = ranges;

        public int Range { get; private set; }

        public readonly int End => _ranges[Range + 1];

        public int RangeOf(int t)
        {
            while (t >= _ranges[Range + 1])
            {
                Range++;
            }

            return Range;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> y)
    {
        y = Vector512.Min(Vector512.Max(y, Vector512.Create(ExpMin)), Vector512.Create(ExpMax));
        var k = Vector512.Round(y * Vector512.Create(Log2E));
        var r = (y - (k * Vector512.Create(Ln2Hi))) - (k * Vector512.Create(Ln2Lo));
        var poly = Vector512.Create(E5);
        poly = (poly * r) + Vector512.Create(E4);
        poly = (poly * r) + Vector512.Create(E3);
        poly = (poly * r) + Vector512.Create(E2);
        poly = (poly * r) + Vector512.Create(E1);
        poly = (poly * r) + Vector512.Create(E0);
        var e = ((poly * r * r) + r) + Vector512<float>.One;
        var exponent = Vector512.ShiftLeft(Vector512.ConvertToInt32(k) + Vector512.Create(127), 23);
        return e * exponent.AsSingle();
    }
}
