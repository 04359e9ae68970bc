using System.Globalization;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Erasure;

namespace ForgetPredict.Reports;

/// <summary>The report charts as self-contained SVG strings (no scripts, no external resources).</summary>
public static class Charts
{
    private const string Ink = "#222";
    private const string Grid = "#d8d8d8";
    private const string Accent = "#2f5d8a";

    /// <summary>
    /// Horizontal bars of each group's expected mean forgetting with its interval as a whisker, most damaged first, each row
    /// annotated with the interval and the expected share of the group forgotten.
    /// </summary>
    /// <param name="groups">The groups.</param>
    /// <param name="probability">True when the values are probabilities of forgetting (a logistic model).</param>
    /// <param name="zeroOneScale">True when they are a Gaussian model's values on the 0/1 scale of the binary matrix it was
    /// fitted on, not loss increases (ignored for probabilities).</param>
    public static string GroupBars(IReadOnlyList<GroupForecast> groups, bool probability, bool zeroOneScale = false)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return GroupBars([.. groups.Select(ReportGroup.From)], probability, zeroOneScale);
    }

    /// <summary>
    /// Horizontal bars of each group's expected mean forgetting with its interval as a whisker, in the order given (most
    /// damaged first), each row annotated with the interval and the expected share of the group forgotten; a group with new
    /// examples says how many ("python (600, 600 new)").
    /// </summary>
    /// <param name="groups">The groups, in the order to show.</param>
    /// <param name="probability">True when the values are probabilities of forgetting (a logistic model).</param>
    /// <param name="zeroOneScale">True when they are a Gaussian model's values on the 0/1 scale of the binary matrix it was
    /// fitted on, not loss increases (ignored for probabilities).</param>
    public static string GroupBars(IReadOnlyList<ReportGroup> groups, bool probability, bool zeroOneScale = false)
    {
        ArgumentNullException.ThrowIfNull(groups);
        const double left = 190, right = 270, top = 10, rowHeight = 30, width = 900;
        var height = top + (groups.Count * rowHeight) + 40;
        var svg = new Svg(width, height, "Expected forgetting by group, with intervals");
        if (groups.Count == 0)
        {
            return svg.Text(10, 30, "no groups").ToString();
        }

        var min = Math.Min(0, groups.Min(g => g.Lower));
        var max = Math.Max(groups.Max(g => g.Upper), min + 1e-12);
        var ticks = Ticks(min, max, 5);
        min = Math.Min(min, ticks[0]);
        max = Math.Max(max, ticks[^1]);
        double X(double v) => left + ((v - min) / (max - min) * (width - left - right));
        var plotBottom = top + (groups.Count * rowHeight);
        foreach (var t in ticks)
        {
            svg.Line(X(t), top, X(t), plotBottom, Grid).Text(X(t), plotBottom + 16, Format(t), "middle", 11, "#555");
        }

        svg.Line(X(0), top, X(0), plotBottom, "#888", 1.5);
        var worst = groups.Max(g => g.Mean);
        for (var i = 0; i < groups.Count; i++)
        {
            var g = groups[i];
            var y = top + (i * rowHeight);
            var severity = worst > 0 ? Math.Clamp(g.Mean / worst, 0, 1) : 0;
            var title = string.Create(CultureInfo.InvariantCulture, $"{g.Name}: {Format(g.Mean)} (90% interval {Format(g.Lower)} to {Format(g.Upper)}), {Percent(g.Share)} forgotten, {g.Count} examples{(g.NewCount > 0 ? $" ({g.NewCount} new)" : string.Empty)}");
            var count = g.Count.ToString("N0", CultureInfo.InvariantCulture) + (g.NewCount > 0 ? $", {g.NewCount.ToString("N0", CultureInfo.InvariantCulture)} new" : string.Empty);
            svg.Text(left - 8, y + 19, $"{g.Name} ({count})", "end", 13, Ink, i == 0);
            svg.Rect(Math.Min(X(0), X(g.Mean)), y + 6, Math.Abs(X(g.Mean) - X(0)), rowHeight - 12, Heat(severity), title, "bar");
            svg.Line(X(g.Lower), y + (rowHeight / 2), X(g.Upper), y + (rowHeight / 2), Ink, 1.5)
                .Line(X(g.Lower), y + 9, X(g.Lower), y + rowHeight - 9, Ink, 1.5)
                .Line(X(g.Upper), y + 9, X(g.Upper), y + rowHeight - 9, Ink, 1.5);
            var note = probability
                ? $"{Percent(g.Mean)} forgotten [{Percent(g.Lower)}, {Percent(g.Upper)}]"
                : $"{Format(g.Mean)} [{Format(g.Lower)}, {Format(g.Upper)}] · {Percent(g.Share)} forgotten";
            svg.Text(width - right + 8, y + 19, note, "start", 12, Ink);
        }

        svg.Text(left + ((width - left - right) / 2), height - 4, probability ? "expected share of the group forgotten (bar) with 90% interval (whisker)" : $"expected mean forgetting, {(zeroOneScale ? "on the training matrix's 0/1 scale" : "loss increase in nats")} (bar) with 90% interval (whisker)", "middle", 11, "#555");
        return svg.ToString();
    }

    /// <summary>Histogram of predicted forgetting over every example, with the "forgotten" threshold marked.</summary>
    /// <param name="values">Every example's prediction.</param>
    /// <param name="threshold">The threshold for "forgotten".</param>
    /// <param name="probability">True when the values are probabilities of forgetting (a logistic model).</param>
    /// <param name="zeroOneScale">True when they are a Gaussian model's values on the 0/1 scale of the binary matrix it was
    /// fitted on, not loss increases (ignored for probabilities).</param>
    public static string Histogram(IReadOnlyList<double> values, double threshold, bool probability, bool zeroOneScale = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        const double left = 60, right = 20, top = 10, bottom = 45, width = 900, height = 240;
        var svg = new Svg(width, height, "Distribution of predicted forgetting");
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return svg.Text(10, 30, "no predictions").ToString();
        }

        double min = probability ? 0 : Math.Min(finite.Min(), threshold), max = probability ? 1 : Math.Max(finite.Max(), threshold);
        if (max <= min)
        {
            max = min + 1;
        }

        // The axis runs from the first tick to the last, as the group chart's, so every tick lies on it (a tick below the
        // smallest prediction had been drawn left of the plot, its label clipped to a stray digit).
        var ticks = Ticks(min, max, 6);
        min = Math.Min(min, ticks[0]);
        max = Math.Max(max, ticks[^1]);
        const int Bins = 48;
        var counts = new int[Bins];
        foreach (var v in finite)
        {
            counts[Math.Clamp((int)((v - min) / (max - min) * Bins), 0, Bins - 1)]++;
        }

        var peak = Math.Max(counts.Max(), 1);
        double X(double v) => left + ((v - min) / (max - min) * (width - left - right));
        double Y(double c) => height - bottom - (c / peak * (height - top - bottom));
        foreach (var t in ticks)
        {
            svg.Line(X(t), top, X(t), height - bottom, Grid).Text(X(t), height - bottom + 16, Format(t), "middle", 11, "#555");
        }

        var binWidth = (width - left - right) / Bins;
        for (var b = 0; b < Bins; b++)
        {
            var lower = min + ((max - min) * b / Bins);
            var forgotten = lower >= threshold;
            svg.Rect(left + (b * binWidth) + 0.5, Y(counts[b]), binWidth - 1, height - bottom - Y(counts[b]), forgotten ? "#c0392b" : "#7f9fbf",
                string.Create(CultureInfo.InvariantCulture, $"{counts[b]} examples from {Format(lower)} to {Format(lower + ((max - min) / Bins))}"));
        }

        svg.Line(X(threshold), top, X(threshold), height - bottom, "#c0392b", 2, dashed: true)
            .Text(X(threshold) + 4, top + 12, string.Create(CultureInfo.InvariantCulture, $"threshold {Format(threshold)}"), "start", 11, "#c0392b")
            .Text(left - 8, top + 10, peak.ToString("N0", CultureInfo.InvariantCulture), "end", 11, "#555")
            .Text(left - 8, height - bottom, "0", "end", 11, "#555")
            .Text(left + ((width - left - right) / 2), height - 8, probability ? "predicted probability of forgetting" : zeroOneScale ? "predicted forgetting (the training matrix's 0/1 scale, not a probability)" : "predicted forgetting (loss increase, nats)", "middle", 11, "#555")
            .VerticalText(18, top + ((height - top - bottom) / 2), "examples", 11, "#555");
        return svg.ToString();
    }

    /// <summary>R^2 against rank (the truncated-SVD curve) with the reference models as labelled horizontal lines.</summary>
    public static string RSquaredCurve(IReadOnlyList<double> curve, IReadOnlyList<(string Name, double Value)> references)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentNullException.ThrowIfNull(references);
        const double left = 60, right = 150, top = 15, bottom = 45, width = 900, height = 300;
        var svg = new Svg(width, height, "R^2 against rank");
        var lows = curve.Concat(references.Select(r => r.Value)).Where(double.IsFinite).DefaultIfEmpty(0).Min();
        var min = Math.Min(0, Math.Floor(lows * 10) / 10);
        const double max = 1;
        double X(int rank) => left + (curve.Count <= 1 ? 0 : (rank - 1.0) / (curve.Count - 1) * (width - left - right));
        double Y(double v) => height - bottom - ((v - min) / (max - min) * (height - top - bottom));
        foreach (var t in Ticks(min, max, 5))
        {
            svg.Line(left, Y(t), width - right, Y(t), Grid).Text(left - 6, Y(t) + 4, Format(t), "end", 11, "#555");
        }

        foreach (var (name, value) in references)
        {
            if (double.IsFinite(value))
            {
                svg.Line(left, Y(value), width - right, Y(value), "#999", 1, dashed: true).Text(width - right + 6, Y(value) + 4, string.Create(CultureInfo.InvariantCulture, $"{name} {value:F3}"), "start", 11, "#555");
            }
        }

        svg.Polyline(curve.Select((v, i) => (X(i + 1), Y(v))), Accent, 2.5);
        for (var i = 0; i < curve.Count; i++)
        {
            svg.Circle(X(i + 1), Y(curve[i]), 4, Accent, string.Create(CultureInfo.InvariantCulture, $"rank {i + 1}: R^2 {curve[i]:F4}"))
                .Text(X(i + 1), height - bottom + 16, (i + 1).ToString(CultureInfo.InvariantCulture), "middle", 11, "#555");
        }

        svg.Text(left + ((width - left - right) / 2), height - 8, "rank of the truncated SVD", "middle", 11, "#555")
            .VerticalText(18, top + ((height - top - bottom) / 2), "R²", 12, "#555");
        return svg.ToString();
    }

    /// <summary>Share of the matrix's energy (squared singular values) in each of the leading components.</summary>
    public static string Spectrum(IReadOnlyList<double> singularValues, int show = 20)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        const double left = 60, right = 20, top = 15, bottom = 45, width = 900, height = 240;
        var svg = new Svg(width, height, "Singular value spectrum");
        var total = singularValues.Sum(s => s * s);
        var shares = singularValues.Take(show).Select(s => total > 0 ? s * s / total : 0).ToArray();
        if (shares.Length == 0)
        {
            return svg.Text(10, 30, "no singular values").ToString();
        }

        var max = Ticks(0, shares.Max(), 4)[^1];
        var barWidth = (width - left - right) / shares.Length;
        double Y(double v) => height - bottom - (v / max * (height - top - bottom));
        foreach (var t in Ticks(0, max, 4))
        {
            svg.Line(left, Y(t), width - right, Y(t), Grid).Text(left - 6, Y(t) + 4, Percent(t), "end", 11, "#555");
        }

        for (var k = 0; k < shares.Length; k++)
        {
            svg.Rect(left + (k * barWidth) + 2, Y(shares[k]), barWidth - 4, height - bottom - Y(shares[k]), Accent,
                    string.Create(CultureInfo.InvariantCulture, $"component {k + 1}: singular value {singularValues[k]:G4}, {Percent(shares[k], 1)} of the energy"))
                .Text(left + ((k + 0.5) * barWidth), height - bottom + 16, (k + 1).ToString(CultureInfo.InvariantCulture), "middle", 11, "#555");
        }

        svg.Text(left + ((width - left - right) / 2), height - 8, "component (by singular value)", "middle", 11, "#555");
        return svg.ToString();
    }

    /// <summary>
    /// The past tasks x examples matrix (binned, sorted by the leading factors) as a heatmap, with an optional extra row (the
    /// new task's prediction) drawn beneath it, and a colour legend.
    /// </summary>
    /// <param name="summary">The binned matrix.</param>
    /// <param name="extraRow">The new task's predicted row, binned as the matrix's examples, or null.</param>
    /// <param name="extraLabel">The extra row's label.</param>
    /// <param name="zeroOneScale">True for a 0/1 matrix (1 = forgotten): the legend then reads on that scale, not in nats of loss increase.</param>
    public static string Heatmap(MatrixSummary summary, IReadOnlyList<double>? extraRow = null, string extraLabel = "new task (predicted)", bool zeroOneScale = false)
    {
        ArgumentNullException.ThrowIfNull(summary);
        const double left = 140, top = 10, plotWidth = 720, width = 900;
        var rows = summary.TaskOrder.Count;
        var rowHeight = Math.Clamp(360.0 / Math.Max(rows, 1), 2, 14);
        var plotHeight = rows * rowHeight;
        var extraTop = top + plotHeight + 10;
        var height = extraTop + (extraRow is null ? 0 : 24) + 60;
        var svg = new Svg(width, height, "Past tasks by examples, sorted by the leading factors");
        var values = summary.Values.ToArray().Where(float.IsFinite).Select(v => Math.Abs((double)v)).Order().ToArray();
        var scale = values.Length == 0 ? 1 : Math.Max(values[(int)(0.98 * (values.Length - 1))], 1e-12);
        var pixels = new byte[rows * summary.BinCount * 3];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < summary.BinCount; c++)
            {
                Colour(summary[r, c], scale, pixels.AsSpan(((r * summary.BinCount) + c) * 3, 3));
            }
        }

        svg.Image(left, top, plotWidth, plotHeight, DataUri(Png.Encode(summary.BinCount, rows, pixels)));
        if (rows <= 40)
        {
            for (var r = 0; r < rows; r++)
            {
                svg.Text(left - 6, top + ((r + 0.75) * rowHeight), summary.TaskIds[summary.TaskOrder[r]], "end", Math.Min(11, rowHeight), "#444");
            }
        }
        else
        {
            svg.Text(left - 6, top + 12, "most disruptive", "end", 11, "#444").Text(left - 6, top + plotHeight, "least disruptive", "end", 11, "#444");
        }

        if (extraRow is not null)
        {
            var extra = new byte[summary.BinCount * 3];
            for (var c = 0; c < summary.BinCount; c++)
            {
                Colour(extraRow[c], scale, extra.AsSpan(c * 3, 3));
            }

            svg.Image(left, extraTop, plotWidth, 20, DataUri(Png.Encode(summary.BinCount, 1, extra)))
                .Text(left - 6, extraTop + 15, extraLabel.Length > 22 ? extraLabel[..21] + "…" : extraLabel, "end", 11, Ink, bold: true);
        }

        var legendTop = height - 40;
        var legend = new byte[64 * 3];
        for (var c = 0; c < 64; c++)
        {
            Colour(((c / 63.0 * 2) - 1) * scale, scale, legend.AsSpan(c * 3, 3));
        }

        svg.Image(left, legendTop, 240, 12, DataUri(Png.Encode(64, 1, legend)))
            .Text(left, legendTop + 26, Format(-scale), "start", 11, "#555")
            .Text(left + 120, legendTop + 26, "0", "middle", 11, "#555")
            .Text(left + 240, legendTop + 26, zeroOneScale ? Format(scale) : string.Create(CultureInfo.InvariantCulture, $"{Format(scale)} nats"), "end", 11, "#555")
            .Text(left + 260, legendTop + 10, zeroOneScale ? "forgetting as the 0/1 matrix records it (red: forgotten)" : "loss increase (blue: the fine-tune helped, red: forgotten)", "start", 11, "#555")
            .Text(left + (plotWidth / 2), legendTop - 6, "examples sorted by fragility → most fragile on the left", "middle", 11, "#555");
        return svg.ToString();
    }

    /// <summary>"Nice" axis ticks covering [min, max].</summary>
    internal static double[] Ticks(double min, double max, int count)
    {
        if (!(max > min))
        {
            return [min];
        }

        var raw = (max - min) / Math.Max(count, 1);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * magnitude).First(s => s >= raw);
        var decimals = Math.Clamp(1 - (int)Math.Floor(Math.Log10(step)), 0, 15);
        var first = (long)Math.Floor(min / step);
        var ticks = new List<double>();
        for (var k = first; (k * step) <= max + (step * 0.999); k++)
        {
            ticks.Add(Math.Round(k * step, decimals));
        }

        return [.. ticks];
    }

    /// <summary>A fraction as a percentage without a space ("64%"), culture-invariant: how every report prints shares.</summary>
    public static string Percent(double fraction, int decimals = 0) =>
        (fraction * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// An expected count of examples: whole above 10 ("1,234"), with a decimal below ("0.1", "2.4"), so a small expectation
    /// beside its percentage does not read "0 of 1 examples (7%)".
    /// </summary>
    public static string ExpectedCount(double count) =>
        count.ToString(Math.Abs(count) >= 10 ? "N0" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>A number with as many digits as its size needs (0.623, 12.5, 3.1E-05), culture-invariant: how every report prints values.</summary>
    public static string Format(double value)
    {
        var abs = Math.Abs(value);
        var text = value == 0 ? "0"
            : abs >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture)
            : abs >= 1 ? value.ToString("0.##", CultureInfo.InvariantCulture)
            : abs >= 0.001 ? value.ToString("0.###", CultureInfo.InvariantCulture)
            : abs >= 1e-6 ? value.ToString("0.######", CultureInfo.InvariantCulture)
            : value.ToString("0.##E0", CultureInfo.InvariantCulture);
        return text == "-0" ? "0" : text;
    }

    // White to deep red by severity in [0, 1].
    private static string Heat(double severity)
    {
        var r = (int)Math.Round(253 - (severity * (253 - 165)));
        var g = (int)Math.Round(208 - (severity * (208 - 15)));
        var b = (int)Math.Round(162 - (severity * (162 - 21)));
        return string.Create(CultureInfo.InvariantCulture, $"rgb({r},{g},{b})");
    }

    // Diverging blue-white-red; NaN is light grey.
    private static void Colour(double value, double scale, Span<byte> rgb)
    {
        if (!double.IsFinite(value))
        {
            rgb[0] = rgb[1] = rgb[2] = 225;
            return;
        }

        var t = Math.Clamp(value / scale, -1, 1);
        (double R, double G, double B) end = t >= 0 ? (178, 24, 43) : (33, 102, 172);
        var a = Math.Abs(t);
        rgb[0] = (byte)Math.Round(255 + ((end.R - 255) * a));
        rgb[1] = (byte)Math.Round(255 + ((end.G - 255) * a));
        rgb[2] = (byte)Math.Round(255 + ((end.B - 255) * a));
    }

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
