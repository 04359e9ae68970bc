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
/// <remarks>With the variance, one read of each factor value serves both the mean and the quadratic form (Vector256 path with a
/// scalar fallback that evaluate the same expression lane by lane, no fused multiply-add, so results are bit-identical).
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
        int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> variance)
    {
        var p = rank + (hasConstant ? 1 : 0);
        var withVariance = variance.Length != 0;
        if (weights.Length != rank || (withVariance && (variance.Length != mean.Length || c.Length != p * p)) || (bias.Length != 0 && bias.Length < start + mean.Length))
        {
            throw new ArgumentException("Row prediction spans have inconsistent sizes.", nameof(variance));
        }

        var first = hasConstant ? 1 : 0;
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

        // The quadratic form's coefficients, hoisted.
        Span<double> coefficients = p <= 32 ? stackalloc double[p * (p + 1) / 2] : new double[p * (p + 1) / 2];
        PackQuadratic(c, p, coefficients);

        if (Vector512.IsHardwareAccelerated && p <= 128)
        {
            ref var f0 = ref MemoryMarshal.GetReference(factors);
            ref var b0 = ref MemoryMarshal.GetReference(bias);
            ref var k0 = ref MemoryMarshal.GetReference(coefficients);
            Span<Vector512<double>> xv = stackalloc Vector512<double>[Math.Max(p, 1)];
            ref var x0 = ref MemoryMarshal.GetReference(xv);
            var offsetVector = Vector512.Create(offset);
            for (; t <= mean.Length - Vector512<double>.Count; t += Vector512<double>.Count)
            {
                var j = start + t;
                var m = bias.Length != 0 ? offsetVector + Vector512.LoadUnsafe(ref b0, (nuint)j) : offsetVector;
                if (hasConstant)
                {
                    x0 = Vector512<double>.One;
                }

                for (var k = 0; k < rank; k++)
                {
                    var f = Vector512.LoadUnsafe(ref f0, (nuint)((k * stride) + j));
                    Unsafe.Add(ref x0, first + k) = f;
                    m += Vector512.Create(weights[k]) * f;
                }

                m.StoreUnsafe(ref MemoryMarshal.GetReference(mean), (nuint)t);
                var sum = Vector512<double>.Zero;
                var q = 0;
                for (var a = 0; a < p; a++)
                {
                    var xa = Unsafe.Add(ref x0, a);
                    var row = Vector512.Create(Unsafe.Add(ref k0, q++)) * xa;
                    for (var b = a + 1; b < p; b++)
                    {
                        row += Vector512.Create(Unsafe.Add(ref k0, q++)) * Unsafe.Add(ref x0, b);
                    }

                    sum += row * xa;
                }

                sum.StoreUnsafe(ref MemoryMarshal.GetReference(variance), (nuint)t);
            }
        }

        if (Vector256.IsHardwareAccelerated && p <= 128)
        {
            ref var f0 = ref MemoryMarshal.GetReference(factors);
            ref var b0 = ref MemoryMarshal.GetReference(bias);
            ref var c0 = ref MemoryMarshal.GetReference(c);
            Span<Vector256<double>> x = stackalloc Vector256<double>[Math.Max(p, 1)];
            var offsetVector = Vector256.Create(offset);
            for (; t <= mean.Length - Vector256<double>.Count; t += Vector256<double>.Count)
            {
                var j = start + t;
                var m = bias.Length != 0 ? offsetVector + Vector256.LoadUnsafe(ref b0, (nuint)j) : offsetVector;
                if (hasConstant)
                {
                    x[0] = Vector256<double>.One;
                }

                for (var k = 0; k < rank; k++)
                {
                    var f = Vector256.LoadUnsafe(ref f0, (nuint)((k * stride) + j));
                    x[first + k] = f;
                    m += Vector256.Create(weights[k]) * f;
                }

                m.StoreUnsafe(ref MemoryMarshal.GetReference(mean), (nuint)t);
                var sum = Vector256<double>.Zero;
                for (var a = 0; a < p; a++)
                {
                    var xa = x[a];
                    var row = Vector256.Create(Unsafe.Add(ref c0, (a * p) + a)) * xa;
                    for (var b = a + 1; b < p; b++)
                    {
                        row += Vector256.Create(2 * Unsafe.Add(ref c0, (a * p) + b)) * x[b];
                    }

                    sum += row * xa;
                }

                sum.StoreUnsafe(ref MemoryMarshal.GetReference(variance), (nuint)t);
            }
        }

        Span<double> xs = p <= 64 ? stackalloc double[Math.Max(p, 1)] : new double[p];
        for (; t < mean.Length; t++)
        {
            var j = start + t;
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

            mean[t] = m;
            if (withVariance)
            {
                double sum = 0;
                for (var a = 0; a < p; a++)
                {
                    var row = c[(a * p) + a] * xs[a];
                    for (var b = a + 1; b < p; b++)
                    {
                        row += 2 * c[(a * p) + b] * xs[b];
                    }

                    sum += row * xs[a];
                }

                variance[t] = sum;
            }
        }
    }
}
