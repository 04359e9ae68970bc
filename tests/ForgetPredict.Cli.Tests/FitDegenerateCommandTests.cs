using ForgetPredict.Core;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>'fit' with its default method (auto) on matrices the cross-validation used to crash on.</summary>
public sealed class FitDegenerateCommandTests
{
    private static string Write(float[] values, int tasks, int examples)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "z.npy");
        MatrixFile.Write(ForgettingMatrix.Wrap(values, tasks, examples), path);
        return path;
    }

    // Row scale times column scale plus noise (the QA repro's construction).
    private static float[] RankOnePlusNoise(int tasks, int examples)
    {
        var random = new Random(0);
        var u = Enumerable.Range(0, tasks).Select(_ => random.NextDouble()).ToArray();
        var v = Enumerable.Range(0, examples).Select(_ => random.NextDouble()).ToArray();
        return [.. Enumerable.Range(0, tasks * examples).Select(c => (float)((u[c / examples] * v[c % examples]) + (0.1 * (random.NextDouble() - 0.5))))];
    }

    // 30 examples and the default 30 known cells: every cross-validated row used to reveal all its cells, and auto died
    // with "Unhandled exception. System.InvalidOperationException: Sequence contains no matching element".
    [Theory]
    [InlineData(20, 30)]
    [InlineData(20, 2)]
    [InlineData(5, 3)]
    [InlineData(20, 1)]
    public void DefaultFit_OfRowsWithNoMoreCellsThanKnown_FitsAndSaysHowItSimulated(int tasks, int examples)
    {
        var matrix = Write(RankOnePlusNoise(tasks, examples), tasks, examples);
        var model = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");

        var (code, output, error) = CliRunner.Run("fit", matrix, "--out", model);

        Assert.True(code == 0, error);
        Assert.Contains($"with 30 known cells; {tasks} held-out tasks have no more than 30 observed cells and revealed all but one", CliRunner.Unwrapped(output), StringComparison.Ordinal);
        Assert.True(File.Exists(model));
    }

    private static float[] OneVaryingRow()
    {
        var values = Enumerable.Repeat(1f, 20 * 300).ToArray();
        for (var j = 0; j < 300; j++)
        {
            values[j] = 2f * j / 299;
        }

        return values;
    }

    // Every cell 1: auto and ensemble used to print an AggregateException's stack trace; now the one line mf prints.
    [Fact]
    public void Fit_OfAConstantMatrix_FailsWithOneLine_ForEveryMethod()
    {
        var matrix = Write(Enumerable.Repeat(1f, 20 * 300).ToArray(), 20, 300);
        var dir = RepoPaths.NewTempFolder();
        var (mfCode, _, mfError) = CliRunner.Run("fit", matrix, "--method", "mf", "--out", Path.Combine(dir, "mf.fpm"));
        Assert.Equal(CliApp.DataError, mfCode);
        Assert.StartsWith($"error: {Path.GetFileName(matrix)}: every observed cell of the 20 x 300 matrix is 1", mfError, StringComparison.Ordinal);

        // Every cell 0, as float64 values under 1e-45 read in single precision: the message says so.
        var zeros = Write(new float[20 * 300], 20, 300);
        var (_, _, zeroError) = CliRunner.Run("fit", zeros, "--method", "mf", "--out", Path.Combine(dir, "zeros.fpm"));
        Assert.Contains("is 0: a constant matrix", zeroError, StringComparison.Ordinal);
        Assert.Contains("(values smaller than about 1e-45 read as 0 in single precision: if the data is that small, rescale it).", zeroError, StringComparison.Ordinal);

        foreach (var method in new[] { "auto", "ensemble" })
        {
            var (code, _, error) = CliRunner.Run("fit", matrix, "--method", method, "--out", Path.Combine(dir, method + ".fpm"));
            Assert.Equal(CliApp.DataError, code);
            Assert.Equal(mfError, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    // Only the fold that holds the varying task out fits on constant tasks: auto and ensemble fit, and evaluate scores auto.
    [Fact]
    public void Fit_WhoseOneFoldIsConstant_Fits_AndEvaluateScoresIt()
    {
        var matrix = Write(OneVaryingRow(), 20, 300);
        var dir = RepoPaths.NewTempFolder();
        foreach (var method in new[] { "auto", "ensemble" })
        {
            var (code, output, error) = CliRunner.Run("fit", matrix, "--method", method, "--out", Path.Combine(dir, method + ".fpm"));
            Assert.True(code == 0, error);
            Assert.Contains("saved", output, StringComparison.Ordinal);
        }

        var (autoCode, autoOutput, _) = CliRunner.Run("fit", matrix, "--out", Path.Combine(dir, "default.fpm"));
        Assert.Equal(0, autoCode);
        Assert.Contains("1 fold not scored, its training tasks being constant", CliRunner.Unwrapped(autoOutput), StringComparison.Ordinal);

        var (evalCode, evalOutput, evalError) = CliRunner.Run("evaluate", matrix, "--methods", "auto");
        Assert.True(evalCode == 0, evalError);
        Assert.Contains("auto", evalOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void FitAndEvaluateAuto_OfTinyAndHugeTasks_AreNotRefusedPerFold_AndAnOutlierIsRefusedNamingTheFile()
    {
        var matrix = Write(MixedMagnitudes.TinyAndHuge(outlier: false), MixedMagnitudes.Tasks, MixedMagnitudes.Examples);
        var bad = Write(MixedMagnitudes.TinyAndHuge(outlier: true), MixedMagnitudes.Tasks, MixedMagnitudes.Examples);
        var model = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");

        var (fitCode, _, fitError) = CliRunner.Run("fit", matrix, "--method", "auto", "--out", model);
        var (evalCode, evalOutput, evalError) = CliRunner.Run("evaluate", matrix, "--methods", "auto,mf", "--known", "5", "--seeds", "1");
        var (badCode, _, badError) = CliRunner.Run("evaluate", bad, "--methods", "auto", "--known", "5", "--seeds", "1");

        Assert.True(fitCode == 0, fitError);
        Assert.True(evalCode == 0, evalError);
        Assert.Contains("auto", evalOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, badCode);
        Assert.Contains($"{bad}: cell (task '13', example '5') is 1E+20, more than 1e9 times the matrix's typical magnitude (", badError, StringComparison.Ordinal);
        Assert.Contains("set it to NaN to leave it out", badError, StringComparison.Ordinal);
    }

    // demo refused an extreme cell naming no file ("error: Cell (task '13', ...") while fit and evaluate name it.
    [Fact]
    public void Demo_AnOutlier_IsRefusedNamingTheFile()
    {
        var bad = Write(MixedMagnitudes.TinyAndHuge(outlier: true), MixedMagnitudes.Tasks, MixedMagnitudes.Examples);

        var (code, output, error) = CliRunner.Run("demo", "--matrix", bad, "--test-tasks", "3", "--seeds", "1", "--known", "10");

        Assert.NotEqual(0, code);
        Assert.Contains($"{bad}: cell (task '13', example '5') is 1E+20, more than 1e9 times the matrix's typical magnitude (", error, StringComparison.Ordinal);
        Assert.DoesNotContain("1. How low-rank", output, StringComparison.Ordinal);
    }

    // A 12 x 30 matrix with 2 observed cells: fit --method auto and evaluate had said "Every cell of the matrix is missing (NaN)",
    // untrue, evaluate naming no file: a cross-validation fold's, or the evaluation's, training tasks have no observed cell.
    [Fact]
    public void AMatrixWithTwoObservedCells_IsRefusedSayingWhichTasksHaveNoCell_NamingTheFile()
    {
        var values = Enumerable.Repeat(float.NaN, 12 * 30).ToArray();
        values[0] = 0.1f;
        values[30 + 3] = 0.4f;
        var sparse = Write(values, 12, 30);

        var (fitCode, _, fitError) = CliRunner.Run("fit", sparse, "--method", "auto", "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));
        var (evalCode, _, evalError) = CliRunner.Run("evaluate", sparse, "--known", "0", "--test-rows", "0,1", "--methods", "additive");

        Assert.NotEqual(0, fitCode);
        Assert.NotEqual(0, evalCode);
        Assert.DoesNotContain("Every cell of the matrix is missing", fitError + evalError, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(sparse)}: cross-validated fits (auto, ensemble) fit each candidate on all but one group of tasks, but in grouping ", fitError, StringComparison.Ordinal);
        Assert.Contains("the tasks fitted on have no observed cell: the matrix's 2 observed cells are on 2 of its tasks, all held out together.", fitError, StringComparison.Ordinal);
        Assert.Contains($"{sparse}: the 10 training tasks (every task but the 2 test tasks) have no observed cell, so there is nothing to fit: the matrix's 2 observed cells are all on the test tasks.", evalError, StringComparison.Ordinal);
    }
}
