using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: a factor model's predicted row and, optionally, its per-example predictive variance, in one pass over the
/// example factors. Column j has features x_j = ([1], F[0, j], ..., F[r-1, j]) from a row-major r x stride matrix F.
/// </summary>
/// <remarks>With the variance, one read of each factor value serves both the mean and the quadratic form: one body, generic over
/// the vector width (<see cref="IVectorWidth{TVector, T}"/>), runs at 512, 256 and 128 bits, and a scalar loop takes the last
/// elements; all evaluate the same expression with the packed coefficients lane by lane, without fused multiply-adds, so
/// every width gives bit-identical results.
/// The mean alone is r + 1 TensorPrimitives passes, which are faster than any fused loop when nothing else needs the factors.</remarks>
internal static class RowPrediction
{
    /// <summary>
    /// Packs the coefficients of x^T C x for a symmetric p x p matrix C, row by row: c[a, a], then 2 c[a, b] for b &gt; a
    /// (p (p + 1) / 2 values, in double or single precision).
    /// </summary>
    public static void PackQuadratic<T>(ReadOnlySpan<double> c, int p, Span<T> destination)
        where T : IFloatingPointIeee754<T>
    {
        for (int a = 0, q = 0; a < p; a++)
        {
            destination[q++] = T.CreateTruncating(c[(a * p) + a]);
            for (var b = a + 1; b < p; b++)
            {
                destination[q++] = T.CreateTruncating(2 * c[(a * p) + b]);
            }
        }
    }

    /// <summary>
    /// Effectively computes <c>mean[t] = offset + bias[j] + sum_k w[k] F[k, j]</c> and, when <paramref name="variance"/> is not
    /// empty, <c>variance[t] = x_j^T C x_j</c> for j = start + t. <paramref name="bias"/> may be empty (zeros);
    /// C is p x p with p = rank + (hasConstant ? 1 : 0).
    /// </summary>
    public static void Evaluate(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> variance) =>
        EvaluateCore(factors, stride, rank, weights, bias, offset, start, mean, hasConstant, c, variance, default, 0, finish: false);

    /// <summary>
    /// <see cref="Evaluate"/> with each variance finished as a predictive standard deviation in the same pass:
    /// <c>std[t] = sqrt(max(x_j^T C x_j, 0) + s_j)</c>, s_j = <paramref name="exampleNoise"/>[j] (indexed by example, as
    /// <paramref name="bias"/>), or <paramref name="noise"/> when that is empty. The same bits as Evaluate followed by the three
    /// passes (maximum, add and square root are exact per value).
    /// </summary>
    public static void EvaluateStd(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> std, ReadOnlySpan<double> exampleNoise, double noise)
    {
        if (std.Length == 0 || (exampleNoise.Length != 0 && exampleNoise.Length < start + mean.Length))
        {
            throw new ArgumentException("Row prediction spans have inconsistent sizes.", nameof(exampleNoise));
        }

        EvaluateCore(factors, stride, rank, weights, bias, offset, start, mean, hasConstant, c, std, exampleNoise, noise, finish: true);
    }

    private static void EvaluateCore(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> variance, ReadOnlySpan<double> exampleNoise, double noise, bool finish)
    {
        var p = rank + (hasConstant ? 1 : 0);
        var withVariance = variance.Length != 0;
        if (weights.Length != rank || (withVariance && (variance.Length != mean.Length || c.Length != p * p)) || (bias.Length != 0 && bias.Length < start + mean.Length))
        {
            throw new ArgumentException("Row prediction spans have inconsistent sizes.", nameof(variance));
        }

        var t = 0;
        if (!withVariance)
        {
            // The mean alone is r + 1 streaming passes, which TensorPrimitives runs at full vector width.
            var row = mean;
            if (bias.Length != 0)
            {
                TensorPrimitives.Add(bias.Slice(start, row.Length), offset, row);
            }
            else
            {
                row.Fill(offset);
            }

            for (var k = 0; k < rank; k++)
            {
                TensorPrimitives.MultiplyAdd(factors.Slice((k * stride) + start, row.Length), weights[k], row, row);
            }

            return;
        }

        // The quadratic form's coefficients, hoisted and packed: every path below evaluates the same packed expression.
        Span<double> coefficients = p <= 32 ? stackalloc double[p * (p + 1) / 2] : new double[p * (p + 1) / 2];
        PackQuadratic(c, p, coefficients);
        if (p <= 128)
        {
            // The widest vectors first; the narrower ones take what is left, then the scalar loop the last elements.
            t = Body<Width512<double>, Vector512<double>>(factors, stride, rank, weights, bias, offset, start, mean, hasConstant, coefficients, variance, exampleNoise, noise, finish, t);
            t = Body<Width256<double>, Vector256<double>>(factors, stride, rank, weights, bias, offset, start, mean, hasConstant, coefficients, variance, exampleNoise, noise, finish, t);
            t = Body<Width128<double>, Vector128<double>>(factors, stride, rank, weights, bias, offset, start, mean, hasConstant, coefficients, variance, exampleNoise, noise, finish, t);
        }

        Span<double> xs = p <= 64 ? stackalloc double[Math.Max(p, 1)] : new double[p];
        for (; t < mean.Length; t++)
        {
            mean[t] = Cell(factors, stride, rank, weights, bias, offset, start + t, hasConstant, coefficients, xs, out var quadratic);
            variance[t] = finish ? Std(quadratic, exampleNoise.Length != 0 ? exampleNoise[start + t] : noise) : quadratic;
        }
    }

