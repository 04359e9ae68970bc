using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class GroupingCommandTests
{
    [Fact]
    public void Predict_GroupedByAColumnWithAValuePerExample_WarnsThatItIsNotAGrouping()
    {
        // Given: an additive model of charlm-d and its chunk metadata, whose base_loss column holds a number per chunk.
        static string D(string file) => RepoPaths.Data("charlm-d", file);
        var model = Path.Combine(RepoPaths.NewTempFolder(), "d.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", D("z.npy"), "--method", "additive", "--out", model);
        Assert.True(fitCode == 0, fitError);

        // When: the forecast is grouped by base_loss, then by source.
        var (code, output, error) = CliRunner.Run("predict", "--model", model, "--examples", D("upstream.csv"), "--group-by", "base_loss", "--top", "3");
        var (sourceCode, _, sourceError) = CliRunner.Run("predict", "--model", model, "--examples", D("upstream.csv"), "--group-by", "source", "--top", "3");

        // Then: the first is answered (one group per loss value) with a warning naming the column and the fix; the second is not warned.
        Assert.True(code == 0, error);
        Assert.Contains("upstream.csv: --group-by 'base_loss' puts ", error, StringComparison.Ordinal);
        Assert.Contains("in a group of their own", error, StringComparison.Ordinal);
        Assert.Contains("group by a column such as source or domain.", error, StringComparison.Ordinal);
        Assert.NotEmpty(output);
        Assert.True(sourceCode == 0, sourceError);
        Assert.DoesNotContain("a group of their own", sourceError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("p.json")]
    [InlineData("p.csv")]
    public void Predict_AnExampleWithNoGroup_IsAMissingValueInTheTable_NotAGroupNamedEmpty(string name)
    {
        // Given: an additive model of charlm-b and its metadata with the source of every seventh example left blank.
        static string B(string file) => RepoPaths.Data("charlm-b", file);
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "b.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", B("z.npy"), "--method", "additive", "--out", model);
        Assert.True(fitCode == 0, fitError);
        var lines = File.ReadAllLines(B("upstream.csv"));
        var header = lines[0].Split(',');
        var source = Array.IndexOf(header, "source");
        var blank = Path.Combine(dir, "upstream.csv");
        File.WriteAllLines(blank, lines.Select((line, i) =>
        {
            var cells = line.Split(',');
            if (i > 0 && (i - 1) % 7 == 0)
            {
                cells[source] = string.Empty;
            }

            return string.Join(',', cells);
        }));

        // When: every example's forecast is written, grouped by source.
        var table = Path.Combine(dir, name);
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--examples", blank, "--group-by", "source", "--out", table);
        Assert.True(code == 0, error);

        // Then: those examples' group is missing (JSON null; an empty CSV cell), in no row a group named ''.
        if (name.EndsWith(".json", StringComparison.Ordinal))
        {
            var rows = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(table))!.AsArray();
            Assert.Equal(lines.Length - 1, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                var group = rows[i]!["group"];
                if (i % 7 == 0)
                {
                    Assert.Null(group);
                }
                else
                {
                    Assert.False(string.IsNullOrEmpty((string?)group), $"row {i}");
                }
            }
        }
        else
        {
            var rows = File.ReadAllLines(table).Skip(1).Select(l => l.Split(',')).ToArray();
            var column = Array.IndexOf(File.ReadLines(table).First().Split(','), "group");
            Assert.Equal(Enumerable.Range(0, rows.Length).Where(i => i % 7 == 0), Enumerable.Range(0, rows.Length).Where(i => rows[i][column].Length == 0));
        }
    }

    [Fact]
    public void Predict_ExampleMetadataWrittenWithoutItsHeaderLine_IsRefusedWithTheFix_AsAnExclusionListIs()
    {
        // Given: charlm-b's upstream.csv written with pandas' header=False (QA: exit 0, grouped by a column named 'license',
        // example 0 without metadata under a generic warning).
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "b.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", RepoPaths.Data("charlm-b", "z.npy"), "--method", "additive", "--out", model);
        Assert.True(fitCode == 0, fitError);
        var bare = Path.Combine(dir, "up_nohdr.csv");
        File.WriteAllLines(bare, File.ReadAllLines(RepoPaths.Data("charlm-b", "upstream.csv")).Skip(1));

        // When
        var (code, output, error) = CliRunner.Run("predict", "--model", model, "--examples", bare, "--top", "3");
        var (namedCode, _, namedError) = CliRunner.Run("predict", "--model", model, "--examples", bare, "--examples-columns", "0", "--top", "3");

        // Then: refused naming the file, the line and the fix; nothing predicted. Named as the id column, the header is taken.
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("up_nohdr.csv:1: its first line names example '0' where a header belongs: the file has no header line (pandas writes none with header=False), so example '0' would have no metadata. Add a header line naming the columns (e.g. 'id,source') above the rows", error, StringComparison.Ordinal);
        Assert.True(namedCode == 0, namedError);
    }
}
