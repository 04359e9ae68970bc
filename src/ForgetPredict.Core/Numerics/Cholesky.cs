using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: in-place Cholesky factorisation and solves for the small (p x p, p = rank + 1) symmetric positive
/// definite systems of the alternating solvers. Row-major, lower triangle used.
/// </summary>
internal static class Cholesky
{
    /// <summary>
    /// Factorises the symmetric matrix <paramref name="a"/> (n x n, row-major) in place into L with A = L L^T
    /// (the lower triangle holds L). A matrix that is positive semi-definite only up to rounding gets a tiny
    /// diagonal jitter (relative 1e-12 of its trace, doubled until it succeeds); returns false only when the
    /// matrix is genuinely indefinite or not finite.
    /// </summary>
    public static bool Factor(Span<double> a, int n)
    {
        double trace = 0;
        for (var i = 0; i < n; i++)
        {
            trace += Math.Abs(a[(i * n) + i]);
        }

        if (!double.IsFinite(trace))
        {
            return false;
        }

        Span<double> backup = n <= 24 ? stackalloc double[n * n] : new double[n * n];
        a[..(n * n)].CopyTo(backup);
        var jitter = 0d;
        for (var attempt = 0; attempt < 40; attempt++)
        {
            if (TryFactor(a, n))
            {
                return true;
            }

            jitter = jitter == 0 ? Math.Max(trace, 1e-300) * 1e-12 / Math.Max(n, 1) : jitter * 4;
            backup.CopyTo(a);
            for (var i = 0; i < n; i++)
            {
                a[(i * n) + i] += jitter;
            }

            if (jitter > trace * 1e-3)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Solves L L^T x = b in place (<paramref name="b"/> becomes x) with the factor from <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        Forward(l, n, b);
        Backward(l, n, b);
    }

    // L w = b in place.
    private static void Forward(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (var i = 0; i < n; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[(i * n) + k] * b[k];
            }

            b[i] = sum / l[(i * n) + i];
        }
    }

