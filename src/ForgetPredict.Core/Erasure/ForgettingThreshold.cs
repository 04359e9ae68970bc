using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Erasure;

/// <summary>
/// The value above which a predicted cell counts as "forgotten", and how it was chosen: given by the user, or the model's
/// default (<see cref="Default"/>).
/// </summary>
/// <param name="Value">The threshold: a loss increase for continuous models, a probability for binary (logistic) ones.</param>
/// <param name="Rule">How it was chosen, in words (e.g. "given", or the default's rule), for reports.</param>
/// <remarks>
/// <para>The default is unit-free: for continuous models it is the <see cref="PastQuantile"/> quantile of the training tasks'
/// forgetting as the model describes it, i.e. the value t at which the average, over examples, of P(z_j &gt; t) under the
/// task-agnostic predictive distribution N(mean_j, std_j^2) (the spread of the training tasks' parameters plus the cell
/// noise) equals 1 - <see cref="PastQuantile"/>. Scaling the matrix scales t the same way, so which examples count as
/// forgotten does not depend on the data's units; the average past fine-tune forgets 10% of the examples by construction,
/// a gentler one less, a more disruptive one more. Binary models keep probability 0.5.</para>
/// <para>Immutable. The default depends only on the model and is computed once per model instance.</para>
/// </remarks>
public sealed record ForgettingThreshold(double Value, string Rule)
{
    /// <summary>The quantile of the training tasks' forgetting used as the default threshold of continuous models.</summary>
    public const double PastQuantile = 0.9;

    /// <summary>The rule of a threshold the user gave.</summary>
    public const string GivenRule = "given";

    private static readonly ConditionalWeakTable<IForgettingModel, ForgettingThreshold> s_defaults = [];

    /// <summary>A threshold the user gave.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not finite.</exception>
    public static ForgettingThreshold Given(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Threshold must be a finite number.");
        }

