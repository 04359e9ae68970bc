using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>Outputs are checked before a command runs: never over an input, never two in one file, never into a missing folder.</summary>
public class OutputFilesTests
{
    private static string Matrix(string dir)
    {
        var path = Path.Combine(dir, "z.npy");
        using var stream = File.Create(path);
        NpyFormat.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 60, Seed = 2 }).Matrix, stream);
        return path;
    }

    [Fact]
    public void AnOutputOverAnInput_IsRefused_AndTheInputSurvives()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = Matrix(dir);
        var before = File.ReadAllBytes(matrix);

        var fit = CliRunner.Run("fit", matrix, "--method", "mf", "--out", matrix);
        var analyze = CliRunner.Run("analyze", matrix, "--json", Path.Combine(dir, ".", "z.npy"));
        var convert = CliRunner.Run("convert", matrix, matrix);

        Assert.Equal(2, fit.ExitCode);
        Assert.Contains($"error: --out {matrix} is also the file this command reads as MATRIX, which writing it would destroy; write to another file.", fit.Error, StringComparison.Ordinal);
        Assert.Equal(2, analyze.ExitCode);
        Assert.Contains("is also the file this command reads as MATRIX", analyze.Error, StringComparison.Ordinal);
        Assert.Equal(2, convert.ExitCode);
        Assert.Contains("OUT", convert.Error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(matrix));
        Assert.Equal(10, MatrixFile.Read(matrix).TaskCount);
    }

    [Fact]
    public void TwoOutputsInOneFile_OrAnOutputInAMissingFolder_WriteNothing()
    {
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Matrix(dir), "--method", "additive", "--out", model).ExitCode);
        var table = Path.Combine(dir, "p.csv");

        var twice = CliRunner.Run("predict", "--model", model, "--out", table, "--json", table);
        var missing = CliRunner.Run("predict", "--model", model, "--out", table, "--html", Path.Combine(dir, "nodir", "r.html"));

        Assert.Equal(2, twice.ExitCode);
        Assert.Contains($"--out and --json both write {table}; give each output its own file.", twice.Error, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"folder '{Path.Combine(dir, "nodir")}' does not exist. Create it first.", missing.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(table));
    }
}
