using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Erasure;

/// <summary>Options of <see cref="ErasureReport.Create"/>.</summary>
public sealed record ErasureOptions
{
    /// <summary>
    /// Forgetting above this counts as "forgotten": a loss increase for continuous models (default 0: any increase), a
    /// probability for logistic models (default 0.5). Null picks the default for the model.
    /// </summary>
    public double? Threshold { get; init; }

    /// <summary>How many top examples to list (overall and per group).</summary>
    public int Top { get; init; } = 20;

    /// <summary>Two-sided coverage of the group intervals (default 90%).</summary>
    public double Coverage { get; init; } = 0.9;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Top < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Top), Top, "Top must be >= 0.");
        }

        if (!(Coverage > 0 && Coverage < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Coverage), Coverage, "Coverage must be in (0, 1).");
        }

        if (Threshold is { } t && !double.IsFinite(t))
        {
            throw new ArgumentOutOfRangeException(nameof(Threshold), t, "Threshold must be finite.");
        }
    }
}

/// <summary>One upstream example's predicted fate.</summary>
/// <param name="Example">Example index.</param>
/// <param name="Id">Example id.</param>
/// <param name="Group">Its group (data source), or null without grouping.</param>
/// <param name="Predicted">Predicted forgetting (a probability for logistic models).</param>
/// <param name="Std">Predictive standard deviation.</param>
/// <param name="Probability">Probability that its forgetting exceeds the threshold.</param>
/// <param name="Rank">1 for the most forgotten example.</param>
public sealed record ExampleForecast(int Example, string Id, string? Group, double Predicted, double Std, double Probability, int Rank);

/// <summary>A group of examples (a data source, a domain) and what the fine-tune is expected to do to it.</summary>
/// <param name="Name">Group name.</param>
/// <param name="Count">Number of examples in the group.</param>
/// <param name="MeanForgetting">Expected average forgetting over the group.</param>
/// <param name="Lower">Lower end of its interval (<see cref="ErasureOptions.Coverage"/>).</param>
/// <param name="Upper">Upper end of its interval.</param>
/// <param name="ShareForgotten">Expected fraction of the group's examples beyond the threshold.</param>
/// <param name="TopExamples">The group's most forgotten examples.</param>
public sealed record GroupForecast(string Name, int Count, double MeanForgetting, double Lower, double Upper, double ShareForgotten, IReadOnlyList<ExampleForecast> TopExamples);

/// <summary>
/// What a planned fine-tune is predicted to erase: every example's forecast, the most forgotten examples, and each group's
/// expected damage with an interval, groups sorted by expected mean forgetting (most damaged first).
/// </summary>
/// <remarks>
/// <para>The probability that example j is forgotten is P(z_j &gt; threshold) under the predictive normal N(mean_j, std_j^2)
/// for continuous models, and the predicted probability itself for logistic models (where "forgotten" is z = 1).</para>
/// <para>A group's interval accounts for the uncertainty of the new task's parameters, which every example shares, plus the
/// cell noise averaged over the group (see <see cref="FoldedTask.Average"/>), with a normal quantile for the coverage.</para>
/// </remarks>
public sealed class ErasureReport
{
    private ErasureReport(FoldedTask task, double threshold, IReadOnlyList<ExampleForecast> examples, IReadOnlyList<ExampleForecast> top, IReadOnlyList<GroupForecast> groups)
    {
        IsTaskAgnostic = task.IsTaskAgnostic;
        KnownCount = task.KnownCount;
        PredictsProbability = task.PredictsProbability;
        Threshold = threshold;
        Examples = examples;
        TopExamples = top;
        Groups = groups;
    }

    /// <summary>True when no cell of the new task was measured: the report describes the average past task.</summary>
    public bool IsTaskAgnostic { get; }

    /// <summary>Number of measured cells behind the prediction.</summary>
    public int KnownCount { get; }

    /// <summary>True when predictions are probabilities of forgetting.</summary>
    public bool PredictsProbability { get; }

    /// <summary>The threshold used for "forgotten".</summary>
    public double Threshold { get; }

    /// <summary>Every example, in example order.</summary>
    public IReadOnlyList<ExampleForecast> Examples { get; }

    /// <summary>The most forgotten examples, most forgotten first.</summary>
    public IReadOnlyList<ExampleForecast> TopExamples { get; }

    /// <summary>Groups by expected mean forgetting, most damaged first (empty without grouping).</summary>
    public IReadOnlyList<GroupForecast> Groups { get; }

