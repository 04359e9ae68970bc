namespace ForgetPredict.Core.Numerics;

/// <summary>
/// The normal distribution in double precision: the tail probability, the CDF, the quantile and erfc, exact to about
/// 1e-12 (the row kernels use the faster single-precision fit of <see cref="NormalTail"/>).
/// </summary>
public static class NormalDistribution
{
    /// <summary>P(X &gt; threshold) for X ~ N(mean, std^2); a step function when std is 0.</summary>
    public static double ExceedanceProbability(double mean, double std, double threshold) =>
        std > 0 ? 0.5 * Erfc(Math.Clamp((threshold - mean) / (std * Math.Sqrt(2)), -40, 40)) : (mean > threshold ? 1 : 0);

    /// <summary>
    /// The standard normal quantile: Newton's method on the lower-tail probability inside a shrinking bracket; the upper half
    /// uses the symmetry q(p) = -q(1 - p) so that tail probabilities keep their relative precision (|error| &lt; 1e-12).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in (0, 1).</exception>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Probability must be in (0, 1).");
        }

        if (p > 0.5)
        {
            return -NormalQuantile(1 - p);
        }

        // Lower half: x <= 0, Phi(x) = erfc(-x / sqrt 2) / 2 keeps full relative precision in the tail.
        double lo = -40, hi = 0, x = -1;
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var f = NormalCdf(x) - p;
            if (Math.Abs(f) <= 1e-16 * p)
            {
                break;
            }

            if (f > 0)
            {
                hi = x;
            }
            else
            {
                lo = x;
            }

            var density = Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
            var next = x - (f / density);
            x = next > lo && next < hi && double.IsFinite(next) ? next : (lo + hi) / 2;
            if (hi - lo < 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                break;
            }
        }

        return x;
    }

    /// <summary>The standard normal CDF.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// Complementary error function: the Maclaurin series of erf for |x| &lt; 2, and the continued fraction
    /// erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))) beyond (evaluated by the
    /// modified Lentz method; under 60 terms from 2). Relative error below 5e-13 (the series loses a little relative precision just
    /// below 2, where erfc is small); every call costs well under a microsecond.
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        var z = Math.Abs(x);
        double value;
        if (z < 2)
        {
            // erf(z) = 2 / sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1))
            double term = z, sum = z;
            for (var n = 1; n < 100; n++)
            {
                term *= -z * z / n;
                var add = term / ((2 * n) + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }

            value = 1 - (2 / Math.Sqrt(Math.PI) * sum);
        }
        else
        {
            // Continued fraction b0 + a1 / (b1 + a2 / (b2 + ...)) with b_k = z and a_k = k / 2.
            const double Tiny = 1e-300;
            var f = z;
            var c = z;
            var d = 0.0;
            for (var k = 1; k < 2000; k++)
            {
                var a = k / 2.0;
                d = z + (a * d);
                d = Math.Abs(d) < Tiny ? Tiny : d;
                c = z + (a / c);
                c = Math.Abs(c) < Tiny ? Tiny : c;
                d = 1 / d;
                var delta = c * d;
                f *= delta;
                if (Math.Abs(delta - 1) < 1e-16)
                {
                    break;
                }
            }

            value = Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
        }

        return x >= 0 ? value : 2 - value;
    }
}
