using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>Cross-validated fits (auto, ensemble) on matrices whose rows or folds leave the simulation little to work with.</summary>
public class CrossValidationEdgeTests
{
    // A 20 x n rank-1 + noise matrix: row scale times column scale plus N(0, 0.1^2) noise, optionally with a share missing.
    internal static ForgettingMatrix RankOnePlusNoise(int tasks, int examples, int seed, double missing = 0)
    {
        var random = new Random(seed);
        var u = Enumerable.Range(0, tasks).Select(_ => random.NextDouble()).ToArray();
        var v = Enumerable.Range(0, examples).Select(_ => random.NextDouble()).ToArray();
        var values = new float[tasks * examples];
        for (var i = 0; i < tasks; i++)
        {
            for (var j = 0; j < examples; j++)
            {
                var noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                values[(i * examples) + j] = random.NextDouble() < missing ? float.NaN : (float)((u[i] * v[j]) + (0.1 * noise));
            }
        }

        return ForgettingMatrix.Wrap(values, tasks, examples);
    }

    // Rows with no more observed cells than the 30 known cells used to reveal every cell, leave nothing to score, and crash
    // auto with "Sequence contains no matching element" (an RMSE of 0 / 0).
    [Theory]
    [InlineData(20, 30, 0.0)]
    [InlineData(20, 2, 0.0)]
    [InlineData(5, 3, 0.0)]
    [InlineData(20, 1, 0.0)]
    [InlineData(20, 300, 0.95)]
    public void Auto_RowsWithNoMoreCellsThanKnown_RevealAllButOne_AndTheReportSaysSo(int tasks, int examples, double missing)
    {
        var z = RankOnePlusNoise(tasks, examples, 1, missing);

        var (model, report) = new AutoFitter().FitAuto(z);

        Assert.Equal(tasks, model.TaskCount);
        Assert.True(double.IsFinite(report.CrossValidatedRmse) && report.CrossValidatedRmse > 0);
        Assert.All(report.Candidates, c => Assert.True(double.IsFinite(c.Rmse), c.Name));
        Assert.Equal(30, report.Known);
        Assert.InRange(report.ShortTasks, 1, tasks);
        Assert.Contains($"all but one in the {report.ShortTasks} task", report.Summary(), StringComparison.Ordinal);
        Assert.True(new[] { 0.25, 0.5 }.All(x => double.IsFinite(model.FoldIn([0], [x]).PredictRow()[0])));
    }

    [Fact]
    public void CrossValidation_ShortRowsRevealAllButOneCell_LongRowsRevealKnown()
    {
        // Rows 0..9 keep 10 observed cells, rows 10..19 all 40: with Known = 12, the short rows score one cell per draw and
        // the long rows 40 - 12 = 28.
        var full = RankOnePlusNoise(20, 40, 2);
        var values = full.Values.ToArray();
        for (var i = 0; i < 10; i++)
        {
            values.AsSpan((i * 40) + 10, 30).Fill(float.NaN);
        }

        var z = ForgettingMatrix.Wrap(values, 20, 40);
        var options = new CrossValidationOptions { Known = 12, Folds = 4, Draws = 2 };
        var cv = TaskCrossValidation.Run(z, [new Candidate("additive", new AdditiveFitter())], options);

        Assert.Equal(10, cv.ShortTasks);
        Assert.Equal((10 * 2 * 1) + (10 * 2 * 28), cv.Truth.Length);
        Assert.Equal(10, cv.Select([0]).ShortTasks);
    }

    [Fact]
    public void CrossValidation_LongRows_AreNotShort()
    {
        var z = RankOnePlusNoise(20, 60, 3);
        var cv = TaskCrossValidation.Run(z, [new Candidate("additive", new AdditiveFitter())], new CrossValidationOptions { Known = 30, Draws = 1 });

        Assert.Equal(0, cv.ShortTasks);
        Assert.Equal(20 * 30, cv.Truth.Length);
        Assert.DoesNotContain("all but one", new AutoFitter().FitAuto(z).Report.Summary(), StringComparison.Ordinal);
    }
}
