using System.Globalization;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Erasure;

/// <summary>Options of <see cref="ErasureReport.Create"/>.</summary>
public sealed record ErasureOptions
{
    /// <summary>
    /// Forgetting above this counts as "forgotten", a loss increase (continuous models). Null: <see cref="FoldedTask.DefaultThreshold"/>
    /// (0: any increase); forecasts pass the model's informative default, <see cref="ForgettingThreshold.Default"/>. A
    /// logistic task's predictions are already probabilities of being forgotten, summed for the expected count, so no
    /// threshold takes part: only null or its default 0.5 are taken there (another is refused with an <see cref="OptionException"/>).
    /// </summary>
    public double? Threshold { get; init; }

    /// <summary>How many top examples to list overall (and per group when <see cref="TopPerGroup"/> is null).</summary>
    public int Top { get; init; } = RowScanOptions.DefaultTop;

    /// <summary>How many of each group's top examples to list; null: <see cref="Top"/>.</summary>
    public int? TopPerGroup { get; init; }

    /// <summary>Two-sided coverage of the group intervals (default 90%).</summary>
    public double Coverage { get; init; } = 0.9;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        // The same bounds as RowScanOptions: a forecast lists the same examples whichever of the two makes it.
        if (Top is < 0 or > RowScanOptions.MaxTop)
        {
            throw new ArgumentOutOfRangeException(nameof(Top), Top, string.Create(CultureInfo.InvariantCulture, $"Top must be between 0 and {RowScanOptions.MaxTop}."));
        }

        if (TopPerGroup is < 0 or > RowScanOptions.MaxTop)
        {
            throw new ArgumentOutOfRangeException(nameof(TopPerGroup), TopPerGroup, string.Create(CultureInfo.InvariantCulture, $"TopPerGroup must be between 0 and {RowScanOptions.MaxTop}."));
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
        FromTaskPrior = task.FromTaskPrior;
        KnownCount = task.KnownCount;
        PredictsProbability = task.PredictsProbability;
        Threshold = threshold;
        Examples = ReadOnlyView.Of(examples);
        TopExamples = ReadOnlyView.Of(top);
        Groups = ReadOnlyView.Of(groups);
    }

    /// <summary>True when nothing about the new task was used (<see cref="FoldedTask.IsTaskAgnostic"/>: no measured cell, the
    /// model's own prior): the report describes the average past task.</summary>
    public bool IsTaskAgnostic { get; }

    /// <summary>True when the prediction started from a prior given for this task (<see cref="FoldedTask.FromTaskPrior"/>: its features).</summary>
    public bool FromTaskPrior { get; }

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
    /// <param name="exampleIds">The model's example ids, in the model's order (<see cref="IForgettingModel.ExampleIds"/>): the
    /// report names example j by the j-th id. When the task knows its model's ids (<see cref="FoldedTask.ExampleIds"/>, every
    /// fold-in of this library's models) they are checked against them; otherwise only their count and uniqueness can be.</param>
    /// <param name="groups">The example groups, or null to skip grouping.</param>
    /// <param name="options">Threshold, top count and coverage.</param>
    /// <exception cref="ArgumentException">The ids do not match the task's examples (their count, an id given twice, or not the
    /// model's ids in its order), or the groups cover another number of examples.</exception>
    public static ErasureReport Create(FoldedTask task, IReadOnlyList<string> exampleIds, ExampleGroups? groups = null, ErasureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(exampleIds);
        var o = options ?? new ErasureOptions();
        o.Validate();
        var n = task.ExampleCount;
        CheckIds(task, exampleIds);
        if (groups is not null && groups.ExampleCount != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The groups cover {groups.ExampleCount} examples; the task has {n}. Build them from the model's example ids."), nameof(groups));
        }

        ForgettingThreshold.CheckFor(task, o.Threshold);
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
            var probability = task.PredictsProbability ? mean[j] : NormalDistribution.ExceedanceProbability(mean[j], std[j], threshold);
            examples[j] = new ExampleForecast(j, exampleIds[j], groups?.Labels[j], mean[j], std[j], probability, rank[j]);
        }