        return new ForgettingThreshold(value, GivenRule);
    }

    /// <summary>The option a threshold is given by (<see cref="ErasureOptions.Threshold"/>), as messages name it.</summary>
    public const string OptionName = "ErasureOptions.Threshold";

    /// <summary>The rule of a binary model's threshold: there is none to choose (see <see cref="Resolve"/>).</summary>
    public const string BinaryRule = "none for a binary model: each prediction is the probability that the example is forgotten, and the expected number forgotten is their sum (0.5 only marks the histogram)";

    /// <summary>
    /// The threshold given, or the model's <see cref="Default"/> when <paramref name="given"/> is null. A binary (logistic)
    /// model's predictions are already probabilities of being forgotten, and the expected number forgotten is their sum, so
    /// no threshold takes part: one given for it is refused (0.5, its default, is taken as not given).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="given"/> is not finite.</exception>
    /// <exception cref="OptionException">A threshold other than 0.5 is given for a model that predicts probabilities.</exception>
    public static ForgettingThreshold Resolve(IForgettingModel model, double? given)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (given is not { } value)
        {
            return Default(model);
        }

        var threshold = Given(value);
        if (model.PredictsProbability)
        {
            return value == Default(model).Value ? Default(model) : throw NotForProbabilities(value);
        }

        return threshold;
    }

    // The report's and the scanner's check of their options: a probability task's threshold can only be its default, 0.5.
    internal static void CheckFor(FoldedTask task, double? given)
    {
        if (task.PredictsProbability && given is { } value && value != task.DefaultThreshold)
        {
            throw NotForProbabilities(value);
        }
    }

    /// <summary>Refuses a threshold given for a model that predicts probabilities (see <see cref="Resolve"/>): the one message.</summary>
    internal static OptionException NotForProbabilities(double value) => new(OptionMessage.Of(
        $"{new OptionReference(OptionName)} {value:G4} has no role for a binary (logistic) model: each example's prediction is already its probability of being forgotten, and the expected number forgotten is the sum of those probabilities. Leave {new OptionReference(OptionName)} out; to list the examples more likely than {value:G4} to be forgotten, keep the rows whose predicted value is above it."));

    /// <summary>
    /// The model's default threshold: probability 0.5 for binary models, else the <see cref="PastQuantile"/> quantile of the
    /// training tasks' forgetting (see the remarks of <see cref="ForgettingThreshold"/>).
    /// </summary>
    public static ForgettingThreshold Default(IForgettingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return s_defaults.GetValue(model, Compute);
    }

    private static ForgettingThreshold Compute(IForgettingModel model)
    {
        if (model.PredictsProbability)
        {
            return new ForgettingThreshold(0.5, BinaryRule);
        }

        // The average task's row: computed once per model and shared with the fold-in's scale check.
        var (mean, std) = FoldInScale.AverageTaskRow(model);
        var value = MixtureQuantile(mean, std, PastQuantile);
        var percent = (int)Math.Round(PastQuantile * 100);
        return new ForgettingThreshold(value, string.Create(CultureInfo.InvariantCulture,
            $"the default: the {percent}th percentile of the training tasks' forgetting ({100 - percent}% of their cells lie above it, as the model describes them)"));
    }

    /// <summary>
    /// The <paramref name="quantile"/> quantile of the equal-weight mixture of N(mean_j, std_j^2): the t at which the
    /// average of P(X_j &gt; t) is 1 - <paramref name="quantile"/>.
    /// </summary>
    /// <remarks>
    /// The mixture's quantile lies between the smallest and the largest of the components' own quantiles (below the smallest
    /// every component has less than the quantile's mass, above the largest every one has more), so that is the bracket; the
    /// root is found in it by regula falsi with the Illinois modification (superlinear, about ten passes over the row for
    /// double precision), to a width of 1e-12 of the bracket.
    /// </remarks>
    /// <exception cref="ArgumentException">The spans differ in length or are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantile"/> is not in (0, 1).</exception>
    public static double MixtureQuantile(ReadOnlySpan<double> mean, ReadOnlySpan<double> std, double quantile)
    {
        if (mean.Length != std.Length || mean.IsEmpty)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{mean.Length} means and {std.Length} stds; pass one std per mean, at least one."), nameof(std));
        }

        if (!(quantile > 0 && quantile < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must be in (0, 1).");
        }

        var z = NormalDistribution.NormalQuantile(quantile);
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (var j = 0; j < mean.Length; j++)
        {
            var component = mean[j] + (z * (double.IsFinite(std[j]) ? Math.Max(std[j], 0) : 0));
            lo = Math.Min(lo, component);
            hi = Math.Max(hi, component);
        }

        // g(t) = share above t - (1 - quantile): decreasing, g(lo) >= 0 >= g(hi). Zero-std components are steps, so the
        // bracket is widened by a hair to keep g(lo) > 0 > g(hi) strict where possible.
        var target = 1 - quantile;
        var tail = new double[mean.Length];
        var tolerance = 1e-12 * Math.Max(Math.Max(hi - lo, Math.Abs(hi)), double.Epsilon);
        lo -= tolerance;
        hi += tolerance;
        double gLo = Excess(mean, std, lo, tail) - target, gHi = Excess(mean, std, hi, tail) - target;
        var side = 0;
        for (var iteration = 0; iteration < 200 && hi - lo > tolerance; iteration++)
        {
            // Regula falsi step, or bisection when the secant leaves the bracket or the values do not bracket a sign change.
            var t = gLo > 0 && gHi < 0 ? hi - (gHi * (hi - lo) / (gHi - gLo)) : lo + ((hi - lo) / 2);
            if (!(t > lo && t < hi))
            {
                t = lo + ((hi - lo) / 2);
            }

            var g = Excess(mean, std, t, tail) - target;
            if (g == 0)
            {
                return t;
            }

            if (g > 0)
            {
                (lo, gLo) = (t, g);
                gHi = side == 1 ? gHi / 2 : gHi; // Illinois: halve the stale end's value when the same end moves twice
                side = 1;
            }
            else
            {
                (hi, gHi) = (t, g);
                gLo = side == -1 ? gLo / 2 : gLo;
                side = -1;
            }
        }

        // The bracket's upper end, where the share above is at most 1 - quantile (the quantile's definition, approached from
        // above): zero-std components closer together than the tolerance (an example-mean of identical cells, a fit's float
        // noise around 0) are atoms the midpoint could fall just below, counting every one of them as above the threshold (a
        // matrix of zeros with one 1 read 98% of its examples forgotten, beyond -1.56E-14).
        return hi;
    }

    // The average of P(X_j > t) over the components (tail: scratch of the row's length).
    private static double Excess(ReadOnlySpan<double> mean, ReadOnlySpan<double> std, double t, double[] tail)
    {
        NormalTail.Exceedance(mean, std, t, tail);
        return TensorPrimitives.Sum<double>(tail) / tail.Length;
    }
}
