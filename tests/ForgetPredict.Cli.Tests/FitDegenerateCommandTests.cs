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
        Assert.Contains($"with 30 known cells, all but one in the {tasks} tasks with no more observed cells", CliRunner.Unwrapped(output), StringComparison.Ordinal);
        Assert.True(File.Exists(model));
    }
}