        var top = order.Take(o.Top).Select(j => examples[j]).ToArray();
        var z = NormalDistribution.NormalQuantile(0.5 + (o.Coverage / 2));
        var groupForecasts = new List<GroupForecast>();
        if (groups is not null)
        {
            // One pass in rank order collects each group's top examples (already in rank order) and sums its probabilities.
            var perGroup = o.TopPerGroup ?? o.Top;
            var groupTop = new List<ExampleForecast>[groups.Count];
            var probability = new double[groups.Count];
            for (var g = 0; g < groups.Count; g++)
            {
                groupTop[g] = [];
            }

            foreach (var j in order)
            {
                var g = groups.GroupOf(j);
                if (g < 0)
                {
                    continue;
                }

                if (groupTop[g].Count < perGroup)
                {
                    groupTop[g].Add(examples[j]);
                }

                probability[g] += examples[j].Probability;
            }

            for (var g = 0; g < groups.Count; g++)
            {
                var members = groups.Members(g);
                var (groupMean, lower, upper) = GroupInterval(task, members, z);
                groupForecasts.Add(new GroupForecast(groups.Names[g], members.Length, groupMean, lower, upper, probability[g] / members.Length, ReadOnlyView.Of(groupTop[g])));
            }

            groupForecasts.Sort((a, b) => MostDamagedFirst(a.MeanForgetting, a.Name, b.MeanForgetting, b.Name));
        }

        return new ErasureReport(task, threshold, examples, top, groupForecasts);
    }

    /// <summary>
    /// A group's expected mean forgetting and its interval: the mean of <see cref="FoldedTask.Average"/> plus and minus
    /// <paramref name="z"/> of its standard deviation (z = the normal quantile of the interval's upper end), clipped to [0, 1]
    /// when the task predicts probabilities.
    /// </summary>
    /// <param name="task">The new task's prediction.</param>
    /// <param name="members">The group's examples.</param>
    /// <param name="z">Standard deviations on each side (1.645 for a 90% interval).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="z"/> is negative or not finite.</exception>
    /// <exception cref="ArgumentException">A member is not one of the task's examples.</exception>
    public static (double Mean, double Lower, double Upper) GroupInterval(FoldedTask task, ReadOnlySpan<int> members, double z)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!(z >= 0) || double.IsPositiveInfinity(z))
        {
            throw new ArgumentOutOfRangeException(nameof(z), z, "z is the number of standard deviations on each side of the mean (1.645 for a 90% interval): it must be finite and at least 0.");
        }

        var (mean, variance) = task.Average(members);
        var half = z * Math.Sqrt(Math.Max(variance, 0));

        // A mean of probabilities lies in [0, 1]: a logistic model's interval is clipped there (it had read -2% to 16%).
        return task.PredictsProbability ? (mean, Math.Max(mean - half, 0), Math.Min(mean + half, 1)) : (mean, mean - half, mean + half);
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

    // The ids name the task's examples: one per example, none twice, and the model's own in its order when the task knows them
    // (the model's ids are unique, so equal ids need no duplicate check; a mismatch says first whether an id is repeated).
    private static void CheckIds(FoldedTask task, IReadOnlyList<string> exampleIds)
    {
        var n = task.ExampleCount;
        if (exampleIds.Count != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{exampleIds.Count} example ids for a task of {n} examples; pass the model's ExampleIds."), nameof(exampleIds));
        }

        if (task.ExampleIds is not { } known)
        {
            CheckUnique(exampleIds);
            return;
        }

        if (ReferenceEquals(known, exampleIds) || (exampleIds is IdList { IsImplicit: true } && known.IsImplicit))
        {
            return;
        }

        for (var j = 0; j < n; j++)
        {
            if (!string.Equals(known[j], exampleIds[j], StringComparison.Ordinal))
            {
                CheckUnique(exampleIds);
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Example id {j} is '{exampleIds[j]}', but the model the task was folded into names example {j} '{known[j]}'; pass the model's ExampleIds, in its order."), nameof(exampleIds));
            }
        }
    }

    private static void CheckUnique(IReadOnlyList<string> exampleIds)
    {
        var seen = new Dictionary<string, int>(exampleIds.Count, StringComparer.Ordinal);
        for (var j = 0; j < exampleIds.Count; j++)
        {
            var id = exampleIds[j] ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Example id {j} is null; pass the model's ExampleIds."), nameof(exampleIds));
            if (!seen.TryAdd(id, j))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Example id '{id}' is given twice (positions {seen[id]} and {j}); pass the model's ExampleIds, one per example."), nameof(exampleIds));
            }
        }
    }
}