    /// <summary>
    /// A predictive standard deviation from a quadratic form and a noise variance, sqrt(max(quadratic, 0) + noise): the scalar
    /// formula the vector bodies of <see cref="EvaluateStd"/> evaluate lane by lane.
    /// </summary>
    public static double Std(double quadratic, double noise) => Math.Sqrt(Math.Max(quadratic, 0) + noise);

    /// <summary>
    /// <see cref="Evaluate"/> for the examples <paramref name="examples"/> (any, in any order) instead of a range: mean[t] and,
    /// when <paramref name="variance"/> is not empty, variance[t] for j = examples[t], each bit-identical to Evaluate's value
    /// for example j (the scalar expression every width of Evaluate evaluates).
    /// </summary>
    public static void EvaluateCells(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        ReadOnlySpan<int> examples, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> variance)
    {
        var p = rank + (hasConstant ? 1 : 0);
        var withVariance = variance.Length != 0;
        if (weights.Length != rank || mean.Length != examples.Length || (withVariance && (variance.Length != mean.Length || c.Length != p * p)) || (bias.Length != 0 && bias.Length < stride))
        {
            throw new ArgumentException("Row prediction spans have inconsistent sizes.", nameof(variance));
        }

        Span<double> coefficients = !withVariance ? default : p <= 32 ? stackalloc double[p * (p + 1) / 2] : new double[p * (p + 1) / 2];
        if (withVariance)
        {
            PackQuadratic(c, p, coefficients);
        }

        Span<double> xs = p <= 64 ? stackalloc double[Math.Max(p, 1)] : new double[p];
        for (var t = 0; t < examples.Length; t++)
        {
            if ((uint)examples[t] >= (uint)stride)
            {
                throw new ArgumentException("Row prediction example outside the row.", nameof(examples));
            }

            mean[t] = Cell(factors, stride, rank, weights, bias, offset, examples[t], hasConstant, coefficients, xs, out var quadratic);
            if (withVariance)
            {
                variance[t] = quadratic;
            }
        }
    }

    // Example j's mean (offset + b_j + w . F[:, j], accumulated in factor order) and, with coefficients, its quadratic form
    // x_j^T C x_j from the packed coefficients (0 without): the scalar expression of every path. The mean equals the mean-only
    // TensorPrimitives passes' value too (the same additions and products in the same order, none fused).
    private static double Cell(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        int j, bool hasConstant, ReadOnlySpan<double> coefficients, Span<double> xs, out double quadratic)
    {
        var first = hasConstant ? 1 : 0;
        var p = rank + first;
        var m = bias.Length != 0 ? offset + bias[j] : offset;
        if (hasConstant)
        {
            xs[0] = 1;
        }

        for (var k = 0; k < rank; k++)
        {
            var f = factors[(k * stride) + j];
            xs[first + k] = f;
            m += weights[k] * f;
        }

        quadratic = 0;
        if (coefficients.IsEmpty)
        {
            return m;
        }

        double sum = 0;
        var q = 0;
        for (var a = 0; a < p; a++)
        {
            var row = coefficients[q++] * xs[a];
            for (var b = a + 1; b < p; b++)
            {
                row += coefficients[q++] * xs[b];
            }

            sum += row * xs[a];
        }

        quadratic = sum;
        return m;
    }

