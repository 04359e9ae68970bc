using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>Output names: tables in the format their extension names, and a name no writer takes refused before any work.</summary>
public sealed class OutputNameTests
{
    [Fact]
    public void Synth_MetadataOutputs_AreWrittenInTheFormatTheirExtensionNames()
    {
        // Given
        var dir = RepoPaths.NewTempFolder();
        var matrix = Path.Combine(dir, "s.npy");
        var examples = Path.Combine(dir, "ex.tsv");
        var tasks = Path.Combine(dir, "tk.parquet");
        var json = Path.Combine(dir, "tk.json");

        // When
        var run = CliRunner.Run("synth", "--rows", "8", "--cols", "20", "--out", matrix, "--examples-out", examples, "--tasks-out", tasks);
        var second = CliRunner.Run("synth", "--rows", "8", "--cols", "20", "--out", Path.Combine(dir, "t.npy"), "--tasks-out", json);

        // Then: TSV, Parquet and JSON, which predict reads back as example metadata.
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.StartsWith("id\tgroup\n0\t", File.ReadAllText(examples), StringComparison.Ordinal);
        var parquet = File.ReadAllBytes(tasks);
        Assert.Equal("PAR1"u8.ToArray(), parquet[..4]);
        Assert.Equal("PAR1"u8.ToArray(), parquet[^4..]);
        using (var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(8, document.RootElement.GetArrayLength());
            Assert.Equal(0, document.RootElement[0].GetProperty("id").GetInt64());
            Assert.True(document.RootElement[0].TryGetProperty("family", out _));
        }

        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "additive", "--out", model).ExitCode);
        var predicted = CliRunner.Run("predict", "--model", model, "--examples", examples);
        Assert.True(predicted.ExitCode == 0, predicted.Error);
        var parquetExamples = Path.Combine(dir, "ex.parquet");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "8", "--cols", "20", "--out", Path.Combine(dir, "u.npy"), "--examples-out", parquetExamples).ExitCode);
        predicted = CliRunner.Run("predict", "--model", model, "--examples", parquetExamples);
        Assert.True(predicted.ExitCode == 0, predicted.Error);
    }

    [Theory]
    [InlineData("predict", "--out", "p.xlsx")]
    [InlineData("replay", "--out", "p.xlsx")]
    [InlineData("replay", "--out", "")]
    [InlineData("design", "--out", "p.txt")]
    [InlineData("evaluate", "--predictions", "p.xlsx")]
    [InlineData("synth", "--examples-out", "ex.xlsx")]
    [InlineData("synth", "--tasks-out", "")]
    [InlineData("synth", "--out", "s.csv")]
    [InlineData("predict", "--json", "")]
    [InlineData("fit", "--out", "")]
    public void AnOutputNoWriterTakes_IsAUsageError_NamingTheOption_BeforeAnyWork(string command, string option, string name)
    {
        // Given
        var dir = RepoPaths.NewTempFolder();
        var matrix = TestMatrices.Write(dir, "z.npy", 6, 30, (i, j) => 0.01f * ((i + 1) * (j % 7)));
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "additive", "--out", model).ExitCode);
        var path = name.Length == 0 ? name : Path.Combine(dir, name);
        string[] args = command switch
        {
            "predict" => ["predict", "--model", model, option, path],
            "replay" => ["replay", "--model", model, "--budget", "3", option, path],
            "design" => ["design", matrix, option, path],
            "evaluate" => ["evaluate", matrix, "--known", "3", option, path],
            "synth" => ["synth", "--rows", "4", "--cols", "9", .. option == "--out" ? Array.Empty<string>() : ["--out", Path.Combine(dir, "s.npy")], option, path],
            _ => ["fit", matrix, option, path],
        };

        // When
        var run = CliRunner.Run(args);

        // Then: exit 2, one line naming the option (and the file), nothing written, no report.
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: {option} ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("error: :", line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Output);
        Assert.Equal(["m.fpm", "z.npy"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
