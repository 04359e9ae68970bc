using System.Globalization;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>
/// A Gaussian prior N(mean, covariance) on a task's parameter vector (a_i, U_i): what the training tasks imply
/// about a task the model has not seen. The empirical fold-in uses it.
/// </summary>
/// <remarks>Immutable. The covariance is symmetric positive definite (validated on construction).</remarks>
public sealed class GaussianPrior
{
    private readonly double[] _mean;
    private readonly double[] _covariance;
    private readonly double[] _precision;
    private readonly double[] _precisionTimesMean;

    /// <summary>Creates a prior from its mean (length p) and covariance (p x p, row-major).</summary>
    /// <exception cref="ArgumentException">Sizes disagree, a value is not finite, or the covariance is not symmetric positive definite.</exception>
    public GaussianPrior(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance)
    {
        var p = mean.Length;
        if (covariance.Length != p * p)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Covariance has {covariance.Length} entries; a {p}-dimensional prior needs {p * p}."), nameof(covariance));
        }

        foreach (var v in mean)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("Prior mean must be finite.", nameof(mean));
            }
        }

        for (var r = 0; r < p; r++)
        {
            for (var c = 0; c < p; c++)
            {
                var x = covariance[(r * p) + c];
                if (!double.IsFinite(x) || Math.Abs(x - covariance[(c * p) + r]) > 1e-9 * (Math.Abs(x) + 1e-300))
                {
                    throw new ArgumentException("Prior covariance must be finite and symmetric.", nameof(covariance));
                }
            }
        }

        _mean = mean.ToArray();
        _covariance = covariance.ToArray();
        _precision = covariance.ToArray();
        if (!Cholesky.Factor(_precision, p))
        {
            throw new ArgumentException("Prior covariance is not positive definite.", nameof(covariance));
        }

        Cholesky.Invert(_precision, p);
        _precisionTimesMean = new double[p];
        for (var r = 0; r < p; r++)
        {
            double s = 0;
            for (var c = 0; c < p; c++)
            {
                s += _precision[(r * p) + c] * _mean[c];
            }

            _precisionTimesMean[r] = s;
        }

        if (!FactorModel.AllFinite(_precision) || !FactorModel.AllFinite(_precisionTimesMean))
        {
            throw new ArgumentException("Prior covariance is too close to singular: its inverse overflows.", nameof(covariance));
        }
    }

    /// <summary>Dimension p of the parameter vector.</summary>
    public int Dimension => _mean.Length;

    /// <summary>Prior mean (length p).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Prior covariance (p x p, row-major).</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>Inverse of the covariance (p x p, row-major).</summary>
    internal ReadOnlySpan<double> Precision => _precision;

    /// <summary>Precision times mean (length p).</summary>
    internal ReadOnlySpan<double> PrecisionTimesMean => _precisionTimesMean;

    /// <summary>The prior of the task vector D x for D = diag(<paramref name="factors"/>): mean D m, covariance D C D.</summary>
    /// <exception cref="ArgumentException">The factor count differs from <see cref="Dimension"/>.</exception>
    public GaussianPrior Scaled(ReadOnlySpan<double> factors)
    {
        var p = Dimension;
        if (factors.Length != p)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{factors.Length} scale factors for a {p}-dimensional prior."), nameof(factors));
        }

        var mean = new double[p];
        var covariance = new double[p * p];
        for (var r = 0; r < p; r++)
        {
            mean[r] = _mean[r] * factors[r];
            for (var c = 0; c < p; c++)
            {
                covariance[(r * p) + c] = factors[r] * _covariance[(r * p) + c] * factors[c];
            }
        }

        return new GaussianPrior(mean, covariance);
    }

    /// <summary>
    /// Estimates the prior from the rows of <paramref name="parameters"/> (count x p, row-major) whose
    /// <paramref name="include"/> flag is set: sample mean, and sample covariance shrunk toward its diagonal
    /// with weight p / (n + p) plus a floor of 1e-6 of the mean variance, so that it stays positive definite
    /// with few tasks. Returns null with fewer than two usable rows.
    /// </summary>
    internal static GaussianPrior? Estimate(ReadOnlySpan<double> parameters, int p, ReadOnlySpan<bool> include)
    {
        var count = include.Length;
        var n = 0;
        var mean = new double[p];
        for (var i = 0; i < count; i++)
        {
            if (include[i])
            {
                n++;
                for (var k = 0; k < p; k++)
                {
                    mean[k] += parameters[(i * p) + k];
                }
            }
        }

        if (n < 2 || p == 0)
        {
            return null;
        }

        for (var k = 0; k < p; k++)
        {
            mean[k] /= n;
        }

        var cov = new double[p * p];
        for (var i = 0; i < count; i++)
        {
            if (!include[i])
            {
                continue;
            }

            for (var k = 0; k < p; k++)
            {
                var dk = parameters[(i * p) + k] - mean[k];
                for (var l = 0; l <= k; l++)
                {
                    cov[(k * p) + l] += dk * (parameters[(i * p) + l] - mean[l]);
                }
            }
        }

        double meanVariance = 0;
        for (var k = 0; k < p; k++)
        {
            for (var l = 0; l <= k; l++)
            {
                cov[(k * p) + l] /= n - 1;
                cov[(l * p) + k] = cov[(k * p) + l];
            }

            meanVariance += cov[(k * p) + k] / p;
        }

        var shrink = (double)p / (n + p);
        var floor = Math.Max(meanVariance, 1e-300) * 1e-6;
        for (var k = 0; k < p; k++)
        {
            for (var l = 0; l < p; l++)
            {
                if (k != l)
                {
                    cov[(k * p) + l] *= 1 - shrink;
                }
            }

            cov[(k * p) + k] += floor;
        }

        return new GaussianPrior(mean, cov);
    }
}