    /// <summary>Builds the report for a folded-in task.</summary>
    /// <param name="task">The new task's prediction.</param>
    /// <param name="exampleIds">Example ids (the model's).</param>
    /// <param name="groups">Each example's group, or null to skip grouping; a null entry leaves that example ungrouped.</param>
    /// <param name="options">Threshold, top count and coverage.</param>
    /// <exception cref="ArgumentException">The ids or groups do not match the task's example count.</exception>
    public static ErasureReport Create(FoldedTask task, IReadOnlyList<string> exampleIds, IReadOnlyList<string?>? groups = null, ErasureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(exampleIds);
        var o = options ?? new ErasureOptions();
        o.Validate();
        var n = task.ExampleCount;
        if (exampleIds.Count != n || (groups is not null && groups.Count != n))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Ids and groups must have one entry per example ({n})."), nameof(exampleIds));
        }

        var threshold = o.Threshold ?? task.DefaultThreshold;
        var mean = new double[n];
        var std = new double[n];
        task.PredictRow(mean, std);
        var order = DescendingOrder(mean);
        var rank = new int[n];
        for (var r = 0; r < n; r++)
        {
            rank[order[r]] = r + 1;
        }

        var examples = new ExampleForecast[n];
        for (var j = 0; j < n; j++)
        {
            var probability = task.PredictsProbability ? mean[j] : ExceedanceProbability(mean[j], std[j], threshold);
            examples[j] = new ExampleForecast(j, exampleIds[j], groups?[j], mean[j], std[j], probability, rank[j]);
        }

        var top = order.Take(o.Top).Select(j => examples[j]).ToArray();
        var z = NormalQuantile(0.5 + (o.Coverage / 2));
        var groupForecasts = new List<GroupForecast>();
        if (groups is not null)
        {
            // One pass in rank order collects each group's members, its top examples (already in rank order) and its share.
            var members = new Dictionary<string, (List<int> Indices, List<ExampleForecast> Top, double Probability)>(StringComparer.Ordinal);
            foreach (var j in order)
            {
                if (groups[j] is not { } name)
                {
                    continue;
                }

                if (!members.TryGetValue(name, out var g))
                {
                    g = ([], [], 0);
                }

                g.Indices.Add(j);
                if (g.Top.Count < o.Top)
                {
                    g.Top.Add(examples[j]);
                }

                members[name] = (g.Indices, g.Top, g.Probability + examples[j].Probability);
            }

            foreach (var (name, g) in members)
            {
                var indices = g.Indices.ToArray();
                var (groupMean, lower, upper) = GroupInterval(task, indices, z);
                groupForecasts.Add(new GroupForecast(name, indices.Length, groupMean, lower, upper, g.Probability / indices.Length, g.Top));
            }

            groupForecasts.Sort((a, b) => MostDamagedFirst(a.MeanForgetting, a.Name, b.MeanForgetting, b.Name));
        }

        return new ErasureReport(task, threshold, examples, top, groupForecasts);
    }

    /// <summary>
    /// A group's expected mean forgetting and its interval: the mean of <see cref="FoldedTask.Average"/> plus and minus
    /// <paramref name="z"/> of its standard deviation (z = the normal quantile of the interval's upper end).
    /// </summary>
    /// <param name="task">The new task's prediction.</param>
    /// <param name="members">The group's examples.</param>
    /// <param name="z">Standard deviations on each side (1.645 for a 90% interval).</param>
    public static (double Mean, double Lower, double Upper) GroupInterval(FoldedTask task, ReadOnlySpan<int> members, double z)
    {
        ArgumentNullException.ThrowIfNull(task);
        var (mean, variance) = task.Average(members);
        var half = z * Math.Sqrt(Math.Max(variance, 0));
        return (mean, mean - half, mean + half);
    }

    /// <summary>The order of group reports: larger expected mean forgetting first, ties by name (ordinal).</summary>
    public static int MostDamagedFirst(double meanA, string nameA, double meanB, string nameB) =>
        meanB.CompareTo(meanA) is var c && c != 0 ? c : string.CompareOrdinal(nameA, nameB);

    // Indices by decreasing value, ties by increasing index: a primitive key sort, then each run of equal keys put in index order.
    private static int[] DescendingOrder(double[] values)
    {
        var keys = new double[values.Length];
        var order = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            keys[i] = -values[i];
            order[i] = i;
        }

        Array.Sort(keys, order);
        for (var a = 0; a < order.Length;)
        {
            var b = a;
            while (b + 1 < order.Length && keys[b + 1] == keys[a])
            {
                b++;
            }

            if (b > a)
            {
                Array.Sort(order, a, b - a + 1);
            }

            a = b + 1;
        }

        return order;
    }

    /// <summary>P(X &gt; threshold) for X ~ N(mean, std^2); a step function when std is 0.</summary>
    public static double ExceedanceProbability(double mean, double std, double threshold) =>
        std > 0 ? 0.5 * Erfc((threshold - mean) / (std * Math.Sqrt(2))) : (mean > threshold ? 1 : 0);

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
