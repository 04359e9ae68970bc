using System.Text.RegularExpressions;
using System.Xml;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Reports.Tests;

public partial class HtmlReportTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 31, Examples = 900, Groups = 4, Patterns = 3, Noise = 0.01, Seed = 5 });

    private static (string Html, ErasureReport Report) PredictionReport(int known = 30, bool summary = true)
    {
        var train = s_data.Matrix.SelectTasks(Enumerable.Range(0, 30).ToArray());
        var model = new LowRankFitter().FitLowRank(train);
        var cells = Protocol.Reveal(s_data.Matrix, 30, 0, new EvaluationOptions { Known = known });
        var fold = model.FoldIn(cells, cells.Select(j => (double)s_data.Matrix[30, j]).ToArray());
        var report = ErasureReport.Create(fold, model.ExampleIds, ExampleGroups.FromLabels(s_data.ExampleGroups), new ErasureOptions { Top = 12 });
        var html = HtmlReports.Prediction(new PredictionReportInput
        {
            TaskName = "task-030",
            ModelDescription = "mf rank 8 on 30 tasks",
            Report = report,
            GroupColumn = "source",
            Summary = summary ? MatrixSummary.ForModel(train, model) : null,
        });
        return (html, report);
    }

    [Fact]
    public void Prediction_IsSelfContainedWithChartsAndTables()
    {
        var (html, report) = PredictionReport();
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ExternalReference().Matches(html), m => !m.Value.Contains("www.w3.org/2000/svg", StringComparison.Ordinal));
        Assert.Equal(3, SvgElements().Count(html)); // groups, distribution, heatmap
        Assert.Contains("id=\"top-examples\"", html, StringComparison.Ordinal);
        Assert.Equal(12, Regex.Count(TableBody(html, "top-examples"), "<tr>"));
        Assert.Equal(4, Regex.Count(TableBody(html, "group-table"), "<tr>"));
        Assert.Contains($"Most damaged source: <b>{report.Groups[0].Name}</b>", html, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Prediction_EverySvgIsWellFormedXml()
    {
        var (html, _) = PredictionReport();
        foreach (Match svg in SvgElements().Matches(html))
        {
            var document = new XmlDocument();
            document.LoadXml(svg.Value);
            Assert.Equal("svg", document.DocumentElement!.Name);
            Assert.False(string.IsNullOrWhiteSpace(document.DocumentElement.GetAttribute("aria-label")), "every chart has an aria-label");
        }
    }

    [Fact]
    public void Prediction_GroupBarsFollowTheReportsOrder()
    {
        var (html, report) = PredictionReport();
        var groupChart = SvgElements().Matches(html)[0].Value;
        var positions = report.Groups.Select(g => groupChart.IndexOf($">{g.Name} (", StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
    }

    // The groups a caller passes (a forecast's, new examples counted in) are what the report shows; the report's own groups
    // passed back give the report it gives without them, to the byte.
    [Fact]
    public void Prediction_GivenGroups_AreShownAsGiven_AndTheReportsOwnGiveTheSameReport()
    {
        var (html, report) = PredictionReport();
        var input = new PredictionReportInput
        {
            TaskName = "task-030",
            ModelDescription = "mf rank 8 on 30 tasks",
            Report = report,
            GroupColumn = "source",
            Summary = MatrixSummary.ForModel(s_data.Matrix.SelectTasks(Enumerable.Range(0, 30).ToArray()), new LowRankFitter().FitLowRank(s_data.Matrix.SelectTasks(Enumerable.Range(0, 30).ToArray()))),
        };
        Assert.Equal(html, HtmlReports.Prediction(input));
        Assert.Equal(html, HtmlReports.Prediction(input with { Groups = [.. report.Groups.Select(ReportGroup.From)] }));

        ReportGroup[] groups =
        [
            new("wiki", 700, 0.9, 0.7, 1.1, 0.25, ["n7", "w1", "n3"]) { NewCount = 100 },
            new("brand-new", 50, 0.5, 0.1, 0.9, 0.125, ["n2"]) { NewCount = 50 },
            .. report.Groups.Skip(1).Select(ReportGroup.From),
        ];
        var cold = NewExamplesSummary.Of([("n7", 1.5, 0.4, 0.6), ("n2", 0.4, 0.5, 0.1), ("n3", 1.2, 0.3, 0.3)], [0.2, 0.25, 0.3], "new.csv");
        var shown = HtmlReports.Prediction(input with { Groups = groups, NewExamples = cold });
        var table = TableBody(shown, "group-table");
        Assert.Equal(groups.Length, Regex.Count(table, "<tr>"));
        Assert.Contains("<tr><td>wiki</td><td>700 (100 new)</td><td>0.9</td><td>0.7 to 1.1</td><td>25.0%</td><td class=\"l\">n7, w1, n3</td></tr>", table, StringComparison.Ordinal);
        Assert.Contains("<tr><td>brand-new</td><td>50 (50 new)</td>", table, StringComparison.Ordinal);
        Assert.Contains("Most damaged source: <b>wiki</b>, expected 0.9 (90% interval 0.7 to 1.1); about 25% of its 700 examples (100 new) forgotten.", shown, StringComparison.Ordinal);
        var chart = SvgElements().Matches(shown)[0].Value;
        Assert.Contains(">wiki (700, 100 new)<", chart, StringComparison.Ordinal);
        Assert.Contains(">brand-new (50, 50 new)<", chart, StringComparison.Ordinal);
        Assert.Contains("<p id=\"new-examples\">New examples: <b>3</b> never measured on any task, predicted from their features (new.csv), so their intervals are wider (median std 1.6x the model's examples'); about 1 of them expected to be forgotten, counted in their groups but not in the total above; most forgotten: n7 (1.5), n3 (1.2), n2 (0.4).</p>", shown, StringComparison.Ordinal);
        Assert.Contains("and for new examples the error of predicting theirs from their features", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Prediction_TaskAgnostic_IsLabelledAndHeatmapIsOptional()
    {
        var (html, _) = PredictionReport(known: 0, summary: false);
        Assert.Contains("Task-agnostic estimate", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"heatmap\"", html, StringComparison.Ordinal);
        Assert.Equal(2, SvgElements().Count(html));
    }

    [Fact]
    public void Prediction_AColdStartFromTheTasksFeatures_IsNotCalledTaskAgnostic()
    {
        // Given: a report of a new task predicted from a prior given for it (its features), with no measured cell.
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(s_data.Matrix);
        var prior = new GaussianPrior([.. model.TaskPrior!.Mean.ToArray().Select(m => m + 0.01)], model.TaskPrior.Covariance);
        var report = ErasureReport.Create(model.FoldIn([], [], new FoldInOptions { TaskPrior = prior }), model.ExampleIds);

        // When
        var html = HtmlReports.Prediction(new PredictionReportInput { TaskName = "new", ModelDescription = "mf", Report = report });

        // Then
        Assert.DoesNotContain("Task-agnostic estimate", html, StringComparison.Ordinal);
        Assert.Contains("cold start: predicted from the task's features alone.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Prediction_EscapesIdsAndNames()
    {
        var z = Core.ForgettingMatrix.Create(new float[,] { { 0.1f, 0.2f }, { 0.3f, 0.1f } }, null, ["<b>x</b>", "a&b"]);
        var model = new AdditiveFitter().Fit(z);
        var report = ErasureReport.Create(model.FoldIn([], []), model.ExampleIds, ExampleGroups.FromLabels(["<g>", "<g>"]));
        var html = HtmlReports.Prediction(new PredictionReportInput { TaskName = "<script>", ModelDescription = "m", Report = report, GroupColumn = "src" });
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>x</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Analysis_HasCurveSpectrumHeatmapAndLists()
    {
        var analysis = MatrixAnalysis.Run(s_data.Matrix, 8);
        var html = HtmlReports.Analysis(new AnalysisReportInput
        {
            Source = "synthetic",
            Analysis = analysis,
            Summary = MatrixSummary.ForModel(s_data.Matrix, new LowRankFitter().Fit(s_data.Matrix)),
            FragileExamples = [("ex-1", 0.2), ("ex-2", 0.1)],
            DisruptiveTasks = [("task-1", 0.3)],
        });
        Assert.Equal(3, SvgElements().Count(html));
        Assert.Contains("id=\"fragile-examples\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"disruptive-tasks\"", html, StringComparison.Ordinal);
        Assert.Equal(8, Regex.Count(SvgElements().Matches(html)[0].Value, "<circle"));
        foreach (Match svg in SvgElements().Matches(html))
        {
            new XmlDocument().LoadXml(svg.Value);
        }
    }

    // QA (binary forgetting): the analysis of a 0/1 matrix drew its heatmap's legend in nats of loss increase.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Analysis_OfABinaryMatrix_ReadsTheHeatmapOnItsZeroOneScale_NotInNats(bool binary)
    {
        var matrix = binary ? SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3 }).Matrix : s_data.Matrix;
        var html = HtmlReports.Analysis(new AnalysisReportInput
        {
            Source = "m.npy",
            Analysis = MatrixAnalysis.Run(matrix, 4),
            Summary = MatrixSummary.ForModel(matrix, new LowRankFitter().Fit(matrix)),
        });
        Assert.Equal(!binary, html.Contains("nats", StringComparison.Ordinal));
        Assert.Equal(binary, html.Contains("forgetting as the 0/1 matrix records it", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(8, true)]
    public void Analysis_SaysWhatFurtherRanksAdd_OnlyWhenItComputedThem(int maxRank, bool said)
    {
        // With --max-rank 5 the summary said "each further rank adds 0.0%", of ranks it never computed.
        var analysis = MatrixAnalysis.Run(s_data.Matrix, maxRank);
        var html = HtmlReports.Analysis(new AnalysisReportInput
        {
            Source = "synthetic",
            Analysis = analysis,
            Summary = MatrixSummary.ForModel(s_data.Matrix, new LowRankFitter().Fit(s_data.Matrix)),
            FragileExamples = [],
            DisruptiveTasks = [],
        });
        var curve = analysis.Spectrum.RSquared;

        Assert.Contains("<p>Rank 5 explains ", html, StringComparison.Ordinal);
        Assert.Equal(said, html.Contains("each further rank", StringComparison.Ordinal));
        if (said)
        {
            Assert.Contains($"each further rank up to 8 adds {Charts.Percent((curve[7] - curve[4]) / 3, 1)} on average", html, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0, 1, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [InlineData(-0.03, 0.27, new[] { -0.1, 0, 0.1, 0.2, 0.3 })]
    [InlineData(0.0012, 0.0049, new[] { 0.001, 0.002, 0.003, 0.004, 0.005 })]
    public void Ticks_AreNiceAndCoverTheRange(double min, double max, double[] expected)
    {
        Assert.Equal(expected, Charts.Ticks(min, max, 5));
    }

    // QA: the histogram's first tick (0.25 below predictions starting at 0.28) was drawn at x = -9.6, left of the plot, its
    // label clipped to a stray "5"; on charlm-d one lay at x = -146.
    [Theory]
    [InlineData(0.28, 0.93, 0.5)]
    [InlineData(-0.47, 2.2, 0.9)]
    [InlineData(0.0012, 0.0049, 0.004)]
    public void Histogram_DrawsEveryTickInsideThePlot(double low, double high, double threshold)
    {
        var values = Enumerable.Range(0, 200).Select(i => low + ((high - low) * i / 199)).ToArray();

        var svg = Charts.Histogram(values, threshold, probability: false);

        var ticks = System.Text.RegularExpressions.Regex.Matches(svg, "<text x=\"([-0-9.]+)\"[^>]*text-anchor=\"middle\"[^>]*>([-0-9.]+)</text>");
        Assert.NotEmpty(ticks);
        foreach (System.Text.RegularExpressions.Match tick in ticks)
        {
            var x = double.Parse(tick.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(x, 60, 880);
        }
    }

    private static string TableBody(string html, string id)
    {
        var start = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        var body = html.IndexOf("<tbody>", start, StringComparison.Ordinal);
        return html[body..html.IndexOf("</tbody>", body, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgElements();

    [GeneratedRegex("(href|src)=\"https?://[^\"]*\"|https?://[a-z0-9.-]+/[^\"' ]*", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}

public class PngTests
{
    [Fact]
    public void Png_IsDecodedByAnIndependentReader()
    {
        // 3 x 2 pixels; Python's zlib checks every chunk CRC and inflates the pixels.
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        var path = Path.Combine(RepoPaths.NewTempFolder(), "t.png");
        File.WriteAllBytes(path, Png.Encode(3, 2, rgb));
        var decoded = ExternalTool.RunPython("""
            import struct, sys, zlib
            data = open(sys.argv[1], 'rb').read()
            assert data[:8] == b'\x89PNG\r\n\x1a\n'
            pos, idat, size = 8, b'', None
            while pos < len(data):
                n, kind = struct.unpack('>I4s', data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + n]
                crc, = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
                assert zlib.crc32(kind + body) == crc, kind
                if kind == b'IHDR': size = struct.unpack('>IIBBBBB', body)
                if kind == b'IDAT': idat += body
                pos += 12 + n
            w, h = size[0], size[1]
            raw = zlib.decompress(idat)
            rows = [raw[r * (3 * w + 1) + 1:(r + 1) * (3 * w + 1)] for r in range(h)]
            print(w, h, size[2], size[3], ' '.join(str(b) for row in rows for b in row))
            """, path);
        Assert.Equal("3 2 8 2 " + string.Join(' ', rgb), decoded.Trim());
    }
}

public class FormatTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(0.6234, "0.623")]
    [InlineData(12.345, "12.35")]
    [InlineData(1234.5, "1234")]
    [InlineData(-0.000186, "-0.000186")]
    [InlineData(3e-9, "3E-9")]
    public void Format_PrintsPlainNumbersAtEverySize(double value, string expected) => Assert.Equal(expected, Charts.Format(value));

    [Fact]
    public void Percent_HasNoSpace() => Assert.Equal("64%", Charts.Percent(0.64));

    [Theory]
    [InlineData(0.07, "0.1")]
    [InlineData(0.0, "0")]
    [InlineData(2.44, "2.4")]
    [InlineData(9.96, "10")]
    [InlineData(2312.4, "2,312")]
    public void ExpectedCount_KeepsADecimalBelowTen(double count, string expected) => Assert.Equal(expected, Charts.ExpectedCount(count));
}
