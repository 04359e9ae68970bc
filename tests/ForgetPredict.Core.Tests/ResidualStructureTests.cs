using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The residual model of Gaussian factor models: a degrees-of-freedom corrected noise variance, and residual directions that
/// make a group's interval account for examples that err together.
/// </summary>
public class ResidualStructureTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 1500, MissingFraction = 0.02, Seed = 5 });

    // z = a_i + b_j + N(0, sigma^2), complete.
    private static ForgettingMatrix Additive(int m, int n, double sigma, int seed, Func<int, int, double>? extra = null)
    {
        var random = new Random(seed);
        var a = Enumerable.Range(0, m).Select(_ => random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => 2 * random.NextDouble()).ToArray();
        var values = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                values[(i * n) + j] = (float)(a[i] + b[j] + (sigma * Normal(random)) + (extra?.Invoke(i, j) ?? 0));
            }
        }

        return ForgettingMatrix.Wrap(values, m, n);
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void NoiseVariance_CorrectsForDegreesOfFreedom()
    {
        // 10 x 100 cells fit with 110 parameters: the mean squared residual is about (1 - 109 / 1000) sigma^2. Over 12 draws the
        // corrected estimate must be unbiased within 4% and the raw one must show the bias.
        const double sigma = 0.1;
        double corrected = 0, raw = 0;
        const int draws = 12;
        for (var seed = 0; seed < draws; seed++)
        {
            var model = new AdditiveFitter(new AdditiveOptions { BiasLambda = 0, ResidualRank = 0 }).FitAdditive(Additive(10, 100, sigma, seed));
            corrected += model.NoiseVariance / (sigma * sigma) / draws;
            raw += model.Parameters.Fit.ResidualVariance / (sigma * sigma) / draws;
        }

        Assert.InRange(corrected, 0.96, 1.04);
        Assert.InRange(raw, 0.85, 0.93);
    }

    [Theory]
    [InlineData("additive")]
    [InlineData("rank1")]
    [InlineData("mf")]
    public void SingleExampleGroup_VarianceIsTheCellVariance(string method)
    {
        var model = Fit(method, s_data.Matrix);
        Assert.True(model.ResidualRank > 0);
        var fold = model.FoldIn([3, 50, 700, 1200], [0.2, 0.5, 0.1, 0.3]);
        var mean = new double[model.ExampleCount];
        var std = new double[model.ExampleCount];
        fold.PredictRow(mean, std);
        foreach (var j in new[] { 0, 3, 999, 1499 })
        {
            var (m, v) = fold.Average([j]);
            Assert.Equal(mean[j], m, 1e-12);
            Assert.Equal(std[j] * std[j], v, 1e-12 * Math.Max(1, v));
        }
    }

    [Fact]
    public void ExampleNoise_AveragesToTheNoiseVarianceAndVariesByExample()
    {
        // The residual variances the directions read average to the noise variance; each example's variance beyond its
        // parameters' share (see ExampleUncertaintyTests) is that, raised toward the noise variance where below it. Every
        // third example is noisier: the per-example variances must show it (on homoscedastic data they are raised to one).
        var model = new LowRankFitter().FitLowRank(NoisyExamples.Add(s_data.Matrix, 0.03, 2));
        var read = model.ResidualVariances();
        Assert.Equal(model.NoiseVariance, read.Average(), 1e-9 * model.NoiseVariance);
        var noise = Enumerable.Range(0, model.ExampleCount).Select(j => model.ExampleNoiseVariance(j) - (model.NoiseVariance * model.ExampleParameterShare[j])).ToArray();
        Assert.All(Enumerable.Range(0, model.ExampleCount), j => Assert.Equal(read[j] + (model.ResidualShrinkage * Math.Max(model.NoiseVariance - read[j], 0)), noise[j], 1e-9 * model.NoiseVariance));
        Assert.True(noise.Max() > 1.5 * noise.Min(), $"{noise.Min()} .. {noise.Max()}");
        Assert.All(noise, v => Assert.True(v > 0));
    }

    [Fact]
    public void HomoscedasticNoise_ExampleVariancesShrinkToTheNoiseVariance_WhileTheDirectionsStillScatter()
    {
        // The synthetic matrix's noise is the same for every example: the per-example variances the directions read scatter
        // by sampling alone, so the intervals raise every one below the noise variance all the way to it (plus each example's
        // parameter share), and the design keeps the directions' own reading.
        var model = new LowRankFitter().FitLowRank(s_data.Matrix);
        Assert.Equal(1, model.ResidualShrinkage);
        var raised = Enumerable.Range(0, model.ExampleCount).Select(j => model.ExampleNoiseVariance(j) - (model.NoiseVariance * model.ExampleParameterShare[j])).ToArray();
        var read = model.ResidualVariances();
        Assert.True(read.Min() < 0.8 * model.NoiseVariance, $"{read.Min()} .. {read.Max()}");
        Assert.Equal(model.NoiseVariance, raised.Min(), 1e-9 * model.NoiseVariance);
        Assert.All(Enumerable.Range(0, model.ExampleCount), j => Assert.Equal(Math.Max(read[j], model.NoiseVariance), raised[j], 1e-9 * model.NoiseVariance));
    }

    [Fact]
    public void SmallGroups_OfExamplesWithLargeDirections_KeepAPositiveVariance()
    {
        // charlm-d, additive: these six examples' residual directions carry much of their variance. Shrinking each example's
        // own variance toward the noise variance both ways (not the directions') made their group's residual variance
        // negative, clamped to 0: an interval narrower than any of its cells'. Only variances below the noise variance are
        // raised now, which keeps the covariance positive semi-definite: no group is narrower than its directions make it.
        var model = new AdditiveFitter().FitAdditive(Features.CharlmD.Matrix);
        Assert.InRange(model.ResidualShrinkage, 0.01, 0.99);
        int[] group = [1905, 4589, 4391, 4773, 1708, 4139];
        var fold = model.FoldIn([0, 100, 2000], [1.0, 1.2, 0.8]);
        var residual = fold.Average(group).Variance - fold.ParameterVariance(group);
        var directions = FactorModel.Create(model.ToParameters() with { ResidualShrinkage = 0, ExampleParameterShare = [] }).FoldIn([0, 100, 2000], [1.0, 1.2, 0.8]);
        var unshrunk = directions.Average(group).Variance - directions.ParameterVariance(group);
        Assert.True(unshrunk > 0, $"residual variance without shrinkage {unshrunk}");
        Assert.True(residual >= unshrunk, $"residual variance {residual}, {unshrunk} without shrinkage");
    }

    [Fact]
    public void AllComponents_GroupVarianceIsTheMeanSquaredGroupResidual()
    {
        // Complete additive matrix, every component kept (M - 1: residuals of a model with example biases sum to ~0 over tasks):
        // the residual part of a group's variance is the inflation times the training tasks' mean squared group residual, for
        // any grouping, plus what raising each example's own variance toward the noise variance (by the model's weight w of
        // the gap, when below it) adds, independent across examples. The example parameters' share is left out here
        // (ExampleUncertaintyTests).
        const int m = 12, n = 300;
        // Correlated residuals the additive model misses: every third example follows a task-dependent pattern.
        var z = Additive(m, n, 0.1, 3, (i, j) => j % 3 == 0 ? 0.05 * Math.Sin(i + (j % 7)) : 0);

        var fitted = new AdditiveFitter(new AdditiveOptions { BiasLambda = 1e-6, ResidualRank = m - 1 }).FitAdditive(z);
        var model = FactorModel.Create(fitted.ToParameters() with { ExampleParameterShare = [] });
        Assert.Equal(m - 1, model.ResidualRank);
        var inflation = model.NoiseVariance / model.Parameters.Fit.ResidualVariance;
        var fold = model.FoldIn([0, 1], [1.0, 2.0]);
        var row = new double[n];

        // Each example's own variance as the directions give it: the inflation times its mean squared training residual.
        var own = new double[n];
        for (var i = 0; i < m; i++)
        {
            model.PredictRow(i, row);
            for (var j = 0; j < n; j++)
            {
                own[j] += inflation * (z[i, j] - row[j]) * (z[i, j] - row[j]) / m;
            }
        }

        // The weight the model estimated is the one those variances give.
        var shrinkage = model.ResidualShrinkage;
        Assert.Equal(FactorModel.NoiseShrinkage(own, model.Parameters, n, Math.Max(model.NoiseVariance - own.Average(), 0)), shrinkage, 1e-3);
        int[][] groups = [[.. Enumerable.Range(0, n).Where(j => j % 3 == 0)], [.. Enumerable.Range(0, 40)], [7], [.. Enumerable.Range(0, n)]];
        foreach (var group in groups)
        {
            double directions = 0;
            for (var i = 0; i < m; i++)
            {
                model.PredictRow(i, row);
                var residual = group.Average(j => z[i, j] - row[j]);
                directions += inflation * residual * residual / m;
            }

            var expected = directions + (shrinkage * group.Sum(j => Math.Max(model.NoiseVariance - own[j], 0)) / ((double)group.Length * group.Length));

            var residualPart = fold.Average(group).Variance - fold.ParameterVariance(group);
            Assert.Equal(expected, residualPart, (2e-3 * expected) + 1e-9);
        }
    }

    [Fact]
    public void GroupOfCorrelatedExamples_WiderThanIndependenceWouldGive()
    {
        // The synthetic generator plants patterns tied to example groups; the low-rank fit leaves part of them in the residuals.
        var model = new LowRankFitter(new LowRankOptions { Rank = 1 }).FitLowRank(s_data.Matrix);
        var independent = new LowRankFitter(new LowRankOptions { Rank = 1, ResidualRank = 0 }).FitLowRank(s_data.Matrix);
        var group = Enumerable.Range(0, model.ExampleCount).Where(j => s_data.ExampleGroups[j] == s_data.ExampleGroups[0]).ToArray();
        var (_, correlated) = model.FoldIn([1, 2, 3], [0.1, 0.2, 0.3]).Average(group);
        var (_, naive) = independent.FoldIn([1, 2, 3], [0.1, 0.2, 0.3]).Average(group);
        Assert.True(correlated > 1.5 * naive, $"{correlated} vs {naive}");
    }

    // 40 tasks x n examples with a task-wide shift shared by every third example (0.1 c_i, c_i ~ N(0, 1) per task) that the
    // additive model leaves in its residuals.
    private static ForgettingMatrix Shifted(int n)
    {
        var shift = new Random(8);
        var c = Enumerable.Range(0, 40).Select(_ => Normal(shift)).ToArray();
        return Additive(40, n, 0.1, 4, (i, j) => j % 3 == 0 ? 0.1 * c[i] : 0);
    }

    // The residual part of a group's variance for a new task folded in from three cells.
    private static double ResidualPart(FactorModel model, int[] group)
    {
        var fold = model.FoldIn([1, 2, 4], [0.5, 1.0, 1.5]);
        return fold.Average(group).Variance - fold.ParameterVariance(group);
    }

    // The shifted matrix of 600 examples, then with half its cells missing at random.
    [Fact]
    public void MissingCells_GroupVariance_KeepsTheCovarianceBetweenExamples()
    {
        const int m = 40, n = 600;
        var complete = Shifted(n);
        var values = complete.Values.ToArray();
        var hide = new Random(9);
        for (var cell = 0; cell < values.Length; cell++)
        {
            values[cell] = hide.NextDouble() < 0.5 ? float.NaN : values[cell];
        }

        var half = ForgettingMatrix.Wrap(values, m, n);
        static FactorModel Fit(ForgettingMatrix z) => new AdditiveFitter().FitAdditive(z);
        var group = Enumerable.Range(0, n).Where(j => j % 3 == 0).ToArray();
        var dense = Fit(complete);
        var sparse = Fit(half);

        // The complete matrix's products count as they are; with half the cells missing, twice (a task measured two examples
        // together a quarter of the time, each one half of it): each example's weight about sqrt(2).
        Assert.Equal(0, dense.ResidualCrossMissing.Length);
        Assert.Equal(1, dense.ResidualCrossWeight(5));
        var weights = Enumerable.Range(0, n).Select(sparse.ResidualCrossWeight).Order().ToArray();
        Assert.InRange(weights[n / 2] * weights[n / 2], 1.9, 2.1);
        Assert.Equal(m, sparse.ResidualCrossTasks);

        // The group's residual variance (about 0.01, the shared shift's) is the complete matrix's within a quarter; read with the
        // products unscaled it was about half of it.
        var ratio = ResidualPart(sparse, group) / ResidualPart(dense, group);
        var unscaled = ResidualPart(FactorModel.Create(sparse.ToParameters() with { ResidualCrossMissing = [] }), group) / ResidualPart(dense, group);
        Assert.InRange(ratio, 0.75, 1.33);
        Assert.True(unscaled < 0.7, $"unscaled {unscaled}");
    }

    // The same shift on 40 tasks x 1,200 examples where every other example is measured on every task and the others on 2
    // tasks each: a task measures two complete examples together every time, so their products need no weight, while the
    // average observed fraction (0.53) alone would have scaled them by 1 / 0.53 (a single scale made the complete examples'
    // group 3.7 times as wide in variance as on the complete matrix; unweighted it was 1.9 times: the directions' scaling by
    // 1 / rho overstates the products of examples measured more often than the average).
    [Fact]
    public void UnevenlyMeasuredExamples_GroupVariance_WeighsEachExampleByHowOftenItWasMeasured()
    {
        const int m = 40, n = 1200;
        var complete = Shifted(n);
        var values = complete.Values.ToArray();
        var hide = new Random(9);
        for (var j = 1; j < n; j += 2)
        {
            var keep = Enumerable.Range(0, m).OrderBy(_ => hide.Next()).Take(2).ToHashSet();
            for (var i = 0; i < m; i++)
            {
                values[(i * n) + j] = keep.Contains(i) ? values[(i * n) + j] : float.NaN;
            }
        }

        var uneven = ForgettingMatrix.Wrap(values, m, n);
        var dense = new AdditiveFitter().FitAdditive(complete);
        var sparse = new AdditiveFitter().FitAdditive(uneven);
        var group = Enumerable.Range(0, n).Where(j => j % 6 == 0).ToArray(); // complete examples with the shift
        var ratio = ResidualPart(sparse, group) / ResidualPart(dense, group);
        var unweighted = ResidualPart(FactorModel.Create(sparse.ToParameters() with { ResidualCrossMissing = [] }), group) / ResidualPart(dense, group);
        Assert.InRange(ratio, 0.75, 1.33);
        Assert.True(unweighted > 1.5, $"unweighted {unweighted}");
    }

    [Fact]
    public void GapsThatAreEmptyTasksOrUnmeasuredExamples_NeedNoCrossWeights()
    {
        // A task with no cell and an example no task measured leave every product where it was: no weights, the file as before.
        var values = Additive(12, 200, 0.1, 5).Values.ToArray();
        for (var j = 0; j < 200; j++)
        {
            values[(3 * 200) + j] = float.NaN;
        }

        for (var i = 0; i < 12; i++)
        {
            values[(i * 200) + 17] = float.NaN;
        }

        var model = new AdditiveFitter().FitAdditive(ForgettingMatrix.Wrap(values, 12, 200));
        Assert.True(model.ResidualRank > 0);
        Assert.Equal(0, model.ResidualCrossMissing.Length);

        // One more missing cell, of a task that measured others: weights.
        values[(5 * 200) + 40] = float.NaN;
        var weighted = new AdditiveFitter().FitAdditive(ForgettingMatrix.Wrap(values, 12, 200));
        Assert.Equal(200, weighted.ResidualCrossMissing.Length);
        Assert.Equal((byte)2, weighted.ResidualCrossMissing[40]); // the empty task and its own gap
        Assert.Equal((byte)1, weighted.ResidualCrossMissing[41]);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void ResidualRank_OutOfRange_IsRejected(int rank)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowRankFitter(new LowRankOptions { ResidualRank = rank }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdditiveFitter(new AdditiveOptions { ResidualRank = rank }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankOneFitter(new RankOneOptions { ResidualRank = rank }));
    }

    [Fact]
    public void ResidualRank_IsCappedByTheTaskCount()
    {
        var small = s_data.Matrix.SelectTasks([0, 1, 2, 3, 4, 5]);
        Assert.Equal(5, new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(small).ResidualRank);
        Assert.Equal(0, new LowRankFitter(new LowRankOptions { ResidualRank = 0 }).FitLowRank(small).ResidualRank);
    }

    [Fact]
    public void Create_MismatchedResidualFactors_IsRejected()
    {
        var p = new LowRankFitter().FitLowRank(s_data.Matrix).Parameters;
        Assert.Throws<ArgumentException>(() => FactorModel.Create(p with { ResidualScales = [.. p.ResidualScales.Skip(1)] }));
        Assert.Throws<ArgumentException>(() => FactorModel.Create(p with { ResidualFactors = [.. p.ResidualFactors.Skip(1)] }));
        var infinite = (Half[])p.ResidualFactors.Clone();
        infinite[10] = Half.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => FactorModel.Create(p with { ResidualFactors = infinite }));
    }

    [Fact]
    public void GroupAverages_RememberedForLargeGroups_AreExactlyTheComputedOnes()
    {
        var model = new LowRankFitter().FitLowRank(s_data.Matrix);
        var group = Enumerable.Range(0, model.ExampleCount).Where(j => j % 3 != 0).ToArray();
        var fold = model.FoldIn([3, 50, 700], [0.2, 0.5, 0.1]);
        var first = fold.Average(group);
        var copy = (int[])group.Clone();
        Assert.Equal(first, fold.Average(copy));                                    // same members, another array
        copy[0] = 0;                                                                 // different members: not confused
        Assert.NotEqual(first, fold.Average(copy));
        group[0] = 0;                                                                // the caller's array is not kept
        Assert.Equal(fold.Average(copy), fold.Average(group));

        // Against a fresh model (nothing remembered), from many threads at once, and past the cache's capacity.
        var fresh = FactorModel.Create(model.Parameters).FoldIn([3, 50, 700], [0.2, 0.5, 0.1]);
        var groups = Enumerable.Range(0, GroupCache.Capacity + 20)
            .Select(g => Enumerable.Range(0, model.ExampleCount).Where(j => (j + g) % 5 != 0).ToArray()).ToArray();
        var parallel = new (double, double)[groups.Length];
        Parallel.For(0, groups.Length, g => parallel[g] = fold.Average(groups[g]));
        for (var g = 0; g < groups.Length; g++)
        {
            Assert.Equal(fresh.Average(groups[g]), parallel[g]);
            Assert.Equal(parallel[g], fold.Average(groups[g]));
        }
    }

    [Fact]
    public void GroupCache_LargeIndices_HashWithoutOverflow()
    {
        var cache = new GroupCache();
        var members = Enumerable.Range(0, 1000).Select(i => int.MaxValue - i).ToArray();
        var moments = new GroupMoments([1.0], 0.5, 0.25, 0);
        Assert.Same(moments, cache.GetOrAdd(members, _ => moments));
        Assert.Same(moments, cache.GetOrAdd(members, _ => throw new InvalidOperationException("should be remembered")));
        Assert.Equal(1, cache.Count);
    }

    private static FactorModel Fit(string method, ForgettingMatrix z) => method switch
    {
        "additive" => new AdditiveFitter().FitAdditive(z),
        "rank1" => (FactorModel)new RankOneFitter().Fit(z),
        _ => new LowRankFitter().FitLowRank(z),
    };
}
