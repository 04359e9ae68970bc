using System.Globalization;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>predict as a report, replay, and the HTML reports in headless Chromium.</summary>
public class ReportCommandTests
{
    // A synthetic matrix whose task family k forgets example group k: rows 0..35 train, row 36 (family 0, hits "wiki") is new.
    private static readonly Lazy<(string Model, string Examples, string Observed, SyntheticForgetting Data)> s_setup = new(() =>
    {
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 37, Examples = 800, Groups = 4, Patterns = 3, Noise = 0.01, Seed = 13 });
        var matrix = Path.Combine(dir, "train.csv");
        MatrixFile.Write(data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()), matrix);
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--out", model).ExitCode);
        var examples = Path.Combine(dir, "examples.csv");
        File.WriteAllLines(examples, ["id,source,domain", .. Enumerable.Range(0, 800).Select(j => string.Create(CultureInfo.InvariantCulture, $"{data.Matrix.ExampleIds[j]},{data.ExampleGroups[j]},d{j % 2}"))]);
        var observed = Path.Combine(dir, "pilot.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 30).Select(t => t * 26).Select(j => string.Create(CultureInfo.InvariantCulture, $"{data.Matrix.ExampleIds[j]},{(double)data.Matrix[36, j]:R}"))]);
        return (model, examples, observed, data);
    });

    [Fact]
    public void Predict_Report_RanksThePlantedVulnerableGroupFirst()
    {
        var (model, examples, observed, _) = s_setup.Value;
        var out_ = Path.Combine(RepoPaths.NewTempFolder(), "pred.csv");
        var (code, output, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--examples", examples, "--group-by", "source", "--top", "5", "--out", out_);
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        var groupHeader = Array.FindIndex(lines, l => l.Contains("source", StringComparison.Ordinal) && l.Contains("expected mean", StringComparison.Ordinal));
        Assert.True(groupHeader > 0, output);
        Assert.StartsWith("  wiki ", lines[groupHeader + 2], StringComparison.Ordinal);
        var table = File.ReadAllLines(out_);
        Assert.Equal("example,predicted,std,probability,rank,group,measured,measured_value", table[0]);
        Assert.Equal(801, table.Length);
        Assert.Single(table, l => l.Split(',')[4] == "1");
    }

    [Fact]
    public void Predict_WithoutGroupBy_UsesTheOnlyCandidate_OrReportsNoGroupsAndSaysWhy()
    {
        // Several columns and none chosen: no groups and a warning, as the service answers (this command refused, the service
        // answered without groups and said nothing). A stratified replay, which needs groups, is refused.
        var (model, examples, observed, data) = s_setup.Value;
        var (code, output, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--examples", examples);
        Assert.Equal(0, code);
        Assert.Contains($"warning: {examples} has 2 columns to group by (source, domain) and none was chosen, so this answer reports no groups; choose one with --group-by.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("expected mean", output, StringComparison.Ordinal);
        var (replayCode, _, replayError) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--examples", examples, "--budget", "5", "--strategy", "stratified", "--out", Path.Combine(RepoPaths.NewTempFolder(), "r.csv"));
        Assert.Equal(CliApp.UsageError, replayCode);
        Assert.Contains($"{examples} has 2 columns to group by (source, domain): choose one with --group-by.", replayError, StringComparison.Ordinal);
        var (code2, _, error2) = CliRunner.Run("predict", "--model", model, "--examples", examples, "--group-by", "sorce");
        Assert.Equal(CliApp.UsageError, code2);
        Assert.Contains("--group-by names no column 'sorce'; did you mean 'source'? Columns to group by: source, domain.", error2, StringComparison.Ordinal);

        // A table of ids alone has nothing to group by, and says so.
        var idsOnly = Path.Combine(Path.GetDirectoryName(examples)!, "ids-only.csv");
        File.WriteAllLines(idsOnly, ["id", data.Matrix.ExampleIds[0], data.Matrix.ExampleIds[1]]);
        var (code3, _, error3) = CliRunner.Run("predict", "--model", model, "--examples", idsOnly);
        Assert.Equal(0, code3);
        Assert.Contains("ids-only.csv has no column to group by besides its ids, so this answer reports no groups; add one, such as source or domain.", error3, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_ThatNamesNoExample_IsRefusedNamingTheFix_NotAnsweredWithoutGroups()
    {
        // Given: the examples' metadata with every id written as another dataset's (and, for a matrix keyed by position, as
        // the decimals pandas writes for a float column).
        var (model, _, observed, data) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        var other = Path.Combine(dir, "other.csv");
        File.WriteAllLines(other, ["id,source", .. Enumerable.Range(0, 800).Select(j => $"x{j},{data.ExampleGroups[j]}")]);
        var positional = Path.Combine(dir, "p.fpm");
        var z = Path.Combine(dir, "z.npy");
        using (var stream = File.Create(z))
        {
            ForgetPredict.Data.Formats.NpyFormat.Write(data.Matrix, stream);
        }

        Assert.Equal(0, CliRunner.Run("fit", z, "--method", "additive", "--out", positional).ExitCode);
        var decimals = Path.Combine(dir, "decimals.csv");
        File.WriteAllLines(decimals, ["column,source", .. Enumerable.Range(0, 800).Select(j => $"{j}.0,{data.ExampleGroups[j]}")]);
        var replayOut = Path.Combine(dir, "r.csv");

        // When: a stratified replay and a prediction are asked with them.
        var replay = CliRunner.Run("replay", "--model", model, "--observed", observed, "--examples", other, "--budget", "5", "--strategy", "stratified", "--out", replayOut);
        var predict = CliRunner.Run("predict", "--model", positional, "--examples", decimals, "--group-by", "source");

        // Then: both are refused (a stratified replay had put every example in one group, a prediction reported no groups).
        Assert.Equal(1, replay.ExitCode);
        Assert.Contains($"{other}: column 'id': none of its 800 rows names one of the 800 examples (first id: 'x0', first example: '{data.Matrix.ExampleIds[0]}'), so it would group nothing.", replay.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(replayOut));
        Assert.Equal(1, predict.ExitCode);
        Assert.Contains("Its ids are written as decimals ('0.0') where the examples' are whole numbers ('0'): write them as integers (pandas: astype(int) before to_csv).", predict.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_PartialMetadata_WarnsWithCounts()
    {
        var (model, _, observed, data) = s_setup.Value;
        var partial = Path.Combine(RepoPaths.NewTempFolder(), "partial.csv");
        File.WriteAllLines(partial, ["id,source", .. Enumerable.Range(0, 700).Select(j => $"{data.Matrix.ExampleIds[j]},{data.ExampleGroups[j]}"), "ghost-1,wiki"]);
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--examples", partial);
        Assert.Equal(0, code);
        Assert.Contains("700 of 800 example ids matched", error, StringComparison.Ordinal);
        Assert.Contains("1 metadata rows match no example", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_Html_OpensInChromiumWithChartsTablesAndNoErrors()
    {
        var (model, examples, observed, _) = s_setup.Value;
        var html = Path.Combine(RepoPaths.NewTempFolder(), "report.html");
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--examples", examples, "--group-by", "source", "--task-name", "new-flan-task", "--html", html);
        Assert.True(code == 0, error);
        var page = BrowserCheck.Run(new Uri(html).AbsoluteUri, "predict-report.png",
            count: ["svg.chart", "#groups svg rect.bar", "#top-examples tbody tr", "#heatmap image", "#group-table tbody tr"],
            text: ["h1", "#findings"]);
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.FailedRequests);
        Assert.Equal(3, page.Counts["svg.chart"]);
        Assert.Equal(4, page.Counts["#groups svg rect.bar"]);
        Assert.Equal(20, page.Counts["#top-examples tbody tr"]);
        Assert.Equal(4, page.Counts["#group-table tbody tr"]);
        Assert.True(page.Counts["#heatmap image"] >= 2);
        Assert.Contains("new-flan-task", page.Texts["h1"], StringComparison.Ordinal);
        Assert.Contains("Most damaged source: wiki", page.Texts["#findings"], StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(BrowserCheck.ScreenshotFolder, "predict-report.png")).Length > 10_000);
    }

    [Fact]
    public void Analyze_Html_OpensInChromiumWithChartsAndLists()
    {
        var html = Path.Combine(RepoPaths.NewTempFolder(), "analysis.html");
        var (code, _, error) = CliRunner.Run("analyze", RepoPaths.Data("charlm-b", "z.npy"), "--html", html);
        Assert.True(code == 0, error);
        var page = BrowserCheck.Run(new Uri(html).AbsoluteUri, "analyze-report.png",
            count: ["svg.chart", "#r2 circle", "#spectrum rect", "#fragile-examples tbody tr", "#disruptive-tasks tbody tr"]);
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.FailedRequests);
        Assert.Equal(3, page.Counts["svg.chart"]);
        Assert.Equal(10, page.Counts["#r2 circle"]);
        Assert.Equal(15, page.Counts["#fragile-examples tbody tr"]);
        Assert.Equal(15, page.Counts["#disruptive-tasks tbody tr"]);
    }

    [Fact]
    public void Replay_Stratified_KeepsEveryGroupAndHonoursExclusions()
    {
        var (model, examples, observed, data) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        var exclude = Path.Combine(dir, "heldout.csv");
        var heldOut = Enumerable.Range(0, 100).Select(j => data.Matrix.ExampleIds[j * 8]).ToArray();
        File.WriteAllLines(exclude, ["id", .. heldOut]);
        var out_ = Path.Combine(dir, "replay.parquet");
        var (code, output, error) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--examples", examples, "--group-by", "source",
            "--ratio", "32", "--task-size", "3200", "--strategy", "stratified", "--min-per-group", "10", "--exclude", exclude, "--out", out_);
        Assert.True(code == 0, error);
        Assert.Contains("chose 100 of 700 candidate examples", output, StringComparison.Ordinal);
        var table = MetadataTable.Read(out_);
        Assert.Equal(["example", "weight", "predicted", "group"], table.ColumnNames);
        Assert.Equal(100, table.RowCount);
        Assert.Empty(table.Column("example").Intersect(heldOut));
        foreach (var group in new[] { "wiki", "code", "web", "books" })
        {
            Assert.True(table.Column("group").Count(g => g == group) >= 10, group);
        }
    }

    // QA: a group whose every example is excluded showed "0 of 400" with nothing more, examples with no value in the group
    // column went to "(no group)" in silence, and the metadata warning said such examples are left out of the report.
    [Fact]
    public void Replay_Stratified_SaysWhichGroupsHaveNoCandidateLeft_AndWhichExamplesHaveNoGroup()
    {
        // Given: metadata with 40 examples of no value and 60 without a row; every 'wiki' example excluded.
        var (model, _, observed, data) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        var examples = Path.Combine(dir, "meta.csv");
        File.WriteAllLines(examples, ["id,source", .. Enumerable.Range(0, 740).Select(j => string.Create(CultureInfo.InvariantCulture, $"{data.Matrix.ExampleIds[j]},{(j < 40 ? string.Empty : data.ExampleGroups[j])}"))]);
        var exclude = Path.Combine(dir, "heldout.csv");
        var wiki = Enumerable.Range(0, 800).Where(j => data.ExampleGroups[j] == "wiki").ToArray();
        File.WriteAllLines(exclude, ["id", .. wiki.Select(j => data.Matrix.ExampleIds[j])]);
        var out_ = Path.Combine(dir, "replay.csv");

        // When
        var (code, output, error) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--examples", examples,
            "--budget", "40", "--strategy", "stratified", "--exclude", exclude, "--out", out_);

        // Then
        Assert.True(code == 0, error);
        var warnings = CliRunner.Unwrapped(error);
        Assert.Contains("Examples without metadata are in no group: a replay's group report lists them as '(no group)'", warnings, StringComparison.Ordinal);
        Assert.DoesNotContain("left out of the group report", warnings, StringComparison.Ordinal);
        Assert.Contains($"warning: {examples}: 40 of the 740 examples with a metadata row have no value in column 'source' (empty, blank or missing), so they are in no group", warnings, StringComparison.Ordinal);
        var wikiListed = wiki.Count(j => j >= 40 && j < 740);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"warning: every example of group 'wiki' ({wikiListed}) is excluded, so none of it can be replayed and the stratified floor does not apply to it"), warnings, StringComparison.Ordinal);
        var row = output.Split('\n').Single(l => l.TrimStart().StartsWith("wiki ", StringComparison.Ordinal));
        Assert.Matches(string.Create(CultureInfo.InvariantCulture, $@"wiki\s+0\s+{wikiListed} \(all excluded\)"), row);
        Assert.DoesNotContain(MetadataTable.Read(out_).Column("group"), g => g == "wiki");
    }

    [Fact]
    public void Replay_AFloorAboveTheBudget_IsRefusedInFlags_AndAZeroBudgetReportsNoLift()
    {
        var (model, examples, observed, _) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        var out_ = Path.Combine(dir, "replay.csv");

        var (code, _, error) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--examples", examples, "--group-by", "source",
            "--budget", "30", "--strategy", "stratified", "--min-per-group", "10", "--out", out_);
        var (zeroCode, zeroOutput, zeroError) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--budget", "0", "--out", out_);

        Assert.Equal(2, code);
        Assert.Contains("error: --min-per-group 10 for 4 groups needs 40 examples, more than the budget of 30: lower it to at most 7, or raise --budget.", error, StringComparison.Ordinal);
        Assert.True(zeroCode == 0, zeroError);
        Assert.Contains("a random replay set of the same size carries 0.0%", zeroOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", zeroOutput, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(out_));

        // An exclusion list that names no example (ids of another matrix) would exclude nothing: refused, nothing written.
        var foreign = Path.Combine(dir, "foreign.csv");
        File.WriteAllLines(foreign, ["id", "zz", "yy"]);
        File.Delete(out_);
        var (foreignCode, _, foreignError) = CliRunner.Run("replay", "--model", model, "--budget", "5", "--exclude", foreign, "--out", out_);
        Assert.Equal(1, foreignCode);
        Assert.Contains("foreign.csv: none of its 2 rows names an example, so it would exclude nothing", foreignError, StringComparison.Ordinal);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void Replay_AnExclusionWithoutAHeaderLineOrWithoutRows_IsRefused_NotReadAsOneIdLess()
    {
        // Given: a held-out list written without a header (pandas' header=False): its first id would be read as the column's
        // name and replayed; and a list with a header and no rows, which would exclude nothing.
        var (model, _, observed, data) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        var out_ = Path.Combine(dir, "replay.csv");
        var bare = Path.Combine(dir, "held.csv");
        File.WriteAllLines(bare, [.. Enumerable.Range(100, 20).Select(j => data.Matrix.ExampleIds[j])]);
        var empty = Path.Combine(dir, "empty.csv");
        File.WriteAllText(empty, "id\n");

        // When
        var (bareCode, _, bareError) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--budget", "5", "--exclude", bare, "--out", out_);
        var (emptyCode, _, emptyError) = CliRunner.Run("design", "--model", model, "--count", "5", "--exclude", empty, "--out", out_);
        var (namedCode, _, namedError) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--budget", "5", "--exclude", bare,
            "--exclude-columns", data.Matrix.ExampleIds[100], "--out", out_);

        // Then: both refused naming the file and the fix, nothing written; naming that header as the id column is taken at its word
        Assert.Equal(1, bareCode);
        Assert.Contains($"held.csv:1: its first line names example '{data.Matrix.ExampleIds[100]}' where a header belongs: the file has no header line (pandas writes none with header=False)", bareError, StringComparison.Ordinal);
        Assert.Equal(1, emptyCode);
        Assert.Contains("empty.csv: it has a header line and no rows, so it would exclude nothing", emptyError, StringComparison.Ordinal);
        Assert.True(namedCode == 0, namedError);
    }

    [Fact]
    public void Replay_Softmax_IsSeededAndCoversMoreThanRandom()
    {
        var (model, _, observed, _) = s_setup.Value;
        var dir = RepoPaths.NewTempFolder();
        string Run(string name, string strategy, string seed)
        {
            var path = Path.Combine(dir, name);
            string[] temperature = strategy == "softmax" ? ["--temperature", "0.01"] : [];
            var (code, output, error) = CliRunner.Run(["replay", "--model", model, "--observed", observed, "--budget", "80", "--strategy", strategy, .. temperature, "--seed", seed, "--out", path]);
            Assert.True(code == 0, error);
            Assert.Contains("of the predicted forgetting", output, StringComparison.Ordinal);
            return File.ReadAllText(path);
        }

        Assert.Equal(Run("a.csv", "softmax", "3"), Run("b.csv", "softmax", "3"));
        Assert.NotEqual(Run("a.csv", "softmax", "3"), Run("c.csv", "softmax", "4"));
        var softmax = Run("s.csv", "softmax", "3").Split('\n').Skip(1).Where(l => l.Length > 0).Sum(l => double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture));
        var random = Run("r.csv", "random", "3").Split('\n').Skip(1).Where(l => l.Length > 0).Sum(l => double.Parse(l.Split(',')[2], CultureInfo.InvariantCulture));
        Assert.True(softmax > 1.5 * random, $"softmax {softmax} random {random}");
    }

    // Settings the strategy does not read had been ignored in silence: the user believed they took effect.
    [Theory]
    [InlineData("topk", "--temperature", "0.5", "error: --temperature applies to the softmax strategy only, and this replay is topk: drop it, or replay with --strategy softmax.")]
    [InlineData("softmax", "--min-per-group", "2", "error: --min-per-group applies to the stratified strategy only, and this replay is softmax: drop it, or replay with --strategy stratified.")]
    [InlineData("topk", "--seed", "3", "error: --seed seeds the random strategies (softmax, random), and topk draws nothing: drop it.")]
    public void Replay_ASettingItsStrategyDoesNotRead_IsRefused(string strategy, string option, string value, string expected)
    {
        var (model, _, observed, _) = s_setup.Value;
        var path = Path.Combine(RepoPaths.NewTempFolder(), "replay.csv");

        var (code, _, error) = CliRunner.Run("replay", "--model", model, "--observed", observed, "--budget", "10", "--strategy", strategy, option, value, "--out", path);

        // A usage error (exit 2), as a budget out of range is.
        Assert.Equal(2, code);
        Assert.Equal(expected, error.Trim());
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("softmax", "weight is each example's probability of being drawn first, softmax(predicted / 0.05) over all candidates (they sum to 1; higher means more forgetting); the set is drawn without replacement, so an example's chance of being in it is higher: weight is no inclusion probability to reweight by")]
    [InlineData("random", "weight is each example's probability of being drawn first, 1 / candidates (uniform); the set is drawn without replacement, so each example's chance of being in it is budget / candidates")]
    [InlineData("topk", "weight is 1 for every chosen example")]
    public void Replay_ExplainsTheWeightColumn_AndTheWeightsMeanWhatItSays(string strategy, string explanation)
    {
        // Given
        var (model, _, observed, data) = s_setup.Value;
        var path = Path.Combine(RepoPaths.NewTempFolder(), "replay.csv");

        // When
        string[] temperature = strategy == "softmax" ? ["--temperature", "0.05"] : [];
        var (code, output, error) = CliRunner.Run(["replay", "--model", model, "--observed", observed, "--budget", "40", "--strategy", strategy, .. temperature, "--out", path]);

        // Then: the output says what weight is, and the file's weights are that.
        Assert.True(code == 0, error);
        Assert.Contains($"{path}: {explanation}", CliRunner.Unwrapped(output), StringComparison.Ordinal);
        var table = MetadataTable.Read(path);
        var weights = table.Column("weight").Select(w => double.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var predicted = table.Column("predicted").Select(w => double.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var candidates = data.Matrix.ExampleCount;
        switch (strategy)
        {
            case "softmax":
                // softmax over every candidate: the ratio of two weights is exp((p1 - p2) / tau), and they sum to at most 1.
                Assert.Equal(Math.Exp((predicted[0] - predicted[1]) / 0.05), weights[0] / weights[1], 1e-6);
                Assert.InRange(weights.Sum(), 0, 1 + 1e-9);
                break;
            case "random":
                Assert.All(weights, w => Assert.Equal(1.0 / candidates, w, 1e-12));
                break;
            default:
                Assert.All(weights, w => Assert.Equal(1.0, w));
                break;
        }
    }

    [Theory]
    [InlineData(new[] { "--budget", "5", "--ratio", "32" }, 2, "--budget is the budget itself: drop --ratio")]
    [InlineData(new[] { "--budget", "5", "--ratio", "32", "--task-size", "100" }, 2, "either --budget or --ratio")]
    [InlineData(new[] { "--ratio", "32" }, 2, "--ratio R with --task-size S")]
    [InlineData(new[] { "--budget", "5", "--strategy", "stratified" }, 2, "Strategy 'stratified' needs example groups: give example metadata (--examples META) with a column such as source or domain.")]
    [InlineData(new[] { "--budget", "5", "--temperature", "0" }, 2, "error: --temperature must be a finite number above 0 (it is 0)")]
    [InlineData(new[] { "--budget", "-1" }, 2, "error: --budget must be at least 0.")]
    [InlineData(new[] { "--budget", "99999999999" }, 2, "error: --budget takes a whole number from 0 to 2,147,483,647 (got '99999999999').")]
    [InlineData(new[] { "--ratio", "0", "--task-size", "99999999999999999999" }, 2, "error: --task-size takes a whole number from 1 to 9,223,372,036,854,775,807 (got '99999999999999999999').")]
    public void Replay_BadArguments_AreRefused(string[] extra, int exit, string expected)
    {
        var (model, _, _, _) = s_setup.Value;
        var (code, _, error) = CliRunner.Run(["replay", "--model", model, "--out", Path.Combine(RepoPaths.NewTempFolder(), "r.csv"), .. extra]);
        Assert.Equal(exit, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
