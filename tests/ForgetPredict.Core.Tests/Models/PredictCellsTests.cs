using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// <see cref="FoldedTask.PredictCells"/>: a few examples' predictions and stds, each the whole row's value for that example bit
/// for bit, for every model (the fast per-example paths and the whole-row fallback alike).
/// </summary>
public class PredictCellsTests
{
    private const int Examples = 2500;
    private static readonly ForgettingMatrix s_complete = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = Examples, Seed = 8 }).Matrix;
    private static readonly ForgettingMatrix s_gappy = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = Examples, Seed = 8, MissingFraction = 0.05 }).Matrix;
    private static readonly ForgettingMatrix s_binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = Examples, Seed = 8, Binary = true }).Matrix;

    // Scrambled, with repeats, across block boundaries (1,024 examples a block) and at both ends of the row.
    private static readonly int[] s_cells = [2499, 0, 1023, 1024, 1025, 17, 2047, 2048, 5, 5, 1700, 1];

    public static TheoryData<string, bool> Models() => new()
    {
        { "additive", false }, { "rank1", false }, { "mf", false }, { "knn", false }, { "knn interpolated", false }, { "profile", false },
        { "task-mean", false }, { "example-mean", false }, { "ensemble", false }, { "logistic", false },
        { "mf", true }, { "knn", true }, { "knn interpolated", true }, { "ensemble", true },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Cells_AreTheWholeRowsValues_BitForBit(string name, bool gappy)
    {
        // Given: a model and a task folded in from 6 cells (gappy: knn's neighbours miss cells, so each cell walks its own neighbourhood)
        var z = name == "logistic" ? s_binary : gappy ? s_gappy : s_complete;
        var model = Fit(name, z);
        int[] known = [3, 40, 600, 1200, 1900, 2400];
        var values = known.Select(j => z[2, j]).Select(v => float.IsNaN(v) ? 0.25 : (double)v).ToArray();
        var fold = model.FoldIn(known, values);
        var rowMean = new double[Examples];
        var rowStd = new double[Examples];
        fold.PredictRow(rowMean, rowStd);

        // When: the cells alone, with and without their stds
        var mean = new double[s_cells.Length];
        var std = new double[s_cells.Length];
        fold.PredictCells(s_cells, mean, std);
        var meanOnly = new double[s_cells.Length];
        fold.PredictCells(s_cells, meanOnly, default);

        // Then
        Assert.Equal(s_cells.Select(j => rowMean[j]), mean);
        Assert.Equal(s_cells.Select(j => rowStd[j]), std);
        Assert.Equal(mean, meanOnly);
        Assert.All(std, s => Assert.True(s > 0));
    }

    [Fact]
    public void Cells_WithWrongSizesOrIndices_AreRefusedNamingTheProblem()
    {
        var fold = ModelCatalog.CreateFitter("mf").Fit(s_complete).FoldIn([1, 2], [0.1, 0.2]);

        var lengths = Assert.Throws<ArgumentException>(() => fold.PredictCells([1, 2, 3], new double[2], default));
        Assert.Contains("3 examples but destinations of 2 and 0 cells", lengths.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => fold.PredictCells([1, 2], new double[2], new double[3]));
        var index = Assert.Throws<ArgumentException>(() => fold.PredictCells([1, Examples], new double[2], default));
        Assert.Contains($"Example index {Examples} is outside 0..{Examples - 1}", index.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => fold.PredictCells([-1], new double[1], default));
    }

    [Fact]
    public void NoCells_WriteNothing()
    {
        var fold = ModelCatalog.CreateFitter("knn").Fit(s_complete).FoldIn([1, 2], [0.1, 0.2]);
        var (mean, std) = (new[] { -7.0, -7.0 }, new[] { -9.0, -9.0 });
        fold.PredictCells([], mean.AsSpan(0, 0), std.AsSpan(0, 0));

        // Zero cells write nothing, even beside a caller's buffers.
        Assert.Equal([-7.0, -7.0], mean);
        Assert.Equal([-9.0, -9.0], std);
    }

    [Theory]
    [InlineData(0.0, 2000)]
    [InlineData(0.05, 2000)]
    [InlineData(0.0, 2470)]
    [InlineData(0.0, 3000)]
    public void CrossValidationSample_IsTheFirstCellsOfAWholeSeededShuffle(double missing, int limit)
    {
        // The cross-validation draws its scored cells with the first `limit` steps of a Fisher-Yates shuffle; they must be the
        // first `limit` places of Random.Shuffle over every observed, unrevealed cell (what it drew before), so that auto's
        // choices and model files stay the same. This fails if .NET's Shuffle changes its order of draws.
        var z = missing > 0 ? s_gappy : s_complete;
        int[] known = [2400, 3, 40, 600];
        foreach (var (row, seed) in new[] { (0, 1), (2, 77), (29, -5) })
        {
            var cells = Enumerable.Range(0, Examples).Where(j => !float.IsNaN(z[row, j]) && !known.Contains(j)).ToArray();
            new Random(seed).Shuffle(cells);
            var expected = cells.Take(limit).Order().ToArray();

            Assert.Equal(expected, TaskCrossValidation.Scored(z, row, known, limit, seed));
        }
    }

    private static IForgettingModel Fit(string name, ForgettingMatrix z) => name switch
    {
        "knn interpolated" => ((KnnModel)ModelCatalog.CreateFitter("knn").Fit(z)).WithInterpolationPrior(10),
        "profile" => new ProfileFitter().Fit(z),
        "ensemble" => EnsembleModel.Restore(
            [.. new[] { "additive", "mf", "knn" }.Select(m => ModelCatalog.CreateFitter(m).Fit(z)), new ProfileFitter().Fit(z)],
            ["additive", "mf", "knn", "profile"], [0.1, 0.4, 0.3, 0.2], 1.1, 0.1),
        "logistic" => new LogisticFitter().FitLogistic(z),
        _ => ModelCatalog.CreateFitter(name).Fit(z),
    };
}
