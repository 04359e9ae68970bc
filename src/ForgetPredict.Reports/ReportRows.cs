using ForgetPredict.Core.Erasure;

namespace ForgetPredict.Reports;

/// <summary>
/// A group as a report shows it: what the forecast computed for it (count, mean, interval, share, top list), with how many of
/// its examples are new (cold columns predicted from their features). Reports render these rows; they compute no group statistic.
/// </summary>
/// <param name="Name">Group name.</param>
/// <param name="Count">Examples in the group, its new examples (<see cref="NewCount"/>) included.</param>
/// <param name="Mean">Expected mean forgetting over the group.</param>
/// <param name="Lower">Lower end of its interval.</param>
/// <param name="Upper">Upper end of its interval.</param>
/// <param name="Share">Expected share of its examples beyond the threshold.</param>
/// <param name="TopExamples">Ids of its most forgotten examples, most forgotten first.</param>
public sealed record ReportGroup(string Name, int Count, double Mean, double Lower, double Upper, double Share, IReadOnlyList<string> TopExamples)
{
    /// <summary>How many of <see cref="Count"/> are new examples (never measured on any task); 0 for a group of the model's examples alone.</summary>
    public int NewCount { get; init; }

    /// <summary>A group of an <see cref="ErasureReport"/> (the model's examples only: no new example).</summary>
    /// <param name="group">The report's group.</param>
    public static ReportGroup From(GroupForecast group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return new ReportGroup(group.Name, group.Count, group.MeanForgetting, group.Lower, group.Upper, group.ShareForgotten, [.. group.TopExamples.Select(e => e.Id)]);
    }

    /// <summary>The count as reports print it: "600", or "600 (200 new)" when some of the group's examples are new.</summary>
    public string CountText => NewCount > 0
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Count:N0} ({NewCount:N0} new)")
        : Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A prediction's new upstream examples (cold columns: never measured on any task, predicted from their features), as its
/// reports mention them: how many, how much wider their intervals are than the model's examples', how many are expected
/// forgotten and the most forgotten.
/// </summary>
/// <param name="Count">Number of new examples.</param>
/// <param name="Source">Where their features came from (file names), or null.</param>
/// <param name="StdRatio">Their median predictive std over the model's examples' median std.</param>
/// <param name="ExpectedForgotten">Expected number of them beyond the threshold.</param>
/// <param name="MostForgotten">The most forgotten of them (id and predicted forgetting), most forgotten first.</param>
public sealed record NewExamplesSummary(int Count, string? Source, double StdRatio, double ExpectedForgotten, IReadOnlyList<(string Id, double Predicted)> MostForgotten)
{
    /// <summary>The summary of a prediction's new examples.</summary>
    /// <param name="examples">The new examples' forecasts: id, predicted forgetting, std and probability of being forgotten.</param>
    /// <param name="modelStds">The model's examples' predictive stds (the yardstick of <see cref="StdRatio"/>).</param>
    /// <param name="source">Where their features came from, or null.</param>
    /// <param name="top">How many of the most forgotten to keep.</param>
    public static NewExamplesSummary Of(IReadOnlyList<(string Id, double Predicted, double Std, double Probability)> examples, IEnumerable<double> modelStds, string? source, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(modelStds);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        return new NewExamplesSummary(examples.Count, source, Median(examples.Select(e => e.Std)) / Median(modelStds), examples.Sum(e => e.Probability),
            [.. examples.OrderByDescending(e => e.Predicted).Take(top).Select(e => (e.Id, e.Predicted))]);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