    // L^T x = w in place.
    private static void Backward(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = b[i];
            for (var k = i + 1; k < n; k++)
            {
                sum -= l[(k * n) + i] * b[k];
            }

            b[i] = sum / l[(i * n) + i];
        }
    }

    /// <summary>
    /// Solves L L^T x = b for many right-hand sides at once, in place: <paramref name="b"/> holds n rows of
    /// <paramref name="width"/> values (row-major), column t is one system. Each lane does exactly the operations of
    /// <see cref="Solve"/> in the same order (no fused multiply-adds), so every column is bit-identical to solving it alone.
    /// </summary>
    /// <param name="l">The factor from <see cref="Factor"/>.</param>
    /// <param name="n">The system's size.</param>
    /// <param name="b">The right-hand sides, overwritten by the solutions.</param>
    /// <param name="width">The number of systems.</param>
    /// <param name="quadratic">Empty, or receives b^T A^-1 b of each column (the squared norm of L^-1 b, summed in row order):
    /// the quadratic form x^T A x = b^T x at the solution, without keeping b.</param>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void SolveMany(ReadOnlySpan<double> l, int n, Span<double> b, int width, Span<double> quadratic = default)
    {
        if (l.Length < n * n || b.Length < (long)n * width || (quadratic.Length != 0 && quadratic.Length < width))
        {
            throw new ArgumentException("Cholesky solve spans are too short for the shape.", nameof(b));
        }

        var done = 0;
        if (Width512<double>.IsHardwareAccelerated)
        {
            done = SolveManyBody<Width512<double>, Vector512<double>>(l, n, b, width, quadratic);
        }
        else if (Width256<double>.IsHardwareAccelerated)
        {
            done = SolveManyBody<Width256<double>, Vector256<double>>(l, n, b, width, quadratic);
        }
        else if (Width128<double>.IsHardwareAccelerated)
        {
            done = SolveManyBody<Width128<double>, Vector128<double>>(l, n, b, width, quadratic);
        }

        Span<double> column = n <= 64 ? stackalloc double[n] : new double[n];
        for (var t = done; t < width; t++)
        {
            for (var i = 0; i < n; i++)
            {
                column[i] = b[(i * width) + t];
            }

            Forward(l, n, column);
            if (quadratic.Length != 0)
            {
                double q = 0;
                for (var i = 0; i < n; i++)
                {
                    q += column[i] * column[i];
                }

                quadratic[t] = q;
            }

            Backward(l, n, column);
            for (var i = 0; i < n; i++)
            {
                b[(i * width) + t] = column[i];
            }
        }
    }

    // The vector columns of SolveMany (0 .. returned value): Solve's loops with a vector of columns in each lane.
    private static int SolveManyBody<TWidth, TVector>(ReadOnlySpan<double> l, int n, Span<double> b, int width, Span<double> quadratic)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : struct
    {
        var count = TWidth.Count;
        var end = width - (width % count);
        ref var bRef = ref MemoryMarshal.GetReference(b);
        for (var t = 0; t < end; t += count)
        {
            var at = (nuint)t;
            for (var i = 0; i < n; i++)
            {
                var sum = TWidth.Load(ref bRef, (nuint)(i * width) + at);
                for (var k = 0; k < i; k++)
                {
                    sum = TWidth.Subtract(sum, TWidth.Multiply(TWidth.Create(l[(i * n) + k]), TWidth.Load(ref bRef, (nuint)(k * width) + at)));
                }

                TWidth.Store(TWidth.Divide(sum, TWidth.Create(l[(i * n) + i])), ref bRef, (nuint)(i * width) + at);
            }

            if (quadratic.Length != 0)
            {
                var q = TWidth.Create(0);
                for (var i = 0; i < n; i++)
                {
                    var w = TWidth.Load(ref bRef, (nuint)(i * width) + at);
                    q = TWidth.Add(q, TWidth.Multiply(w, w));
                }

                TWidth.Store(q, ref MemoryMarshal.GetReference(quadratic), at);
            }

            for (var i = n - 1; i >= 0; i--)
            {
                var sum = TWidth.Load(ref bRef, (nuint)(i * width) + at);
                for (var k = i + 1; k < n; k++)
                {
                    sum = TWidth.Subtract(sum, TWidth.Multiply(TWidth.Create(l[(k * n) + i]), TWidth.Load(ref bRef, (nuint)(k * width) + at)));
                }

                TWidth.Store(TWidth.Divide(sum, TWidth.Create(l[(i * n) + i])), ref bRef, (nuint)(i * width) + at);
            }
        }

        return end;
    }

    /// <summary>Overwrites the factor L (from <see cref="Factor"/>) with the full inverse of A = L L^T (symmetric, both triangles).</summary>
    public static void Invert(Span<double> l, int n)
    {
        Span<double> inverse = n <= 24 ? stackalloc double[n * n] : new double[n * n];
        Span<double> column = n <= 24 ? stackalloc double[n] : new double[n];
        for (var c = 0; c < n; c++)
        {
            column.Clear();
            column[c] = 1;
            Solve(l, n, column);
            for (var r = 0; r < n; r++)
            {
                inverse[(r * n) + c] = column[r];
            }
        }

        // Symmetrise to remove rounding asymmetry.
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < r; c++)
            {
                var v = 0.5 * (inverse[(r * n) + c] + inverse[(c * n) + r]);
                inverse[(r * n) + c] = v;
                inverse[(c * n) + r] = v;
            }
        }

        inverse.CopyTo(l);
    }

    private static bool TryFactor(Span<double> a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var d = a[(j * n) + j];
            for (var k = 0; k < j; k++)
            {
                d -= a[(j * n) + k] * a[(j * n) + k];
            }

            if (!(d > 0) || !double.IsFinite(d))
            {
                return false;
            }

            d = Math.Sqrt(d);
            a[(j * n) + j] = d;
            for (var i = j + 1; i < n; i++)
            {
                var s = a[(i * n) + j];
                for (var k = 0; k < j; k++)
                {
                    s -= a[(i * n) + k] * a[(j * n) + k];
                }

                a[(i * n) + j] = s / d;
            }

            for (var i = 0; i < j; i++)
            {
                a[(i * n) + j] = 0;
            }
        }

        return true;
    }
}
