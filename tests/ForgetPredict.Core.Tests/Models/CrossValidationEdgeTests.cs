using ForgetPredict.Core.Models;
using ForgetPredict.Testing;

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
        Assert.Contains($"; {report.ShortTasks} held-out task{(report.ShortTasks == 1 ? " has" : "s have")} no more than 30 observed cells and revealed all but one", report.Summary(), StringComparison.Ordinal);
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
    public void Auto_OnTooFewTasks_IsRefusedSayingHowManyItWasGiven_AndTheFix_InNoFrontEndsWords()
    {
        var error = Assert.Throws<ArgumentException>(() => new AutoFitter().FitAuto(RankOnePlusNoise(3, 40, 1)));
        Assert.StartsWith("Cross-validated fits (auto, ensemble) need at least 4 tasks to hold some out; they were given 3 (in an evaluation, the training tasks). Choose another method, e.g. mf, or add tasks.", error.Message, StringComparison.Ordinal);
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

    [Fact]
    public void CrossValidation_ManyTasks_ScoresASeededSampleOfScoredTasksPerFold_AndTheSameTasksWhenThereAreFewer()
    {
        // 40 tasks in 2 folds of 20; each held-out task scores 60 - 30 = 30 cells per draw
        var z = RankOnePlusNoise(40, 60, 4);
        Candidate[] additive = [new Candidate("additive", new AdditiveFitter())];
        var options = new CrossValidationOptions { Known = 30, Folds = 2, Draws = 1 };

        var capped = TaskCrossValidation.Run(z, additive, options with { ScoredTasks = 5 });
        var all = TaskCrossValidation.Run(z, additive, options);
        var exact = TaskCrossValidation.Run(z, additive, options with { ScoredTasks = 20 });

        Assert.Equal(2 * 5 * 30, capped.Truth.Length);
        Assert.Equal(2 * 20 * 30, all.Truth.Length);
        Assert.Equal(all.Truth, exact.Truth);
        Assert.Equal(all.Predictions[0], exact.Predictions[0]);
        Assert.Equal(capped.Truth, TaskCrossValidation.Run(z, additive, options with { ScoredTasks = 5 }).Truth);
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskCrossValidation.Run(z, additive, options with { ScoredTasks = 0 }));
    }

    [Fact]
    public void CrossValidation_ScoredTasks_AreTheFirstOfEachFoldInTheSeededShuffle_SkippingTasksWithNothingToScore()
    {
        // Task i's cells lie near 1000 (i + 1), so each scored cell names its task; tasks 0-9 have no observed cell
        var values = new float[40 * 12];
        for (var i = 0; i < 40; i++)
        {
            for (var j = 0; j < 12; j++)
            {
                values[(i * 12) + j] = i < 10 ? float.NaN : (1000f * (i + 1)) + j;
            }
        }

        var z = ForgettingMatrix.Wrap(values, 40, 12);
        var options = new CrossValidationOptions { Known = 3, Folds = 2, Draws = 1, ScoredTasks = 5, Seed = 3 };

        var cv = TaskCrossValidation.Run(z, [new Candidate("additive", new AdditiveFitter())], options);

        var order = Enumerable.Range(0, 40).ToArray();
        new Random(3).Shuffle(order);
        var expected = Enumerable.Range(0, 2).SelectMany(f => order.Where((_, p) => p % 2 == f).Where(t => t >= 10).Take(5)).Order();
        Assert.Equal(expected, cv.Truth.Select(v => (int)Math.Round(v / 1000) - 1).Distinct().Order());
        Assert.Equal(10 * 9, cv.Truth.Length);
    }

    private static ForgettingMatrix OneVaryingRow()
    {
        var values = Enumerable.Repeat(1f, 20 * 300).ToArray();
        for (var j = 0; j < 300; j++)
        {
            values[j] = 2f * j / 299;
        }

        return ForgettingMatrix.Wrap(values, 20, 300);
    }

    private static ForgettingMatrix OneHot()
    {
        var values = new float[20 * 50];
        values[0] = 1;
        return ForgettingMatrix.Wrap(values, 20, 50);
    }

    // The fold that holds out the one varying task fits on constant tasks: every candidate refused them, and the refusal
    // escaped Parallel.For as an AggregateException (a stack trace from the CLI).
    [Fact]
    public void Auto_AFoldWithConstantTrainingTasks_IsLeftOut_AndTheReportSaysSo()
    {
        foreach (var z in new[] { OneVaryingRow(), OneHot() })
        {
            var one = new AutoFitter(new AutoOptions { MaxThreads = 1 }).FitAuto(z);
            var all = new AutoFitter(new AutoOptions { MaxThreads = -1 }).FitAuto(z);

            Assert.Equal(1, one.Report.SkippedFolds);
            Assert.Contains("1 fold not scored, its training tasks being constant", one.Report.Summary(), StringComparison.Ordinal);
            Assert.Equal(one.Report.Summary(), all.Report.Summary());
            Assert.All(one.Model.FoldIn([0, 1], [1, 1]).PredictRow(), p => Assert.True(double.IsFinite(p)));
        }
    }

    // In the one-hot matrix every scored cell and every prediction is 0, so no member earns a positive stacking weight: the
    // ensemble used to have no member at all (an index error). The best member now stands alone with weight 1.
    [Fact]
    public void Ensemble_OfAFoldWithConstantTrainingTasks_Fits_AndKeepsAMember()
    {
        foreach (var z in new[] { OneVaryingRow(), OneHot() })
        {
            var model = Assert.IsType<EnsembleModel>(new EnsembleFitter().Fit(z));

            Assert.Equal(z.TaskCount, model.TaskCount);
            Assert.NotEmpty(model.Members);
            Assert.All(model.Weights, w => Assert.True(w > 0));
            Assert.All(model.FoldIn([0, 1], [1, 1]).PredictRow(), p => Assert.True(double.IsFinite(p)));
        }
    }

    // A 10 x 40 matrix of ones with a single 0 (times scale): the fold that holds out the varying task is left out, every
    // scored cell is predicted exactly, and the std calibrated on those errors was about 1e-9, so a measured 1.0 read as
    // 770,000 stds off and the matrix's own row was refused as millions of stds off.
    private static ForgettingMatrix OnesWithOneZero(float scale)
    {
        var values = new float[10 * 40];
        Array.Fill(values, scale);
        values[0] = 0;
        return ForgettingMatrix.Wrap(values, 10, 40);
    }

    [Fact]
    public void Ensemble_OfOnesWithOneZero_KeepsItsStdAboveTheDataSpread_AndScalesWithTheData()
    {
        var z = OnesWithOneZero(1);
        var model = Assert.IsType<EnsembleModel>(new EnsembleFitter(new EnsembleOptions { MaxThreads = 1 }).Fit(z));

        // The floor: three scored cells' worth of the cells' spread around their example means (0.9 / 400 per cell here).
        Assert.True(model.StdFloor > 1e-3, $"std floor {model.StdFloor}");
        var mean = new double[40];
        var std = new double[40];
        model.FoldIn([0], [1.0]).PredictRow(mean, std);
        Assert.All(std, s => Assert.True(s >= model.StdFloor, $"std {s}"));
        Assert.True(Math.Abs(mean[0] - 1) / std[0] < 20, $"a measured 1 at example 0 reads {Math.Abs(mean[0] - 1) / std[0]} stds off");
        // The matrix's own row: its 0 is a few hundred stds from the mean of the nine ones at most, not millions.
        var row = Enumerable.Range(0, 30).ToArray();
        var rowStd = new double[40];
        model.FoldIn(row, [.. row.Select(j => (double)z[0, j])]).PredictRow(mean, rowStd);
        Assert.All(rowStd, s => Assert.True(s >= model.StdFloor));
        Assert.InRange(model.StdFloor, 1e-3, 0.1);

        // Units: the same matrix times 1,000 has a floor 1,000 times as large, and (of an ensemble whose members are invariant
        // on it: the profile model is not, on this matrix) every mean and std 1,000 times as large.
        var scaled = Assert.IsType<EnsembleModel>(new EnsembleFitter(new EnsembleOptions { MaxThreads = 1 }).Fit(OnesWithOneZero(1000)));
        Assert.Equal(model.StdFloor * 1000, scaled.StdFloor, model.StdFloor * 1000 * 1e-9);
        var invariant = new EnsembleOptions { MaxThreads = 1, Members = ["additive", "mf", "knn"] };
        var (one, thousand) = (new EnsembleFitter(invariant).Fit(z).FoldIn([0], [1.0]), new EnsembleFitter(invariant).Fit(OnesWithOneZero(1000)).FoldIn([0], [1000.0]));
        var (oneMean, oneStd, thousandMean, thousandStd) = (new double[40], new double[40], new double[40], new double[40]);
        one.PredictRow(oneMean, oneStd);
        thousand.PredictRow(thousandMean, thousandStd);
        for (var j = 0; j < 40; j++)
        {
            Assert.Equal(oneMean[j] * 1000, thousandMean[j], 1e-3);
            Assert.Equal(oneStd[j] * 1000, thousandStd[j], oneStd[j] * 1000 * 1e-3);
            Assert.True(oneStd[j] > 1e-3, $"std {oneStd[j]}");
        }
    }

    [Fact]
    public void EnsembleStdFloor_IsRefusedWhenNegativeOrNotFinite_AndZeroByDefault()
    {
        var z = RankOnePlusNoise(6, 10, 4);
        var member = new AdditiveFitter().Fit(z);

        Assert.Equal(0, EnsembleModel.Restore([member], ["additive"], [1.0], 1, 0.1).StdFloor);
        Assert.Equal(0.25, EnsembleModel.Restore([member], ["additive"], [1.0], 1, 0.1, 0.25).StdFloor);
        Assert.All(new[] { -1.0, double.NaN, double.PositiveInfinity }, f =>
            Assert.Contains("std floor", Assert.Throws<ArgumentException>(() => EnsembleModel.Restore([member], ["additive"], [1.0], 1, 0.1, f)).Message, StringComparison.Ordinal));
    }

    // MixedMagnitudes.TinyAndHuge as a matrix.
    private static ForgettingMatrix TinyAndHuge(bool outlier) =>
        ForgettingMatrix.Wrap(MixedMagnitudes.TinyAndHuge(outlier), MixedMagnitudes.Tasks, MixedMagnitudes.Examples);

    [Fact]
    public void CrossValidatedFits_OfTinyAndHugeTasks_AreNotRefusedPerFold_ButAnOutlierIsRefusedWithTheWholeMatrixsMagnitude()
    {
        var z = TinyAndHuge(outlier: false);
        var typical = DataScale.TypicalMagnitude(z);
        Assert.True(typical > 1e9, $"typical {typical}");

        var (model, _) = new AutoFitter(new AutoOptions { MaxThreads = 1 }).FitAuto(z);
        Assert.Equal(24, model.TaskCount);
        Assert.NotNull(new EnsembleFitter(new EnsembleOptions { MaxThreads = 1 }).Fit(z));

        var bad = TinyAndHuge(outlier: true);
        var e = Assert.Throws<ArgumentException>(() => new AutoFitter(new AutoOptions { MaxThreads = 1 }).FitAuto(bad));
        Assert.Equal("matrix", e.ParamName);
        Assert.StartsWith("Cell (task '13', example '5') is 1E+20, more than 1e9 times the matrix's typical magnitude (" + DataScale.TypicalMagnitude(bad).ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + ")", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectTasks_OfACheckedMatrix_IsNotRefusedAgainstItsOwnMagnitude_ButAnUncheckedCutIs()
    {
        var z = TinyAndHuge(outlier: false);
        int[] mostlyTiny = [.. Enumerable.Range(0, 12), 12];

        // Unchecked, the cut of 12 small tasks and one large one refuses its large cells against its own magnitude (1e-10).
        Assert.Throws<ArgumentException>(() => new LowRankFitter(new LowRankOptions { MaxThreads = 1, Rank = 1 }).Fit(z.SelectTasks(mostlyTiny)));

        // Cut from the checked whole matrix, it fits.
        var cut = ForgetPredict.Core.Analysis.ExtremeCells.CheckRefusal(z).SelectTasks(mostlyTiny);
        Assert.Equal(13, new LowRankFitter(new LowRankOptions { MaxThreads = 1, Rank = 1 }).Fit(cut).TaskCount);
        Assert.Throws<ArgumentException>(() => ForgetPredict.Core.Analysis.ExtremeCells.CheckRefusal(TinyAndHuge(outlier: true)));
    }

    [Fact]
    public void Stack_WithNoPositiveWeight_KeepsTheBestMemberWhole()
    {
        var z = RankOnePlusNoise(6, 10, 4);
        var zeros = new double[5];
        var cv = new TaskCrossValidation(zeros, [[.. zeros], [.. zeros]], [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]);

        var model = EnsembleModel.Stack(z, [new Candidate("additive", new AdditiveFitter()), new Candidate("knn", new KnnFitter())], cv);

        Assert.Equal(["additive"], model.MemberNames);
        Assert.Equal([1.0], model.Weights);
        Assert.Equal(0, model.CrossValidatedRmse);
    }

    // A wholly constant matrix gets the one-line message a single fit of it gets (mf), not an AggregateException.
    [Fact]
    public void CrossValidatedFits_OfAConstantMatrix_FailWithTheMessageOfASingleFit()
    {
        var z = ForgettingMatrix.Wrap(Enumerable.Repeat(1f, 20 * 300).ToArray(), 20, 300);
        var single = Assert.Throws<ArgumentException>(() => new LowRankFitter().Fit(z)).Message;

        Assert.Equal(single, Assert.Throws<ArgumentException>(() => new AutoFitter().Fit(z)).Message);
        Assert.Equal(single, Assert.Throws<ArgumentException>(() => new EnsembleFitter().Fit(z)).Message);
        Assert.Contains("constant matrix", single, StringComparison.Ordinal);
    }

    // Two folds, each holding out the tasks of one value: both fit on constant tasks, so nothing can be cross-validated.
    [Fact]
    public void CrossValidation_WhoseEveryFoldFitsOnConstantTasks_SaysSo()
    {
        var options = new CrossValidationOptions { Folds = 2 };
        var order = Enumerable.Range(0, 10).ToArray();
        new Random(options.Seed).Shuffle(order);
        var values = new float[10 * 20];
        for (var p = 0; p < 10; p++)
        {
            values.AsSpan(order[p] * 20, 20).Fill(p % 2);
        }

        var z = ForgettingMatrix.Wrap(values, 10, 20);
        var e = Assert.Throws<ArgumentException>(() => TaskCrossValidation.Run(z, [new Candidate("additive", new AdditiveFitter())], options));

        Assert.Contains("in every one of the 2 groupings", e.Message, StringComparison.Ordinal);
        Assert.Contains("Choose another method, e.g. mf, or add tasks that vary.", e.Message, StringComparison.Ordinal);
    }

    // A candidate's own refusal on a fold reaches the caller as it is, the lowest fold's, for any thread count.
    [Fact]
    public void CrossValidation_AFoldsFailure_IsRethrownUnwrapped_TheLowestFoldsFirst()
    {
        var z = RankOnePlusNoise(20, 40, 5);
        string Failure(int threads) => Assert.Throws<ArgumentException>(() => TaskCrossValidation.Run(z, 1,
            train => throw new ArgumentException($"fold without {string.Join(',', Enumerable.Range(0, 20).Select(i => z.TaskIds[i]).Except(Enumerable.Range(0, train.TaskCount).Select(i => train.TaskIds[i])))}"),
            new CrossValidationOptions { Folds = 5, MaxThreads = threads })).Message;

        var first = Failure(1);
        Assert.Equal(first, Failure(-1));
        Assert.Equal(first, Failure(3));
        Assert.StartsWith("fold without ", first, StringComparison.Ordinal);
    }
}
