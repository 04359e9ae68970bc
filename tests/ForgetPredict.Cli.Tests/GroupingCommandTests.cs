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
}
