using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Models;

public class AutoTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 4)]
    public void Auto_PlantedRank_IsRecovered(int patterns, int plantedRank)
    {
        // Planted rank 1 + patterns (uncentred) is `patterns + 1` factors beside the biases of the mf model.
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Patterns = patterns, Noise = 0.01, Seed = 11 }).Matrix;
        var (_, report) = new AutoFitter(new AutoOptions { CrossValidation = new CrossValidationOptions { Known = 100, Folds = 3 } }).FitAuto(z);
        Assert.Equal(plantedRank, report.Rank);
    }

    [Fact]
    public void Auto_FixedRank_Wins()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 400, Seed = 3 }).Matrix;
        var (_, report) = new AutoFitter(new AutoOptions { Rank = 3 }).FitAuto(z);
        Assert.Equal(3, report.Rank);
        Assert.Contains(report.Candidates, c => c.Name == "mf rank 3");
        Assert.DoesNotContain(report.Candidates, c => c.Name.StartsWith("mf rank", StringComparison.Ordinal) && c.Name != "mf rank 3");
        Assert.Contains("cross-validated RMSE", report.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_SameResultForAnyThreadCount()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 24, Examples = 600, Seed = 5 }).Matrix;
        int[] known = [3, 50, 77, 120, 300, 451, 599];
        var values = known.Select(j => (double)z[0, j]).ToArray();
        var one = new AutoFitter(new AutoOptions { MaxThreads = 1 }).FitAuto(z);
        var all = new AutoFitter(new AutoOptions { MaxThreads = -1 }).FitAuto(z);
        Assert.Equal(one.Report.Choice, all.Report.Choice);
        Assert.Equal(one.Report.CrossValidatedRmse, all.Report.CrossValidatedRmse);
        Assert.Equal(one.Report.Candidates, all.Report.Candidates);
        Assert.Equal(one.Model.FoldIn(known, values).PredictRow(), all.Model.FoldIn(known, values).PredictRow());
    }

    [Fact]
    public void Auto_TooFewTasks_FailsWithAClearMessage()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 3, Examples = 200, Seed = 2 }).Matrix;
        var e = Assert.Throws<ArgumentException>(() => new AutoFitter().Fit(z));
        Assert.Contains("at least 4 tasks", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StackingWeights_RecoverAnExactNonNegativeMixture()
    {
        var random = new Random(1);
        var a = Enumerable.Range(0, 500).Select(_ => random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 500).Select(_ => random.NextDouble()).ToArray();
        var c = Enumerable.Range(0, 500).Select(i => -a[i] + (0.1 * random.NextDouble())).ToArray();
        var truth = a.Select((x, i) => (0.3 * x) + (0.7 * b[i])).ToArray();
        var cv = new TaskCrossValidation(truth, [a, b, c], [a, b, c]);
        var weights = EnsembleModel.StackingWeights(cv);
        Assert.Equal(0.3, weights[0], 9);
        Assert.Equal(0.7, weights[1], 9);
        Assert.Equal(0, weights[2]);
    }

    // QA: unconstrained, the weights learned to expand the members' predictions (sums of 1.06-1.2 on matrices of 8-20 tasks),
    // which overshot once the members were refitted on every training task. They now sum to one: the best convex combination.
    [Fact]
    public void StackingWeights_SumToOne_TheBestConvexCombination()
    {
        var random = new Random(2);
        var a = Enumerable.Range(0, 2000).Select(_ => random.NextDouble()).ToArray();
        var b = a.Select(x => x + (0.3 * (random.NextDouble() - 0.5))).ToArray();
        // The truth is 1.15 times a blend of the two: least squares free in its sum would give weights summing to 1.15.
        var truth = a.Select((x, i) => 1.15 * ((0.6 * x) + (0.4 * b[i]))).ToArray();
        var cv = new TaskCrossValidation(truth, [a, b], [a, b]);

        var weights = EnsembleModel.StackingWeights(cv);

        Assert.Equal(1, weights.Sum(), 12);
        Assert.All(weights, w => Assert.True(w >= 0));
        // No other convex combination on a fine grid does better.
        var loss = Loss(weights[0]);
        for (var w = 0.0; w <= 1; w += 0.001)
        {
            Assert.True(loss <= Loss(w) + 1e-12, $"w = {w}");
        }

        double Loss(double w) => truth.Select((t, i) => Math.Pow(t - (w * a[i]) - ((1 - w) * b[i]), 2)).Sum();
    }

    [Fact]
    public void Members_DropThoseThatAddLessThanTheTolerance_AndKeepThoseThatAddMore()
    {
        // Two predictors with independent errors of equal size: averaging them cuts the RMSE by 29%. A third is the first
        // plus a sliver of independent noise: it gets a small weight that adds almost nothing.
        var random = new Random(4);
        var truth = Enumerable.Range(0, 4000).Select(_ => random.NextDouble()).ToArray();
        var a = truth.Select(t => t + Normal(random)).ToArray();
        var b = truth.Select(t => t + Normal(random)).ToArray();
        var nearA = a.Select(x => x + (0.05 * Normal(random))).ToArray();
        var c = truth.Select(_ => 0.5).ToArray();
        var cv = new TaskCrossValidation(truth, [a, b, nearA, c], [a, b, nearA, c]);
        Assert.True(EnsembleModel.StackingWeights(cv)[2] > 0);

        // No tolerance: every member with a positive weight stays.
        var all = AutoFitter.Members(cv, [0, 1, 2, 3], 0);
        Assert.Equal([.. Enumerable.Range(0, 4).Where(i => EnsembleModel.StackingWeights(cv)[i] > 0)], all);

        // 0.2%: the near-copy goes, the two independent predictors stay, and the stack loses at most the tolerance.
        var kept = AutoFitter.Members(cv, [0, 1, 2, 3], 0.002);
        Assert.Contains(0, kept);
        Assert.Contains(1, kept);
        Assert.DoesNotContain(2, kept);
        var full = EnsembleModel.Weigh(cv.Select([0, 1, 2, 3])).Rmse;
        Assert.InRange(EnsembleModel.Weigh(cv.Select(kept)).Rmse, full, full * 1.002);

        // A tolerance larger than what either independent predictor adds leaves one.
        Assert.Single(AutoFitter.Members(cv, [0, 1, 2, 3], 0.5));

        static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
    }

    [Fact]
    public void Ensemble_FoldIn_IsTheWeightedSumOfItsMembers_WithACalibratedStd()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 800, Seed = 8 }).Matrix;
        var model = Assert.IsType<EnsembleModel>(new EnsembleFitter(new EnsembleOptions { Members = ["additive", "mf", "knn"] }).Fit(z));
        Assert.True(model.Weights.All(w => w > 0) && model.StdScale > 0);
        int[] known = [1, 10, 100, 200, 400, 799];
        var values = known.Select(j => (double)z[2, j]).ToArray();
        var mean = new double[800];
        var std = new double[800];
        model.FoldIn(known, values).PredictRow(mean, std);
        var expected = new double[800];
        for (var c = 0; c < model.Members.Count; c++)
        {
            var row = model.Members[c].FoldIn(known, values).PredictRow();
            for (var j = 0; j < 800; j++)
            {
                expected[j] += model.Weights[c] * row[j];
            }
        }

        for (var j = 0; j < 800; j++)
        {
            Assert.Equal(expected[j], mean[j], 12);
            Assert.True(std[j] > 0);
        }
    }

    [Theory]
    [InlineData(0.0)] // every member predicts block by block
    [InlineData(0.05)] // knn's neighbours miss cells: the whole-row path
    public void Ensemble_Prediction_MatchesItsMembersWeightedSum_MeanAndStd(double missing)
    {
        // 2,500 examples: two whole blocks and a partial one.
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 2500, Seed = 8, MissingFraction = missing }).Matrix;
        // Every member with a weight (a fitted ensemble may drop knn), so both paths include the knn member.
        IForgettingModel[] members = [.. new[] { "additive", "mf", "knn" }.Select(name => ModelCatalog.CreateFitter(name).Fit(z)), new ProfileFitter().Fit(z)];
        var model = EnsembleModel.Restore(members, ["additive", "mf", "knn", "profile"], [0.1, 0.4, 0.3, 0.2], 1.1, 0.1);
        int[] known = [1, 10, 100, 200, 400, 799, 1500, 2499];
        var values = known.Select(j => z[2, j]).Select(v => float.IsNaN(v) ? 0.3 : v).ToArray();
        var mean = new double[2500];
        var std = new double[2500];
        model.FoldIn(known, values).PredictRow(mean, std);
        var expectedMean = new double[2500];
        var expectedStd = new double[2500];
        for (var c = 0; c < model.Members.Count; c++)
        {
            var memberMean = new double[2500];
            var memberStd = new double[2500];
            model.Members[c].FoldIn(known, values).PredictRow(memberMean, memberStd);
            for (var j = 0; j < 2500; j++)
            {
                expectedMean[j] += model.Weights[c] * memberMean[j];
                expectedStd[j] += model.Weights[c] * model.StdScale * memberStd[j];
            }
        }

        // Bit for bit: the ensemble adds its members' predictions in the same order with the same operations.
        Assert.Equal(expectedMean, mean);
        Assert.Equal(expectedStd, std);

        Assert.Equal(mean, model.FoldIn(known, values).PredictRow());
    }

    [Fact]
    public void MemberBlocks_AreTheirRowsSlices_BitForBit()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 2500, Seed = 8 }).Matrix;
        int[] known = [1, 10, 100, 2499];
        var values = known.Select(j => (double)z[2, j]).ToArray();
        foreach (var name in new[] { "mf", "knn", "additive" })
        {
            var fold = ModelCatalog.CreateFitter(name).Fit(z).FoldIn(known, values);
            var mean = new double[2500];
            var std = new double[2500];
            fold.PredictRow(mean, std);
            var blockMean = new double[476];
            var blockStd = new double[476];
            Assert.True(fold.PredictBlock(2024, blockMean, blockStd), name);
            Assert.Equal(mean.AsSpan(2024, 476).ToArray(), blockMean);
            Assert.Equal(std.AsSpan(2024, 476).ToArray(), blockStd);
        }

        var gappy = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 2500, Seed = 8, MissingFraction = 0.05 }).Matrix;
        Assert.False(ModelCatalog.CreateFitter("knn").Fit(gappy).FoldIn(known, [0.1, 0.2, 0.3, 0.4]).PredictBlock(0, new double[10], default));
    }

    [Fact]
    public void Profile_FitsTasksThatDifferOnlyInSize()
    {
        // z[i, j] = s_i * f_j exactly: the profile model reproduces every row, and a new task's row from a few cells.
        var random = new Random(4);
        var f = Enumerable.Range(0, 300).Select(_ => random.NextDouble()).ToArray();
        var cells = new float[20 * 300];
        for (var i = 0; i < 20; i++)
        {
            var s = 0.5 + (i * 0.25);
            for (var j = 0; j < 300; j++)
            {
                cells[(i * 300) + j] = (float)(s * f[j]);
            }
        }

        var model = new ProfileFitter(new ProfileOptions { Rank = 2 }).Fit(ForgettingMatrix.Wrap(cells, 20, 300));
        Assert.Equal(cells[(7 * 300) + 11], model.Predict(7, 11), 4);
        int[] known = [5, 60, 150, 299];
        var row = model.FoldIn(known, [.. known.Select(j => 3.0 * f[j])]).PredictRow();
        Assert.Equal(3.0 * f[100], row[100], 2);
    }
}
