using System.Globalization;
using System.Net;
using System.Text;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Erasure;

namespace ForgetPredict.Reports;

/// <summary>What <see cref="HtmlReports.Prediction"/> shows.</summary>
public sealed record PredictionReportInput
{
    /// <summary>Name of the planned fine-tune.</summary>
    public string TaskName { get; init; } = "the new task";

    /// <summary>One line about the model (method, rank, training shape).</summary>
    public required string ModelDescription { get; init; }

    /// <summary>The erasure forecast.</summary>
    public required ErasureReport Report { get; init; }

    /// <summary>Name of the grouping column (e.g. "source"), or null.</summary>
    public string? GroupColumn { get; init; }

    /// <summary>The training matrix summary for the heatmap, or null to omit it.</summary>
    public MatrixSummary? Summary { get; init; }

    /// <summary>How the report's threshold was chosen (a <c>ForgettingThreshold.Rule</c>), or null to leave it unsaid.</summary>
    public string? ThresholdRule { get; init; }

    /// <summary>
    /// The groups to show, most damaged first, as the forecast computed them (new examples counted in their groups, with
    /// <see cref="ReportGroup.NewCount"/>); null: the <see cref="Report"/>'s groups (the model's examples only).
    /// </summary>
    public IReadOnlyList<ReportGroup>? Groups { get; init; }

    /// <summary>The new upstream examples predicted from their features (cold columns), or null when there are none.</summary>
    public NewExamplesSummary? NewExamples { get; init; }

    /// <summary>
    /// True when the model was fitted on a 0/1 matrix and models it as continuous values (not probabilities): the threshold
    /// is then on the matrix's 0/1 scale, not a loss increase in nats.
    /// </summary>
    public bool BinaryMatrix { get; init; }

    /// <summary>What the forecast warned of (each a sentence, as the command line prints them), shown with the findings; empty for none.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>What <see cref="HtmlReports.Analysis"/> shows.</summary>
public sealed record AnalysisReportInput
{
    /// <summary>Name of the analysed file.</summary>
    public required string Source { get; init; }

    /// <summary>The analysis numbers.</summary>
    public required MatrixAnalysis Analysis { get; init; }

    /// <summary>The matrix summary for the heatmap, or null.</summary>
    public MatrixSummary? Summary { get; init; }

    /// <summary>Most fragile examples: id and mean forgetting over tasks.</summary>
    public IReadOnlyList<(string Id, double Value)> FragileExamples { get; init; } = [];

