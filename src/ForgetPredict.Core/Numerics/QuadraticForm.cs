using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: per-column quadratic forms <c>x_j^T C x_j</c> where x_j = ([1], F[0, j], ..., F[r-1, j]) is column j of a
/// row-major r x stride factor matrix, optionally led by a constant 1. This is the predictive variance of every
/// example of a folded-in task in one pass.
/// </summary>
internal static class QuadraticForm
{
    /// <summary>
    /// Effectively computes <c>destination[t] = x^T C x</c> for column j = start + t, with x as described above and
    /// C a symmetric p x p row-major matrix (p = r + (hasConstant ? 1 : 0)).
    /// </summary>
    public static void Evaluate(ReadOnlySpan<double> factors, int stride, int rank, bool hasConstant, ReadOnlySpan<double> c, int start, Span<double> destination)
    {
        var p = rank + (hasConstant ? 1 : 0);
        if (c.Length != p * p)
        {
            throw new ArgumentException("Quadratic form matrix has the wrong size.", nameof(c));
        }

        var offset = hasConstant ? 1 : 0;
        var t = 0;
        if (Vector256.IsHardwareAccelerated && p <= 32)
        {
            Span<Vector256<double>> x = stackalloc Vector256<double>[p];
            for (; t <= destination.Length - Vector256<double>.Count; t += Vector256<double>.Count)
            {
                if (hasConstant)
                {
                    x[0] = Vector256<double>.One;
                }

                for (var k = 0; k < rank; k++)
                {
                    x[k + offset] = Vector256.Create(factors.Slice((k * stride) + start + t, Vector256<double>.Count));
                }

                var sum = Vector256<double>.Zero;
                for (var k = 0; k < p; k++)
                {
                    var row = Vector256.Create(c[(k * p) + k]) * x[k];
                    for (var l = k + 1; l < p; l++)
                    {
                        row += Vector256.Create(2 * c[(k * p) + l]) * x[l];
                    }

                    sum += row * x[k];
                }

                sum.CopyTo(destination.Slice(t, Vector256<double>.Count));
            }
        }

        Span<double> xs = p <= 64 ? stackalloc double[p] : new double[p];
        for (; t < destination.Length; t++)
        {
            if (hasConstant)
            {
                xs[0] = 1;
            }

            for (var k = 0; k < rank; k++)
            {
                xs[k + offset] = factors[(k * stride) + start + t];
            }

            double sum = 0;
            for (var k = 0; k < p; k++)
            {
                var row = c[(k * p) + k] * xs[k];
                for (var l = k + 1; l < p; l++)
                {
                    row += 2 * c[(k * p) + l] * xs[l];
                }

                sum += row * xs[k];
            }

            destination[t] = sum;
        }
    }
}