    // The mean and the quadratic form for pairs of whole vectors of examples from t on, at one width (the scalar loop's
    // expression lane by lane; two vectors a step share each broadcast coefficient and the loop overhead); returns the
    // first example not processed. p <= 128 (the features live on the stack).
    private static int Body<TWidth, TVector>(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias,
        double offset, int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> coefficients, Span<double> variance,
        ReadOnlySpan<double> exampleNoise, double noise, bool finish, int t)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : unmanaged
    {
        if (!TWidth.IsHardwareAccelerated)
        {
            return t;
        }

        var p = rank + (hasConstant ? 1 : 0);
        var first = hasConstant ? 1 : 0;
        var count = (nuint)TWidth.Count;
        ref var f0 = ref MemoryMarshal.GetReference(factors);
        ref var b0 = ref MemoryMarshal.GetReference(bias);
        ref var k0 = ref MemoryMarshal.GetReference(coefficients);
        ref var m0 = ref MemoryMarshal.GetReference(mean);
        ref var v0 = ref MemoryMarshal.GetReference(variance);
        ref var n0 = ref MemoryMarshal.GetReference(exampleNoise);
        var noiseVector = TWidth.Create(noise);
        var zero = TWidth.Create(0);
        Span<TVector> xv = stackalloc TVector[2 * Math.Max(p, 1)];
        ref var x0 = ref MemoryMarshal.GetReference(xv);
        var offsetVector = TWidth.Create(offset);
        var one = TWidth.Create(1);
        for (; t <= mean.Length - (2 * TWidth.Count); t += 2 * TWidth.Count)
        {
            var j = (nuint)(start + t);
            var ma = bias.Length != 0 ? TWidth.Add(offsetVector, TWidth.Load(ref b0, j)) : offsetVector;
            var mb = bias.Length != 0 ? TWidth.Add(offsetVector, TWidth.Load(ref b0, j + count)) : offsetVector;
            if (hasConstant)
            {
                x0 = one;
                Unsafe.Add(ref x0, 1) = one;
            }

            for (var k = 0; k < rank; k++)
            {
                var w = TWidth.Create(weights[k]);
                var at = (nuint)(k * stride) + j;
                var fa = TWidth.Load(ref f0, at);
                var fb = TWidth.Load(ref f0, at + count);
                ref var xk = ref Unsafe.Add(ref x0, 2 * (first + k));
                xk = fa;
                Unsafe.Add(ref xk, 1) = fb;
                ma = TWidth.Add(ma, TWidth.Multiply(w, fa));
                mb = TWidth.Add(mb, TWidth.Multiply(w, fb));
            }

            TWidth.Store(ma, ref m0, (nuint)t);
            TWidth.Store(mb, ref m0, (nuint)t + count);
            var sa = TWidth.Create(0);
            var sb = sa;
            var q = 0;
            for (var a = 0; a < p; a++)
            {
                ref var xa = ref Unsafe.Add(ref x0, 2 * a);
                var c = TWidth.Create(Unsafe.Add(ref k0, q++));
                var ra = TWidth.Multiply(c, xa);
                var rb = TWidth.Multiply(c, Unsafe.Add(ref xa, 1));
                for (var b = a + 1; b < p; b++)
                {
                    ref var xb = ref Unsafe.Add(ref x0, 2 * b);
                    c = TWidth.Create(Unsafe.Add(ref k0, q++));
                    ra = TWidth.Add(ra, TWidth.Multiply(c, xb));
                    rb = TWidth.Add(rb, TWidth.Multiply(c, Unsafe.Add(ref xb, 1)));
                }

                sa = TWidth.Add(sa, TWidth.Multiply(ra, xa));
                sb = TWidth.Add(sb, TWidth.Multiply(rb, Unsafe.Add(ref xa, 1)));
            }

            if (finish)
            {
                // sqrt(max(q, 0) + s_j), as the scalar loop: each operation exact per lane.
                var na = exampleNoise.Length != 0 ? TWidth.Load(ref n0, j) : noiseVector;
                var nb = exampleNoise.Length != 0 ? TWidth.Load(ref n0, j + count) : noiseVector;
                sa = TWidth.Sqrt(TWidth.Add(TWidth.Max(sa, zero), na));
                sb = TWidth.Sqrt(TWidth.Add(TWidth.Max(sb, zero), nb));
            }

            TWidth.Store(sa, ref v0, (nuint)t);
            TWidth.Store(sb, ref v0, (nuint)t + count);
        }

        return t;
    }
}