    /// <summary>Most disruptive tasks: id and mean forgetting over examples.</summary>
    public IReadOnlyList<(string Id, double Value)> DisruptiveTasks { get; init; } = [];
}

/// <summary>
/// Self-contained HTML reports: one file, inline CSS and SVG, no scripts and no network, readable in any browser.
/// </summary>
public static class HtmlReports
{
    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f6f7f9}
        main{max-width:960px;margin:0 auto;padding:24px}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
        .sub{color:#555;margin:0 0 16px}
        .card{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:16px;margin:12px 0;overflow-x:auto}
        .findings{border-left:5px solid #c0392b}.findings p{margin:6px 0;font-size:15px}
        .agnostic{background:#fff6e0;border:1px solid #f0c36d;border-radius:8px;padding:10px 14px}
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:5px 8px;border-bottom:1px solid #eceef1;text-align:right}
        th:first-child,td:first-child,th.l,td.l{text-align:left}th{background:#f0f2f5}
        .chart{max-width:100%;height:auto}.note{color:#666;font-size:12px}.warning{color:#8a5300}
        """;

    /// <summary>The prediction report: findings, group chart with intervals, distribution, top examples and (with a summary) the heatmap.</summary>
    public static string Prediction(PredictionReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Report;
        var groups = input.Groups ?? [.. r.Groups.Select(ReportGroup.From)];
        var n = r.Examples.Count;
        var forgotten = r.Examples.Sum(e => e.Probability);
        var html = Start($"What will fine-tuning on {input.TaskName} erase?");
        html.Append(CultureInfo.InvariantCulture, $"<h1>What will fine-tuning on {E(input.TaskName)} erase?</h1><p class=\"sub\">{E(input.ModelDescription)}; ");
        html.Append(r.KnownCount == 0
            ? r.FromTaskPrior ? "cold start: predicted from the task's features alone." : "no measured cells."
            : string.Create(CultureInfo.InvariantCulture, $"prediction from {r.KnownCount} measured cells{(r.FromTaskPrior ? " and the task's features" : string.Empty)}.")).Append("</p>");
        if (r.IsTaskAgnostic)
        {
            html.Append("<p class=\"agnostic\"><b>Task-agnostic estimate.</b> No cell of this task was measured, so this is what an average past fine-tune does. Measure 10-30 examples of a short pilot run and pass them with <code>--observed</code> for a task-specific forecast.</p>");
        }

        html.Append("<section class=\"card findings\" id=\"findings\"><h2 style=\"margin-top:0\">In short</h2>");
        if (groups.Count > 0)
        {
            var worst = groups[0];
            var best = groups[^1];
            var what = input.GroupColumn ?? "group";
            html.Append(CultureInfo.InvariantCulture, $"<p>Most damaged {E(what)}: <b>{E(worst.Name)}</b>, expected {Amount(r, worst.Mean)} (90% interval {Amount(r, worst.Lower)} to {Amount(r, worst.Upper)}); about {Charts.Percent(worst.Share)} of its {worst.Count:N0} examples{(worst.NewCount > 0 ? $" ({worst.NewCount:N0} new)" : string.Empty)} forgotten.</p>");
            if (groups.Count > 1)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>Least damaged: <b>{E(best.Name)}</b>, {Amount(r, best.Mean)}; {Charts.Percent(best.Share)} forgotten.</p>");
            }
        }

        html.Append(CultureInfo.InvariantCulture, $"<p>About <b>{Charts.ExpectedCount(forgotten)}</b> of {n:N0} upstream examples ({Charts.Percent(forgotten / Math.Max(n, 1))}) are expected to be forgotten ({(r.PredictsProbability ? "the sum of their probabilities" : $"beyond {Threshold(input)}")}).</p>");
        foreach (var warning in input.Warnings)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\"><b>Warning:</b> {E(warning)}</p>");
        }

        if (r.TopExamples.Count > 0)
        {
            var top = r.TopExamples[0];
            html.Append(CultureInfo.InvariantCulture, $"<p>Most forgotten example: <b>{E(top.Id)}</b>{(top.Group is null ? string.Empty : $" ({E(top.Group)})")}, {Amount(r, top.Predicted)} ± {Charts.Format(top.Std)}.</p>");
        }

        if (input.NewExamples is { Count: > 0 } cold)
        {
            // As the console's "cold columns" line: how many, how much wider their intervals are, the expected count and the most forgotten.
            html.Append(CultureInfo.InvariantCulture, $"<p id=\"new-examples\">New examples: <b>{cold.Count:N0}</b> never measured on any task, predicted from their features{(cold.Source is { } source ? $" ({E(source)})" : string.Empty)}, so their intervals are wider (median std {cold.StdRatio:0.0}x the model's examples'); ");
            html.Append(CultureInfo.InvariantCulture, $"about {Charts.ExpectedCount(cold.ExpectedForgotten)} of them expected to be forgotten{(groups.Any(g => g.NewCount > 0) ? ", counted in their groups but not in the total above" : ", not counted in the total above")}");
            html.Append(cold.MostForgotten.Count > 0 ? $"; most forgotten: {E(string.Join(", ", cold.MostForgotten.Select(e => $"{e.Id} ({Amount(r, e.Predicted)})")))}.</p>" : ".</p>");
        }

        html.Append("</section>");
        if (groups.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Expected damage by {E(input.GroupColumn ?? "group")}</h2><section class=\"card\" id=\"groups\">{Charts.GroupBars(groups, r.PredictsProbability, input.BinaryMatrix)}</section>");
            html.Append("<section class=\"card\"><table id=\"group-table\"><thead><tr><th>group</th><th>examples</th><th>expected mean</th><th>90% interval</th><th>share forgotten</th><th class=\"l\">most forgotten examples</th></tr></thead><tbody>");
            foreach (var g in groups)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(g.Name)}</td><td>{g.CountText}</td><td>{Amount(r, g.Mean)}</td><td>{Amount(r, g.Lower)} to {Amount(r, g.Upper)}</td><td>{Charts.Percent(g.Share, 1)}</td><td class=\"l\">{E(string.Join(", ", g.TopExamples.Take(3)))}</td></tr>");
            }

            html.Append("</tbody></table></section>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<h2>Distribution of predicted forgetting</h2><section class=\"card\" id=\"distribution\">{Charts.Histogram(r.Examples.Select(e => e.Predicted).ToArray(), r.Threshold, r.PredictsProbability, input.BinaryMatrix)}</section>");
        html.Append(CultureInfo.InvariantCulture, $"<h2>The {r.TopExamples.Count} examples most likely to be erased</h2><section class=\"card\"><table id=\"top-examples\"><thead><tr><th>rank</th><th class=\"l\">example</th>");
        if (groups.Count > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th class=\"l\">{E(input.GroupColumn ?? "group")}</th>");
        }

        html.Append("<th>predicted</th><th>± std</th><th>P(forgotten)</th></tr></thead><tbody>");
        foreach (var e in r.TopExamples)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{e.Rank}</td><td class=\"l\">{E(e.Id)}</td>");
            if (groups.Count > 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"l\">{E(e.Group ?? "-")}</td>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<td>{Amount(r, e.Predicted)}</td><td>{Charts.Format(e.Std)}</td><td>{Charts.Percent(e.Probability)}</td></tr>");
        }

        html.Append("</tbody></table></section>");
        if (input.Summary is { } summary)
        {
            var row = summary.BinRow(r.Examples.Select(e => e.Predicted).ToArray());
            html.Append(CultureInfo.InvariantCulture, $"<h2>Past fine-tunes and this one</h2><section class=\"card\" id=\"heatmap\">{Charts.Heatmap(summary, r.PredictsProbability ? null : row, $"{input.TaskName} (predicted)", input.BinaryMatrix)}");
            html.Append("<p class=\"note\">Rows: past tasks, most disruptive at the top. Columns: upstream examples binned and sorted by fragility (the model's example effect). The bottom row is this task's predicted forgetting on the same bins.</p></section>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">{(input.BinaryMatrix && !r.PredictsProbability ? "Forgetting is as the training matrix records it, 1 for an example forgotten and 0 for one kept, and this model predicts it as a continuous value, not a probability" : "Forgetting is the increase of an example's loss after fine-tuning (positive: forgotten)")}. Intervals cover the uncertainty of this task's parameters and the cell noise{(input.NewExamples is { Count: > 0 } ? ", and for new examples the error of predicting theirs from their features" : string.Empty)}. {(r.PredictsProbability ? "Each prediction is the probability that the example is forgotten, and the expected number forgotten is their sum (no threshold takes part; the histogram marks 0.5)" : $"Threshold for \"forgotten\": {Threshold(input)}{(input.ThresholdRule is { } rule ? $" ({E(rule)})" : "")}")}. Generated by ForgetPredict.</p>");
        return End(html);
    }

    /// <summary>The analysis report: R^2 against rank, the singular value spectrum, the heatmap, the most fragile examples and the most disruptive tasks.</summary>
    public static string Analysis(AnalysisReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var a = input.Analysis;
        var html = Start($"Forgetting analysis of {input.Source}");
        html.Append(CultureInfo.InvariantCulture, $"<h1>How low-rank is the forgetting in {E(input.Source)}?</h1><p class=\"sub\">{a.TaskCount:N0} tasks x {a.ExampleCount:N0} upstream examples, {Charts.Percent(a.MissingFraction, 1)} missing, mean forgetting {Charts.Format(a.Mean)}.</p>");
        var curve = a.Spectrum.RSquared;
        html.Append("<section class=\"card findings\" id=\"findings\"><h2 style=\"margin-top:0\">In short</h2>");
        html.Append(CultureInfo.InvariantCulture, $"<p>One factor (example fragility x task disruptiveness) explains <b>{Charts.Percent(curve.Length > 0 ? curve[0] : double.NaN)}</b> of the variance; the additive model explains {Charts.Percent(a.Additive)}.</p>");
        if (curve.Length > 5)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>Rank 5 explains {Charts.Percent(curve[4])}; each further rank up to {curve.Length} adds {Charts.Percent((curve[^1] - curve[4]) / (curve.Length - 5), 1)} on average.</p>");
        }
        else if (curve.Length == 5)
        {
            // (no rank beyond 5 was computed: nothing to say of what further ranks add)
            html.Append(CultureInfo.InvariantCulture, $"<p>Rank 5 explains {Charts.Percent(curve[4])}.</p>");
        }

        if (a.Spectrum.InSampleNote is { } inSample)
        {
            // A sparse matrix's curve reaches 1 by passing through its cells (pure noise with 90% missing: 0.98 at rank 5).
            html.Append(CultureInfo.InvariantCulture, $"<p><b>In-sample:</b> {E(inSample)}</p>");
        }

        html.Append("</section>");
        html.Append(CultureInfo.InvariantCulture, $"<h2>R² against rank</h2><section class=\"card\" id=\"r2\">{Charts.RSquaredCurve(curve, [("additive", a.Additive), ("rank-1", a.RankOne), ("task-only", a.TaskOnly), ("example-only", a.ExampleOnly)])}");
        if (a.Spectrum.FromObservedCells)
        {
            html.Append("<p class=\"note\">The matrix has missing cells: the curve comes from rank-r fits to the observed cells.</p>");
        }

        html.Append("</section>");
        html.Append(CultureInfo.InvariantCulture, $"<h2>Singular value spectrum</h2><section class=\"card\" id=\"spectrum\">{Charts.Spectrum(a.Spectrum.SingularValues)}</section>");
        if (input.Summary is { } summary)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>The matrix, sorted</h2><section class=\"card\" id=\"heatmap\">{Charts.Heatmap(summary, zeroOneScale: input.Analysis.IsBinary)}<p class=\"note\">Rows: tasks, most disruptive at the top. Columns: upstream examples binned and sorted by fragility.</p></section>");
        }

        html.Append("<h2>Most fragile examples and most disruptive tasks</h2><section class=\"card\" style=\"display:flex;gap:24px\">");
        html.Append(List("fragile-examples", "example", "mean forgetting over tasks", input.FragileExamples));
        html.Append(List("disruptive-tasks", "task", "mean forgetting over examples", input.DisruptiveTasks));
        html.Append("</section><p class=\"note\">R² = 1 - mean((Z - Zhat)²) / mean((Z - mean Z)²) over observed cells. Generated by ForgetPredict.</p>");
        return End(html);
    }

    private static string List(string id, string what, string value, IReadOnlyList<(string Id, double Value)> rows)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<table id=\"{id}\"><thead><tr><th class=\"l\">{what}</th><th>{value}</th></tr></thead><tbody>");
        foreach (var (name, v) in rows)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{E(name)}</td><td>{Charts.Format(v)}</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    private static StringBuilder Start(string title) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{E(title)}</title><style>{Style}</style></head><body><main>");

    private static string End(StringBuilder html) => html.Append("</main></body></html>\n").ToString();

    private static string Amount(ErasureReport r, double value) => r.PredictsProbability ? Charts.Percent(value) : Charts.Format(value);

    private static string Threshold(PredictionReportInput input) => input.Report.PredictsProbability
        ? string.Create(CultureInfo.InvariantCulture, $"probability {input.Report.Threshold:G3}")
        : input.BinaryMatrix ? $"{Charts.Format(input.Report.Threshold)} on the training matrix's 0/1 scale (not a probability)"
        : $"a loss increase of {Charts.Format(input.Report.Threshold)} nats";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
