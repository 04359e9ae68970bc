namespace ForgetPredict.Core.Numerics;

/// <summary>
/// The standard deviation of sigmoid(eta) for eta ~ N(mu, v): a logistic model's predictive std of a probability, which is at
/// most 0.5 (a delta-method std, sigmoid'(mu) sqrt(v), is unbounded: it had read 10.99 for a probability).
/// </summary>
/// <remarks>
/// Two fixed quadratures, so the result is deterministic and costs about 32 exponentials per value. For sd = sqrt(v) up to 1,
/// 12-point Gauss-Hermite in z (eta = mu + sd z) over the deviations sigmoid(mu + sd z) - sigmoid(mu), taken through tanh
/// near mu, so the std tends to the delta method as v goes to 0 without cancellation. Beyond it the integrand is a step on
/// the Gaussian's scale, which Gauss-Hermite resolves badly (40 nodes still missed by 0.04 at sd = 30), so
/// E[s^k] = Phi(mu / sd) + the integral of (s^k - step at 0) against N(mu, v), whose integrand decays as e^-|eta|:
/// 16-point Gauss-Laguerre on each side. Both agree with a 200,001-point integration within 6e-6 for mu in [-12, 12] and sd
/// from 1e-8 to 200. The mean is computed by the same rule, but callers keep their own (the model's probit-adjusted mean).
/// </remarks>
internal static class LogitNormal
{
    // Probabilists' Gauss-Hermite, 12 points, the non-negative half (the nodes are +-x), weights normalised to sum 1.
    private static readonly double[] s_hermiteNodes =
        [0.44440300194413895, 1.3403751971516167, 2.259464451000799, 3.2237098287700974, 4.2718258479322815, 5.500901704467748];

    private static readonly double[] s_hermiteWeights =
        [0.32166436151282995, 0.14696704804532995, 0.029116687912364173, 0.0022033806875332, 4.837184922590644e-05, 1.4999271676371623e-07];

    // Gauss-Laguerre, 16 points: the integral of e^-t f(t) over t >= 0.
    private static readonly double[] s_laguerreNodes =
    [
        0.08764941047892776, 0.4626963289150804, 1.1410577748312265, 2.1292836450983805, 3.4370866338932067, 5.078018614549768, 7.070338535048234,
        9.438314336391938, 12.21422336886616, 15.441527368781617, 19.180156856753136, 23.515905693991908, 28.57872974288214, 34.58339870228662,
        41.94045264768833, 51.70116033954332,
    ];

    private static readonly double[] s_laguerreWeights =
    [
        0.2061517149578049, 0.3310578549508783, 0.2657957776442144, 0.13629693429637874, 0.04732892869412563, 0.011299900080339598,
        0.0018490709435263271, 0.0002042719153082809, 1.4844586873981502e-05, 6.828319330871331e-07, 1.8810248410797222e-08,
        2.862350242973897e-10, 2.1270790332241214e-12, 6.29796700251788e-15, 5.050473700035608e-18, 4.161462370372851e-22,
    ];

    // Per Laguerre node t: w e^t (s(t) - 1) = -w s(t), w e^t s(-t) = w s(t) (k = 1); w e^t (s(t)^2 - 1) = -w s(t) (1 + s(t)),
    // w e^t s(-t)^2 = w s(t) s(-t) (k = 2): the step's corrections, computed once.
    private static readonly double[] s_first = [.. s_laguerreNodes.Select((t, i) => s_laguerreWeights[i] * Sigmoid(t))];
    private static readonly double[] s_secondAbove = [.. s_laguerreNodes.Select((t, i) => s_laguerreWeights[i] * Sigmoid(t) * (1 + Sigmoid(t)))];
    private static readonly double[] s_secondBelow = [.. s_laguerreNodes.Select((t, i) => s_laguerreWeights[i] * Sigmoid(t) * Sigmoid(-t))];

    /// <summary>The std of sigmoid(eta) for eta ~ N(<paramref name="mu"/>, <paramref name="variance"/>): in [0, 0.5].</summary>
    public static double Std(double mu, double variance)
    {
        if (!(variance > 0) || double.IsNaN(mu))
        {
            return double.IsNaN(mu) || double.IsNaN(variance) ? double.NaN : 0;
        }

        if (double.IsPositiveInfinity(variance))
        {
            return 0.5;
        }

        // sigmoid(eta) and 1 - sigmoid(eta) = sigmoid(-eta) have the same std: mu <= 0 keeps the moments small.
        mu = -Math.Abs(mu);
        var sd = Math.Sqrt(variance);
        var std = sd <= 1 ? Hermite(mu, sd) : Laguerre(mu, sd);
        return Math.Clamp(std, 0, 0.5);
    }

    private static double Hermite(double mu, double sd)
    {
        var p = Sigmoid(mu);
        double first = 0, second = 0;
        for (var i = 0; i < s_hermiteNodes.Length; i++)
        {
            foreach (var a in (ReadOnlySpan<double>)[sd * s_hermiteNodes[i], -sd * s_hermiteNodes[i]])
            {
                // sigmoid(mu + a) - sigmoid(mu) = sigmoid(mu + a) (1 - sigmoid(mu)) (1 - e^-a), exact for small a.
                var s = Sigmoid(mu + a);
                // 1 - e^-a = 2 tanh(a / 2) / (1 + tanh(a / 2)), accurate for small a (double.ExpM1 is Exp(x) - 1).
                var tanh = Math.Tanh(a / 2);
                var d = Math.Abs(a) < 1 ? 2 * tanh / (1 + tanh) * s * (1 - p) : s - p;
                first += s_hermiteWeights[i] * d;
                second += s_hermiteWeights[i] * d * d;
            }
        }

        return Math.Sqrt(Math.Max(second - (first * first), 0));
    }

    private static double Laguerre(double mu, double sd)
    {
        var step = NormalDistribution.NormalCdf(mu / sd);
        var density = 1 / (sd * Math.Sqrt(2 * Math.PI));
        double first = step, second = step;
        for (var i = 0; i < s_laguerreNodes.Length; i++)
        {
            var t = s_laguerreNodes[i];
            var above = density * Math.Exp(-0.5 * Square((t - mu) / sd));
            var below = density * Math.Exp(-0.5 * Square((-t - mu) / sd));
            first += s_first[i] * (below - above);
            second += (s_secondBelow[i] * below) - (s_secondAbove[i] * above);
        }

        return Math.Sqrt(Math.Max(second - (first * first), 0));

        static double Square(double x) => x * x;
    }

    /// <summary>The logistic function 1 / (1 + e^-x), without overflow for large |x|: the logistic models' link.</summary>
    internal static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
