using System.Globalization;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data.Formats;
using ForgetPredict.Reports;

namespace ForgetPredict.Server;

/// <summary>
/// Answers predict and replay queries from a stored model: the same numbers as <c>forgetpredict predict</c> and
/// <c>replay</c>, computed only as far as the answer needs.
/// </summary>
/// <remarks>
/// <para>The CLI's <see cref="ErasureReport"/> builds a record per example, sorts all of them and evaluates the exact normal
/// tail for each (about 70 ms for 141,816 examples). A query answers with the top K examples and the groups only, so here
/// a <see cref="RowScanner"/> kept with the model and grouping gives the shares, the expected count and the top lists
/// (exact: the same examples, means, stds and probabilities as the report), and group means and intervals come from
/// <see cref="FoldedTask.Average"/>, as the report computes them.</para>
/// </remarks>
internal static class Forecaster
{
    /// <summary>Most examples a query may list.</summary>
    public const int MaxTop = 1000;

    private static readonly double s_z90 = ErasureReport.NormalQuantile(0.95);
    private static readonly string[] s_priors = ["empirical", "ridge"];
    private static readonly string[] s_strategies = ["softmax", "topk", "stratified", "random"];

    public static PredictResponse Predict(StoredModel stored, PredictRequest request)
    {
        if (request.Top is < 0 or > MaxTop)
        {
            throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"\"top\" must be between 0 and {MaxTop} (got {request.Top})."));
        }

        if (request.Threshold is { } given && !double.IsFinite(given))
        {
            throw ApiException.BadRequest("\"threshold\" must be a finite number.");
        }

        var model = stored.Model;
        var grouping = stored.Grouping(request.GroupBy);
        var task = FoldIn(stored, request.Observed, request.Prior);
        var threshold = request.Threshold ?? task.DefaultThreshold;
        var scan = stored.Scanner(grouping).Scan(task, new RowScanOptions { Threshold = threshold, Top = request.Top, TopPerGroup = 3 });
        var examples = new ExampleDto[scan.Top.Count];
        for (var r = 0; r < examples.Length; r++)
        {
            var e = scan.Top[r];
            examples[r] = new ExampleDto(model.ExampleIds[e.Example], grouping?.Groups[e.Example], e.Mean, e.Std, e.Probability, r + 1);
        }

        var groups = grouping is null ? [] : Groups(task, grouping, scan, model);
        string? chart = null;
        if (request.Chart && groups.Count > 0)
        {
            chart = Charts.GroupBars([.. groups.Select(g => new GroupForecast(g.Name, g.Count, g.Mean, g.Lower, g.Upper, g.Share, []))], task.PredictsProbability);
        }

        var warnings = grouping?.Warning is { } warning ? new[] { warning } : [];
        return new PredictResponse(stored.Name, stored.Stamp.Version, stored.Method, stored.Description, task.IsTaskAgnostic, task.KnownCount,
            task.PredictsProbability, threshold, model.ExampleCount, scan.ExpectedForgotten, grouping?.Column, groups, examples, chart, warnings);
    }

    public static ReplayResponse Replay(StoredModel stored, ReplayRequest request)
    {
        var strategyName = request.Strategy ?? "softmax";
        var strategy = strategyName switch
        {
            "softmax" => ReplayStrategy.Softmax,
            "topk" => ReplayStrategy.TopK,
            "stratified" => ReplayStrategy.Stratified,
            "random" => ReplayStrategy.Random,
            _ => throw ApiException.BadRequest($"Unknown strategy '{strategyName}'{Core.Models.Suggestion.DidYouMean(strategyName, s_strategies)}; strategies: {string.Join(", ", s_strategies)}."),
        };
        var budget = Budget(request.Budget, request.Ratio, request.TaskSize);
        var model = stored.Model;
        var grouping = stored.Grouping(request.GroupBy);
        if (strategy == ReplayStrategy.Stratified && grouping is null)
        {
            throw ApiException.BadRequest("Strategy 'stratified' needs example groups: the model needs example metadata, and \"groupBy\" a column of it.");
        }

        var excluded = Excluded(request.Exclude, model);
        var task = FoldIn(stored, request.Observed, request.Prior);
        var predicted = task.PredictRow();
        var set = ReplaySelector.Select(predicted, grouping?.Groups, excluded, new ReplayOptions
        {
            Budget = budget,
            Strategy = strategy,
            Temperature = request.Temperature,
            MinPerGroup = request.MinPerGroup,
            Seed = request.Seed,
        });
        var items = set.Items.Select(i => new ReplayItemDto(model.ExampleIds[i.Example], i.Weight, i.Predicted, i.Group)).ToArray();
        var groups = grouping is null ? [] : set.Items
            .GroupBy(i => i.Example is var j && grouping.GroupOf[j] >= 0 ? grouping.GroupOf[j] : -1)
            .Select(g => new ReplayGroupDto(g.Key >= 0 ? grouping.Names[g.Key] : "(no metadata)", g.Count(), g.Key >= 0 ? grouping.Members[g.Key].Length : grouping.GroupOf.Count(x => x < 0)))
            .OrderByDescending(g => g.Replayed).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToArray();
        return new ReplayResponse(stored.Name, stored.Stamp.Version, strategyName, budget, set.Candidates, set.CoveredForgetting, set.RandomExpectation,
            double.IsFinite(set.Lift) ? set.Lift : null, grouping?.Column, items, groups);
    }

    /// <summary>The replay set as CSV: <c>example,weight,predicted,group</c> (the CLI's replay table).</summary>
    public static string Csv(ReplayResponse replay)
    {
        var text = new System.Text.StringBuilder("example,weight,predicted,group\n");
        foreach (var item in replay.Items)
        {
            text.Append(CultureInfo.InvariantCulture, $"{CsvText.Field(item.Example)},{item.Weight:R},{item.Predicted:R},{CsvText.Field(item.Group ?? string.Empty)}\n");
        }

        return text.ToString();
    }

    private static FoldedTask FoldIn(StoredModel stored, ObservedDto? observed, string? priorName)
    {
        var prior = (priorName ?? "empirical") switch
        {
            "empirical" => FoldInPrior.Empirical,
            "ridge" => FoldInPrior.Ridge,
            var other => throw ApiException.BadRequest($"Unknown prior '{other}'{Core.Models.Suggestion.DidYouMean(other, s_priors)}; priors: empirical, ridge."),
        };
        var model = stored.Model;
        var cells = observed is null || observed.Cells.Count == 0 ? ObservedCells.None : ObservedCells.FromPairs(observed.Cells, model.ExampleIds, "observed");
        if (model.PredictsProbability && cells.Values.Any(v => v is not (0 or 1)))
        {
            throw ApiException.BadRequest($"Model '{stored.Name}' is binary (logistic): measured cells must be 0 or 1 (1 = forgotten).");
        }

        return model.FoldIn(cells.Examples, cells.Values, new FoldInOptions { Prior = prior });
    }

    // Group means and intervals as ErasureReport computes them; shares and top examples from the scan; most damaged first.
    private static List<GroupDto> Groups(FoldedTask task, Grouping grouping, RowScan scan, IForgettingModel model)
    {
        var groups = new List<GroupDto>(grouping.Names.Count);
        for (var g = 0; g < grouping.Names.Count; g++)
        {
            var members = grouping.Members[g];
            var (groupMean, variance) = task.Average(members);
            var half = s_z90 * Math.Sqrt(Math.Max(variance, 0));
            groups.Add(new GroupDto(grouping.Names[g], members.Length, groupMean, groupMean - half, groupMean + half, scan.GroupExpected[g] / members.Length,
                [.. scan.GroupTop[g].Select(e => model.ExampleIds[e.Example])]));
        }

        groups.Sort(static (a, b) => b.Mean.CompareTo(a.Mean) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name));
        return groups;
    }

    private static int Budget(int? budget, int? ratio, long? taskSize)
    {
        if (budget is not null)
        {
            return ratio is null && taskSize is null && budget >= 0 ? budget.Value
                : throw ApiException.BadRequest(budget < 0 ? "\"budget\" must be at least 0." : "Give either \"budget\" or \"ratio\" with \"taskSize\", not both.");
        }

        if (ratio is null || taskSize is null || ratio < 1 || taskSize < 1)
        {
            throw ApiException.BadRequest("Give \"budget\": B, or \"ratio\": R with \"taskSize\": S (one replayed example per R of the task's S examples; both at least 1).");
        }

        return ReplayOptions.BudgetFromRatio(ratio.Value, taskSize.Value);
    }

    // Unknown ids are an error listing them (count and the first few), not silently ignored.
    private static HashSet<int>? Excluded(IReadOnlyList<string>? ids, IForgettingModel model)
    {
        if (ids is null || ids.Count == 0)
        {
            return null;
        }

        var set = new HashSet<int>();
        var unknown = new List<string>();
        foreach (var id in ids)
        {
            // As for measured cells: by id first, then by column index.
            var index = ObservedCells.ExampleIndex(model.ExampleIds, id, out _);
            if (index >= 0)
            {
                set.Add(index);
            }
            else
            {
                unknown.Add(id);
            }
        }

        if (unknown.Count > 0)
        {
            var shown = string.Join(", ", unknown.Take(5).Select(u => $"'{u}'"));
            throw ApiException.BadRequest(unknown.Count == 1
                ? $"exclude: example {shown} is not one of the model's {model.ExampleCount} examples."
                : string.Create(CultureInfo.InvariantCulture, $"exclude: {unknown.Count} of its {ids.Count} ids are not examples of the model (first: {shown})."));
        }

        return set;
    }
}
