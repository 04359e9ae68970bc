using ForgetPredict.Core;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Server;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>Issue 14, items 2, 8 and 9 through the command line.</summary>
public sealed class HostileCommandTests
{
    // Each of these used to start a server on [::]:80 with no key (after a warning), or fail with a raw .NET message.
    [Theory]
    [InlineData("http://127.0.0.1:")]
    [InlineData("http://127.0.0.1:x")]
    [InlineData("http://127.0.0.1:99999")]
    [InlineData("http://127.0.0.1:-1")]
    [InlineData("http://127.0.0.1:5080;http://127.0.0.1:")]
    [InlineData("http://127.0.0.1:5080;")]
    [InlineData("http://example.org:5080")]
    [InlineData("127.0.0.1:5080")]
    [InlineData("ftp://127.0.0.1:5080")]
    public void Item02_ServeRefusesEveryAddressThatDoesNotParse(string urls)
    {
        var (code, output, error) = CliRunner.Run("serve", "--store", RepoPaths.NewTempFolder(), "--urls", urls);

        // The command line's fix: a usage error (it had exited 1).
        Assert.Equal(CliApp.UsageError, code);
        Assert.DoesNotContain("serving", output, StringComparison.Ordinal);
        Assert.StartsWith("error: Cannot listen on ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:0;https://[::1]:5443")]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("http://*:5080/")]
    public void Item02_WellFormedAddressesAreAccepted(string urls) => ServerOptions.CheckUrls(urls);

    // Revealing 30 cells of a 12-example matrix leaves nothing to score: it used to print a table of dashes and exit 0.
    [Theory]
    [InlineData(12, 30)]
    [InlineData(1, 1)]
    public void Item08_EvaluateThatCanScoreNothingSaysWhyAndFails(int examples, int known)
    {
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 12, Seed = 4 });
        var matrix = Path.Combine(dir, "z.npy");
        MatrixFile.Write(data.Matrix.WithIds(null, null) is var z && examples == 1 ? ForgettingMatrix.Wrap([.. Enumerable.Range(0, 20).Select(i => z[i, 0])], 20, 1) : z, matrix);

        var (code, output, error) = CliRunner.Run("evaluate", matrix, "--known", known.ToString(System.Globalization.CultureInfo.InvariantCulture), "--methods", "additive");

        // A setting the data cannot meet (the library's OptionException, naming --known): a usage error, as every refused value is.
        Assert.Equal(CliApp.UsageError, code);
        Assert.DoesNotContain("rmse", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Nothing can be scored", error, StringComparison.Ordinal);
    }

    // QA (degenerate matrices): test tasks with no measured cell were told to "reveal fewer cells" at --known 0.
    [Fact]
    public void Item08_EvaluateWhoseTestTasksHaveNoMeasuredCell_SaysSo_NotToRevealFewer()
    {
        var dir = RepoPaths.NewTempFolder();
        var values = new float[8 * 20];
        Array.Fill(values, float.NaN);
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 20; j++)
            {
                values[(i * 20) + j] = (i + 1) * (j + 1) / 100f;
            }
        }

        var matrix = Path.Combine(dir, "z.npy");
        MatrixFile.Write(ForgettingMatrix.Wrap(values, 8, 20), matrix);

        var (code, _, error) = CliRunner.Run("evaluate", matrix, "--known", "0", "--test-rows", "5,6", "--methods", "additive");

        // Test tasks with no measured cell: the matrix's content is at fault, not --known, so bad data (exit 1), as when a
        // random split or demo chooses them.
        Assert.Equal(CliApp.DataError, code);
        Assert.Contains("Nothing can be scored: no cell of the 2 test row(s) was measured", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Reveal fewer", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Item08_AnExtremeThresholdGivesProbabilitiesNotNaN()
    {
        var (_, model) = FittedModel("mf", 40, 5);

        foreach (var (threshold, share) in new[] { ("-1e308", "expected forgotten: 40 of 40 examples"), ("1e308", "expected forgotten: 0 of 40 examples") })
        {
            var (code, output, error) = CliRunner.Run("predict", "--model", model, "--threshold", threshold, "--top", "3");
            Assert.True(code == 0, error);
            Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
            Assert.Contains(share, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1e30, "1E+30")]
    [InlineData(-123456789.0, "-1.2346E+8")]
    [InlineData(0.25, "0.2500")]
    [InlineData(double.NaN, "-")]
    [InlineData(-1e-17, "0.0000")] // QA: analyze's task-only R^2 on a one-task matrix read -0.0000
    [InlineData(-0.00004, "0.0000")]
    [InlineData(-0.00006, "-0.0001")]
    public void Item08_HugeNumbersPrintCompactly(double value, string expected) => Assert.Equal(expected, Terminal.Num(value));

    // A column of values in tiny units had printed as 0.000000000000000 (15 decimals, the most the rule allowed), and one
    // reaching a million mixed 953774.390 with 1.018E+6: such columns print in scientific notation throughout.
    [Theory]
    [InlineData(0.2, 4, new[] { 0.1209, 0.2 }, new[] { "0.1209", "0.2000" })]
    [InlineData(0.0012, 4, new[] { 0.0012, 0.0001 }, new[] { "0.00120", "0.00010" })]
    [InlineData(3e-20, 3, new[] { 3e-20, 1.234e-21, 0 }, new[] { "3.00E-20", "1.23E-21", "0.00E+0" })]
    [InlineData(1.9e6, 3, new[] { 1.918e6, 953774.39 }, new[] { "1.92E+6", "9.54E+5" })]
    public void Item08_ColumnsInTinyOrHugeUnits_PrintEveryValueReadably(double scale, int minimum, double[] values, string[] expected)
    {
        var column = Terminal.ColumnFor(scale, minimum);
        Assert.Equal(expected, values.Select(column.Format));
        Assert.Equal("-", column.Format(double.NaN));
    }

    [Fact]
    public void Item08_PredictOnAMatrixInTinyUnits_PrintsItsNumbers()
    {
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 80, Seed = 4 });
        var tiny = ForgettingMatrix.Create(data.Matrix.Values.ToArray().Select(v => v * 1e-20f).ToArray(), 12, 80);
        var matrix = Path.Combine(dir, "z.npy");
        var model = Path.Combine(dir, "m.fpm");
        MatrixFile.Write(tiny.SelectTasks([.. Enumerable.Range(1, 11)]), matrix);
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--out", model).ExitCode);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 10).Select(j => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{j * 7},{tiny[0, j * 7]:R}"))]);

        var (code, output, _) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--top", "5");

        Assert.Equal(0, code);
        Assert.DoesNotContain("0.000000", output, StringComparison.Ordinal);
        Assert.Matches(@"\d\.\d\dE-2\d", output);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Item09_ReplayWithEveryCandidateExcludedIsRefused()
    {
        // Given: a model of 50 examples and an exclusion list naming all of them.
        var (dir, model) = FittedModel("additive", 50, 9);
        var exclude = Path.Combine(dir, "exclude.csv");
        File.WriteAllLines(exclude, ["id", .. Enumerable.Range(0, 50).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var output = Path.Combine(dir, "replay.csv");

        // When
        var (code, _, error) = CliRunner.Run("replay", "--model", model, "--budget", "5", "--exclude", exclude, "--out", output);

        // Then
        // The list given leaves nothing: a usage error, as design's (it had exited 1).
        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains($"error: --exclude {exclude}: it excludes all 50 examples of the model, so there is nothing left to replay; exclude fewer examples.", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    // A model fitted by the CLI on a 12-task synthetic matrix saved as .npy (ids "0".."N-1"); returns its folder and path.
    private static (string Folder, string Model) FittedModel(string method, int examples, int seed)
    {
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = examples, Seed = seed });
        var matrix = Path.Combine(dir, "z.npy");
        var model = Path.Combine(dir, "m.fpm");
        MatrixFile.Write(data.Matrix, matrix);
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", method, "--out", model).ExitCode);
        return (dir, model);
    }

    [Theory]
    [InlineData("analyze")]
    [InlineData("fit")]
    public void AMatrixWithNoTasks_IsRefusedNamingTheFile_ByAnalyzeAsByFit(string command)
    {
        // Given: a (0, 3) .npy (analyze said "error: Cannot fit a 0x3 matrix" without the file).
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "r0.npy");
        using (var stream = File.Create(path))
        {
            Data.Formats.NpyFormat.WriteArray(stream, [], [0, 3]);
        }

        var (code, _, error) = command == "fit" ? CliRunner.Run("fit", path, "--out", Path.Combine(dir, "m.fpm")) : CliRunner.Run("analyze", path);

        Assert.Equal(1, code);
        Assert.Contains("r0.npy: the matrix has 0 tasks and 3 examples, so there is nothing to fit: a fit needs at least one task (a row) and one example (a column). Check that the file holds the matrix and was written whole.", error, StringComparison.Ordinal);
    }
}
