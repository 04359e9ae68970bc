namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the
/// implicit QL algorithm with Wilkinson-style shifts (the classic tred2/tql2 pair). O(n^3); used on the
/// M x M Gram matrix of a forgetting matrix (M is the smaller dimension), never on N x N.
/// </summary>
internal sealed class SymmetricEigen
{
    private SymmetricEigen(double[] values, double[]? vectors, int n)
    {
        Values = values;
        Vectors = vectors;
        Size = n;
    }

    /// <summary>Matrix size n.</summary>
    public int Size { get; }

    /// <summary>Eigenvalues in descending order.</summary>
    public double[] Values { get; }

    /// <summary>Eigenvectors as columns of an n x n row-major matrix (column k pairs with Values[k]), or null when not requested.</summary>
    public double[]? Vectors { get; }

    /// <summary>Decomposes the symmetric n x n row-major matrix <paramref name="a"/> (only read; the lower triangle is used).</summary>
    /// <exception cref="ArithmeticException">The QL iteration did not converge (non-finite input).</exception>
    public static SymmetricEigen Decompose(ReadOnlySpan<double> a, int n, bool computeVectors)
    {
        var v = a[..(n * n)].ToArray();
        var d = new double[n];
        var e = new double[n];
        if (n > 0)
        {
            Tridiagonalize(v, d, e, n);
            TridiagonalQl(v, d, e, n, computeVectors);
        }

        // Sort descending, carrying vectors along.
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => d[y].CompareTo(d[x]) is var c && c != 0 ? c : x.CompareTo(y));
        var values = new double[n];
        double[]? vectors = computeVectors ? new double[n * n] : null;
        for (var k = 0; k < n; k++)
        {
            values[k] = d[order[k]];
            if (vectors is not null)
            {
                for (var r = 0; r < n; r++)
                {
                    vectors[(r * n) + k] = v[(r * n) + order[k]];
                }
            }
        }

        return new SymmetricEigen(values, vectors, n);
    }

    // Householder tridiagonalisation (after the Algol procedure tred2 of Bowdler, Martin, Reinsch and Wilkinson).
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n)
    {
        for (var j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
        }

        for (var i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (var k = 0; k < i; k++)
            {
                scale += Math.Abs(d[k]);
            }

            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (var j = 0; j < i; j++)
                {
                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0;
                    v[(j * n) + i] = 0;
                }
            }
            else
            {
                for (var k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }

                var f = d[i - 1];
                var g = Math.Sqrt(h);
                if (f > 0)
                {
                    g = -g;
                }

                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (var j = 0; j < i; j++)
                {
                    e[j] = 0;
                }

                for (var j = 0; j < i; j++)
                {
                    f = d[j];
                    v[(j * n) + i] = f;
                    g = e[j] + (v[(j * n) + j] * f);
                    for (var k = j + 1; k <= i - 1; k++)
                    {
                        g += v[(k * n) + j] * d[k];
                        e[k] += v[(k * n) + j] * f;
                    }

                    e[j] = g;
                }

                f = 0;
                for (var j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }

                var hh = f / (h + h);
                for (var j = 0; j < i; j++)
                {
                    e[j] -= hh * d[j];
                }

                for (var j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (var k = j; k <= i - 1; k++)
                    {
                        v[(k * n) + j] -= (f * e[k]) + (g * d[k]);
                    }

                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0;
                }
            }

            d[i] = h;
        }

        // Accumulate the transformations.
        for (var i = 0; i < n - 1; i++)
        {
            v[((n - 1) * n) + i] = v[(i * n) + i];
            v[(i * n) + i] = 1;
            var h = d[i + 1];
            if (h != 0)
            {
                for (var k = 0; k <= i; k++)
                {
                    d[k] = v[(k * n) + i + 1] / h;
                }

                for (var j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (var k = 0; k <= i; k++)
                    {
                        g += v[(k * n) + i + 1] * v[(k * n) + j];
                    }

                    for (var k = 0; k <= i; k++)
                    {
                        v[(k * n) + j] -= g * d[k];
                    }
                }
            }

            for (var k = 0; k <= i; k++)
            {
                v[(k * n) + i + 1] = 0;
            }
        }

        for (var j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
            v[((n - 1) * n) + j] = 0;
        }

        v[((n - 1) * n) + n - 1] = 1;
        e[0] = 0;
    }

    // Implicit QL on the tridiagonal (d, e) (after the Algol procedure tql2), accumulating into v.
    private static void TridiagonalQl(double[] v, double[] d, double[] e, int n, bool accumulate)
    {
        for (var i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }

        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        var eps = Math.Pow(2, -52);
        for (var l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            var m = l;
            while (m < n && Math.Abs(e[m]) > eps * tst1)
            {
                m++;
            }

            if (m == n)
            {
                m = n - 1;
            }

            if (m > l)
            {
                var iterations = 0;
                do
                {
                    if (++iterations > 300)
                    {
                        throw new ArithmeticException("Symmetric eigen-decomposition did not converge; the matrix has non-finite entries.");
                    }

                    var g = d[l];
                    var p = (d[l + 1] - g) / (2 * e[l]);
                    var r = Hypot(p, 1);
                    if (p < 0)
                    {
                        r = -r;
                    }

                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    var dl1 = d[l + 1];
                    var h = g - d[l];
                    for (var i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }

                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
                    var el1 = e[l + 1];
                    for (var i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                        for (var k = 0; accumulate && k < n; k++)
                        {
                            h = v[(k * n) + i + 1];
                            v[(k * n) + i + 1] = (s * v[(k * n) + i]) + (c * h);
                            v[(k * n) + i] = (c * v[(k * n) + i]) - (s * h);
                        }
                    }

                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }

            d[l] += f;
            e[l] = 0;
        }
    }

    private static double Hypot(double a, double b) => Math.Sqrt((a * a) + (b * b)) is var h && double.IsFinite(h) ? h : Math.Abs(a) > Math.Abs(b) ? Math.Abs(a) * Math.Sqrt(1 + ((b / a) * (b / a))) : Math.Abs(b) * Math.Sqrt(1 + ((a / b) * (a / b)));
}
