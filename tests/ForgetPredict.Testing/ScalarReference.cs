namespace ForgetPredict.Testing;

/// <summary>
/// Plain scalar loops that define what each vectorised kernel in ForgetPredict.Core.Numerics must compute. Tests compare
/// the kernels against these at every tail length.
/// </summary>
public static class ScalarReference
{
    /// <summary>Reference for ValueScan.SumOfSquares: value i adds v * v to lane i mod 8; lanes combined ((0+4)+(1+5))+((2+6)+(3+7)).</summary>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var lanes = new double[8];
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsNaN(values[i]))
            {
                lanes[i % 8] += (double)values[i] * values[i];
            }
        }

        return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    }

    /// <summary>Reference for ValueScan.Scan: NaN count, first infinity, all-binary, some |v| of at least 2^-126 (the smallest normal float32) before the first infinity.</summary>
    public static (long Missing, long FirstInfinity, bool AllBinary, bool HasScale) Scan(ReadOnlySpan<float> values)
    {
        long missing = 0;
        var binary = true;
        var hasScale = false;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (float.IsInfinity(v))
            {
                return (missing, i, false, hasScale);
            }

            if (float.IsNaN(v))
            {
                missing++;
            }
            else if (v != 0 && v != 1)
            {
                binary = false;
            }

            hasScale |= Math.Abs(v) >= Math.ScaleB(1f, -126);
        }

        return (missing, -1, binary, hasScale);
    }

    /// <summary>Reference for Residuals.Masked: NaN -> 0, else (z - offset) - shift; returns the NaN count.</summary>
    public static int MaskedResidual(ReadOnlySpan<float> z, ReadOnlySpan<double> offset, double shift, Span<double> destination)
    {
        var missing = 0;
        for (var j = 0; j < z.Length; j++)
        {
            if (float.IsNaN(z[j]))
            {
                destination[j] = 0;
                missing++;
            }
            else
            {
                destination[j] = ((double)z[j] - (offset.Length == 0 ? 0 : offset[j])) - shift;
            }
        }

        return missing;
    }

    /// <summary>Reference for RowPrediction.Evaluate: mean = offset + bias + w . F_j and variance = x^T C x, x = ([1], F_j).</summary>
    public static void RowPrediction(ReadOnlySpan<double> factors, int stride, int rank, ReadOnlySpan<double> weights, ReadOnlySpan<double> bias, double offset,
        int start, Span<double> mean, bool hasConstant, ReadOnlySpan<double> c, Span<double> variance)
    {
        var p = rank + (hasConstant ? 1 : 0);
        var x = new double[p];
        for (var t = 0; t < mean.Length; t++)
        {
            var j = start + t;
            var o = 0;
            if (hasConstant)
            {
                x[o++] = 1;
            }

            var m = offset + (bias.Length == 0 ? 0 : bias[j]);
            for (var k = 0; k < rank; k++)
            {
                x[o++] = factors[(k * stride) + j];
                m += weights[k] * factors[(k * stride) + j];
            }

            mean[t] = m;
            if (variance.Length != 0)
            {
                double sum = 0;
                for (var a = 0; a < p; a++)
                {
                    for (var b = 0; b < p; b++)
                    {
                        sum += x[a] * c[(a * p) + b] * x[b];
                    }
                }

                variance[t] = sum;
            }
        }
    }
}
