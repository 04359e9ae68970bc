using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ForgetPredict.Reports;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

// QA: predict --html drew its groups from the model's examples alone (the Core report), so with new examples (cold columns)
// grouped by --examples/--group-by it left them out ('perl 400', no python) while the console, --out and --json counted them.
public partial class HtmlNewExamplesTests
{
    private static string Data(string file) => RepoPaths.Data("charlm-d", file);

    [Fact]
    public void Predict_Html_WithNewExamplesGrouped_ShowsTheForecastsGroups_AsJsonDoes()
    {
        // Given: the README's cold columns recipe on charlm-d (task 3 held out, the first 4,000 chunks measured; the last 800,
        // 600 python and 200 perl, never measured; 31 of task 3's cells, every 130th chunk).
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(Data("z.npy"));
        var emb = ForgetPredict.Data.MatrixFile.Read(Data("example_emb.npy"));
        const int known = 4000;
        var tasks = Enumerable.Range(0, z.TaskCount).Where(i => i != 3).ToArray();
        var z30 = TestMatrices.Write(dir, "z30.npy", tasks.Length, known, (i, j) => z[tasks[i], j]);
        var emb4000 = TestMatrices.Write(dir, "emb4000.npy", known, emb.ExampleCount, (i, j) => emb[i, j]);
        var observed = Path.Combine(dir, "obs3.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 31).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i * 130},{z[3, i * 130]:R}"))]);
        var model = Path.Combine(dir, "m30.fpm");
        var (code, _, error) = CliRunner.Run("fit", z30, "--method", "mf", "--out", model, "--example-features", Data("upstream.csv"), "--example-features", emb4000);
        Assert.True(code == 0, error);

        // When: predicted with every chunk's features, grouped by source, with --html and --json.
        var html = Path.Combine(dir, "report.html");
        var json = Path.Combine(dir, "p.json");
        (code, var output, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--example-features", Data("upstream.csv"), "--example-features", Data("example_emb.npy"),
            "--examples", Data("upstream.csv"), "--group-by", "source", "--top", "3", "--html", html, "--json", json);
        Assert.True(code == 0, error);
        var page = File.ReadAllText(html);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var groups = summary.RootElement.GetProperty("groups").EnumerateArray().ToArray();

        // Then: the HTML group table has the forecast's groups, in its order, with the same counts, means, intervals, shares and
        // top examples as --json (as the HTML prints numbers), a group with new examples saying how many.
        var rows = GroupTable(page);
        Assert.Equal(groups.Select(g => g.GetProperty("name").GetString()), rows.Select(r => r[0]));
        Assert.Equal(8, rows.Length);
        for (var k = 0; k < groups.Length; k++)
        {
            var g = groups[k];
            var count = g.GetProperty("count").GetInt32();
            var fresh = g.GetProperty("new_count").GetInt32();
            Assert.Equal(fresh > 0 ? $"{count:N0} ({fresh:N0} new)" : $"{count:N0}", rows[k][1]);
            Assert.Equal(Charts.Format(g.GetProperty("mean").GetDouble()), rows[k][2]);
            Assert.Equal($"{Charts.Format(g.GetProperty("lower").GetDouble())} to {Charts.Format(g.GetProperty("upper").GetDouble())}", rows[k][3]);
            Assert.Equal(Charts.Percent(g.GetProperty("share").GetDouble(), 1), rows[k][4]);
            Assert.Equal(string.Join(", ", g.GetProperty("top_examples").EnumerateArray().Take(3).Select(e => e.GetString())), rows[k][5]);
        }

        var python = Assert.Single(rows, r => r[0] == "python");
        Assert.Equal("600 (600 new)", python[1]);
        Assert.Equal("600 (200 new)", Assert.Single(rows, r => r[0] == "perl")[1]);
        var pythonJson = groups.Single(g => g.GetProperty("name").GetString() == "python");
        Assert.Equal((600, 600), (pythonJson.GetProperty("count").GetInt32(), pythonJson.GetProperty("new_count").GetInt32()));

        // And: the chart has a bar per group, python's labelled with its new examples, and the findings name the forecast's most
        // damaged group with its new examples.
        var chart = ChartOf(page);
        Assert.Equal(8, Regex.Count(chart, "class=\"bar\""));
        Assert.Contains(">python (600, 600 new)<", chart, StringComparison.Ordinal);
        var worst = groups[0];
        Assert.Contains($"Most damaged source: <b>{worst.GetProperty("name").GetString()}</b>", page, StringComparison.Ordinal);

        // And: the new examples are mentioned as the console's cold columns line mentions them: how many, how much wider their
        // intervals are, the same most forgotten.
        var coldLine = Regex.Match(output, @"cold columns: (?<n>[\d,]+) new examples .*?median std (?<ratio>[\d.]+)x .*?most forgotten: (?<top>.*)$", RegexOptions.Singleline);
        Assert.True(coldLine.Success, output);
        var mention = Regex.Match(page, "<p id=\"new-examples\">(.*?)</p>").Groups[1].Value;
        Assert.Contains($"New examples: <b>{coldLine.Groups["n"].Value}</b> never measured on any task", mention, StringComparison.Ordinal);
        Assert.Contains($"so their intervals are wider (median std {coldLine.Groups["ratio"].Value}x the model's examples')", mention, StringComparison.Ordinal);
        var coldIds = Regex.Matches(coldLine.Groups["top"].Value, @"(\S+)\s+\(").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(3, coldIds.Length);
        Assert.Equal(coldIds, Regex.Matches(mention[mention.IndexOf("most forgotten:", StringComparison.Ordinal)..], @"(\S+)\s+\(").Select(m => m.Groups[1].Value));
        Assert.Equal(800, summary.RootElement.GetProperty("cold_examples").GetArrayLength());
    }

    [Fact]
    public void Predict_Html_WithoutNewExamples_HasTheReportsGroups_AndNoMentionOfNewOnes()
    {
        // Given: a charlm-b model of every task but the first, and 48 of the first task's cells.
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var train = TestMatrices.Write(dir, "zb.npy", z.TaskCount - 1, z.ExampleCount, (i, j) => z[i + 1, j]);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, z.ExampleCount / 50).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i * 50},{z[0, i * 50]:R}"))]);
        var model = Path.Combine(dir, "mb.fpm");
        var (code, _, error) = CliRunner.Run("fit", train, "--method", "mf", "--out", model);
        Assert.True(code == 0, error);

        // When: predicted grouped by source.
        var html = Path.Combine(dir, "report.html");
        var json = Path.Combine(dir, "p.json");
        (code, _, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--examples", RepoPaths.Data("charlm-b", "upstream.csv"), "--group-by", "source", "--html", html, "--json", json);
        Assert.True(code == 0, error);

        // Then: the group table is --json's groups, plain counts, and nothing mentions new examples.
        var page = File.ReadAllText(html);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var groups = summary.RootElement.GetProperty("groups").EnumerateArray().ToArray();
        var rows = GroupTable(page);
        Assert.Equal(groups.Select(g => (g.GetProperty("name").GetString(), $"{g.GetProperty("count").GetInt32():N0}", Charts.Format(g.GetProperty("mean").GetDouble()))),
            rows.Select(r => ((string?)r[0], r[1], r[2])));
        Assert.All(groups, g => Assert.Equal(0, g.GetProperty("new_count").GetInt32()));
        Assert.DoesNotContain("new", string.Join(" ", rows.Select(r => r[1])), StringComparison.Ordinal);
        Assert.DoesNotContain("new-examples", page, StringComparison.Ordinal);
        Assert.DoesNotContain("for new examples", page, StringComparison.Ordinal);
        Assert.DoesNotContain(" new)", ChartOf(page), StringComparison.Ordinal);
    }

    // The group table's rows, each cell's text decoded.
    private static string[][] GroupTable(string html)
    {
        var start = html.IndexOf("<table id=\"group-table\">", StringComparison.Ordinal);
        Assert.True(start >= 0, "the report has a group table");
        var body = html.IndexOf("<tbody>", start, StringComparison.Ordinal);
        var table = html[body..html.IndexOf("</tbody>", body, StringComparison.Ordinal)];
        return [.. Row().Matches(table).Select(r => Cell().Matches(r.Value).Select(c => WebUtility.HtmlDecode(c.Groups[1].Value)).ToArray())];
    }

    private static string ChartOf(string html)
    {
        var section = html.IndexOf("id=\"groups\"", StringComparison.Ordinal);
        Assert.True(section >= 0, "the report has a group chart");
        return html[section..html.IndexOf("</svg>", section, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<tr>.*?</tr>")]
    private static partial Regex Row();

    [GeneratedRegex("<td[^>]*>(.*?)</td>")]
    private static partial Regex Cell();
}
