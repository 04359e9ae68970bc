using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Erasure;

/// <summary>
/// <see cref="RowScanner"/>: the single-precision path against the double path and <see cref="ErasureReport"/> (top lists
/// identical to the bit, probability sums within 1e-6 per example), ties, groups of every size, examples in no group, the
/// models that take the double path, and argument checks.
/// </summary>
public class RowScannerTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 41, Examples = 3000, Groups = 5, Patterns = 3, Noise = 0.02, Seed = 8 });
    private static readonly int[] s_known = Enumerable.Range(0, 30).Select(i => i * 97).ToArray();

    private static FoldedTask Fold(IForgettingModel model, ForgettingMatrix z, int task = 40)
    {
        var known = s_known.Select(j => j % z.ExampleCount).Distinct().ToArray();
        return model.FoldIn(known, known.Select(j => (double)z[task, j]).ToArray());
    }

    // A tasks x columns matrix with cell (i, j) = value(i, j).
    private static ForgettingMatrix Map(ForgettingMatrix z, int columns, Func<int, int, float> value)
    {
        var values = new float[z.TaskCount * columns];
        for (var i = 0; i < z.TaskCount; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                values[(i * columns) + j] = value(i, j);
            }
        }

        return ForgettingMatrix.Create(values, z.TaskCount, columns);
    }

    private static int[][] GroupsOf(IReadOnlyList<string> labels) =>
        [.. labels.Distinct().Order(StringComparer.Ordinal).Select(g => Enumerable.Range(0, labels.Count).Where(j => labels[j] == g).ToArray())];

    private static void AssertSame(RowScan expected, RowScan actual, int exampleCount, IReadOnlyList<int[]> groups)
    {
        Assert.Equal(expected.Top, actual.Top);
        Assert.Equal(expected.GroupTop.Count, actual.GroupTop.Count);
        for (var g = 0; g < groups.Count; g++)
        {
            Assert.Equal(expected.GroupTop[g], actual.GroupTop[g]);
            Assert.Equal(expected.GroupExpected[g], actual.GroupExpected[g], 1e-6 * Math.Max(1, groups[g].Length));
        }

        Assert.Equal(expected.ExpectedForgotten, actual.ExpectedForgotten, 1e-6 * exampleCount);
    }

    public static TheoryData<string> GaussianMethods() => ["mf", "rank1", "additive", "task-mean"];

    private static IForgettingModel FitGaussian(string method, ForgettingMatrix train) => method switch
    {
        "mf" => new LowRankFitter(new LowRankOptions { Rank = 4 }).Fit(train),
        "rank1" => new RankOneFitter().Fit(train),
        "additive" => new AdditiveFitter().Fit(train),
        _ => new TaskMeanFitter().Fit(train),
    };

    [Theory]
    [MemberData(nameof(GaussianMethods))]
    public void SinglePrecision_GivesTheDoublePathsAnswer(string method)
    {
        // Given: a Gaussian factor model (task-mean: every example ties), five groups, and a folded task.
        var train = s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray());
        var model = FitGaussian(method, train);
        var groups = GroupsOf(s_data.ExampleGroups);
        var task = Fold(model, s_data.Matrix);
        var options = new RowScanOptions { Top = 25, TopPerGroup = 4, Threshold = 0.05 };

        // When: scanned in single precision and by the double path.
        var single = new RowScanner(model, groups).Scan(task, options);
        var reference = new RowScanner(model, groups, allowSinglePrecision: false).Scan(task, options);

        // Then: the same answer, and the single-precision path was taken.
        Assert.True(single.SinglePrecision);
        Assert.False(reference.SinglePrecision);
        AssertSame(reference, single, model.ExampleCount, groups);
    }

    [Fact]
    public void DoublePath_MatchesTheErasureReport()
    {
        var model = new LowRankFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var task = Fold(model, s_data.Matrix);
        var groups = GroupsOf(s_data.ExampleGroups);
        var report = ErasureReport.Create(task, model.ExampleIds, ExampleGroups.FromLabels(s_data.ExampleGroups), new ErasureOptions { Top = 10, Threshold = 0.05 });

        var scan = new RowScanner(model, groups, allowSinglePrecision: false).Scan(task, new RowScanOptions { Top = 10, TopPerGroup = 3, Threshold = 0.05 });

        Assert.Equal(report.TopExamples.Select(e => (e.Id, e.Predicted, e.Std, e.Probability)), scan.Top.Select(e => (model.ExampleIds[e.Example], e.Mean, e.Std, e.Probability)));
        Assert.Equal(report.Examples.Sum(e => e.Probability), scan.ExpectedForgotten, 2e-7 * model.ExampleCount);
        foreach (var group in report.Groups)
        {
            var g = s_data.ExampleGroups.Distinct().Order(StringComparer.Ordinal).ToList().IndexOf(group.Name);
            Assert.Equal(group.ShareForgotten, scan.GroupExpected[g] / group.Count, 2e-7);
            Assert.Equal(group.TopExamples.Take(3).Select(e => e.Id), scan.GroupTop[g].Select(e => model.ExampleIds[e.Example]));
        }
    }

    [Fact]
    public void Ties_GoToTheLowerIndex_InBothPaths()
    {
        // Given: every example duplicated three times (identical columns fit identical factors), so means tie in threes.
        var columns = Enumerable.Range(0, 400).SelectMany(j => new[] { j, j, j }).ToArray();
        var tied = Map(s_data.Matrix, columns.Length, (i, c) => s_data.Matrix[i, columns[c]]);
        var model = new LowRankFitter(new LowRankOptions { Rank = 3 }).Fit(tied.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var task = Fold(model, tied);

        // When: scanned with a top list that cuts through a run of ties.
        var scan = new RowScanner(model).Scan(task, new RowScanOptions { Top = 8 });

        // Then: ranked by mean, ties by index, exactly as a full sort of the double row.
        var mean = task.PredictRow();
        var sorted = Enumerable.Range(0, mean.Length).OrderByDescending(j => mean[j]).ThenBy(j => j).Take(8).ToArray();
        Assert.Equal(sorted, scan.Top.Select(e => e.Example));
        Assert.Equal(mean[scan.Top[0].Example], mean[scan.Top[1].Example]);
        Assert.True(scan.SinglePrecision);
    }

    [Fact]
    public void ManySmallGroups_AndExamplesInNoGroup_AreSummedAndRankedPerGroup()
    {
        // Given: groups of 1 to 40 examples scattered over the row, every fifth example in no group, one empty group.
        var model = new LowRankFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var random = new Random(3);
        var shuffled = Enumerable.Range(0, model.ExampleCount).Where(j => j % 5 != 0).OrderBy(_ => random.Next()).ToArray();
        var groups = new List<int[]> { Array.Empty<int>() };
        for (var at = 0; at < shuffled.Length;)
        {
            var size = Math.Min(random.Next(1, 41), shuffled.Length - at);
            groups.Add(shuffled[at..(at + size)]);
            at += size;
        }

        var task = Fold(model, s_data.Matrix);

        // When / Then: the same answer as the double path, and the total counts the ungrouped examples too.
        var options = new RowScanOptions { Top = 50, TopPerGroup = 3 };
        var single = new RowScanner(model, groups).Scan(task, options);
        var reference = new RowScanner(model, groups, allowSinglePrecision: false).Scan(task, options);
        AssertSame(reference, single, model.ExampleCount, groups);
        Assert.Empty(single.GroupTop[0]);
        Assert.Equal(0, single.GroupExpected[0]);
        Assert.True(single.ExpectedForgotten > single.GroupExpected.Sum() + 1);
    }

    [Fact]
    public void NearNoiselessModels_TakeTheDoublePath()
    {
        // Stds far below the float resolution of the means would let single-precision rounding move probabilities.
        var fitted = (FactorModel)new AdditiveFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var noiseless = FactorModel.Create(fitted.Parameters with { NoiseVariance = 1e-24, ResidualRank = 0, ResidualFactors = [], ResidualScales = [] });

        Assert.True(new RowScanner(fitted).Scan(Fold(fitted, s_data.Matrix)).SinglePrecision);
        Assert.False(new RowScanner(noiseless).Scan(Fold(noiseless, s_data.Matrix)).SinglePrecision);
    }

    [Fact]
    public void TopLongerThanTheRow_ListsEveryExample()
    {
        var model = new AdditiveFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var task = Fold(model, s_data.Matrix);
        var groups = new[] { new[] { 5, 9, 2 } };

        var scan = new RowScanner(model, groups).Scan(task, new RowScanOptions { Top = 0, TopPerGroup = 10 });

        Assert.Empty(scan.Top);
        Assert.Equal(new[] { 2, 5, 9 }.OrderByDescending(j => task.PredictRow()[j]).ThenBy(j => j), scan.GroupTop[0].Select(e => e.Example));
    }

    [Fact]
    public void KnnAndLogisticModels_TakeTheDoublePath()
    {
        var train = s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray());
        var knn = new KnnFitter().Fit(train);
        var knnScan = new RowScanner(knn).Scan(Fold(knn, s_data.Matrix));
        Assert.False(knnScan.SinglePrecision);
        Assert.Equal(20, knnScan.Top.Count);

        var binary = Map(s_data.Matrix, s_data.Matrix.ExampleCount, (i, j) => s_data.Matrix[i, j] > 0.05f ? 1 : 0);
        var logistic = new LogisticFitter().Fit(binary.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        var task = Fold(logistic, binary);
        var scan = new RowScanner(logistic).Scan(task);
        Assert.Equal(0.5, task.DefaultThreshold);
        Assert.Equal(0, Fold(knn, s_data.Matrix).DefaultThreshold);
        Assert.False(scan.SinglePrecision);
        Assert.All(scan.Top, e => Assert.Equal(e.Mean, e.Probability));
        Assert.Equal(task.PredictRow().Sum(), scan.ExpectedForgotten, 1e-9);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        var model = new AdditiveFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 40).ToArray()));
        Assert.Throws<ArgumentException>(() => new RowScanner(model, [[1, 2], [2, 3]]));
        Assert.Throws<ArgumentException>(() => new RowScanner(model, [[model.ExampleCount]]));
        Assert.Throws<ArgumentException>(() => new RowScanner(model, [[-1]]));

        var scanner = new RowScanner(model);
        var other = new AdditiveFitter().Fit(Map(s_data.Matrix, 100, (i, j) => s_data.Matrix[i, j]));
        Assert.Throws<ArgumentException>(() => scanner.Scan(other.FoldIn([], [])));
        var task = model.FoldIn([], []);
        Assert.Throws<ArgumentOutOfRangeException>(() => scanner.Scan(task, new RowScanOptions { Top = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => scanner.Scan(task, new RowScanOptions { TopPerGroup = RowScanOptions.MaxTop + 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => scanner.Scan(task, new RowScanOptions { Threshold = double.NaN }));
    }

    [Fact]
    public void NormalTail_IsWithin2e7OfTheExactTail()
    {
        // Means and stds over a grid covering both tails, zero std (a step) and the threshold itself.
        var means = new List<double>();
        var stds = new List<double>();
        foreach (var m in Enumerable.Range(-400, 801).Select(i => i / 40.0))
        {
            foreach (var s in new[] { 0, 1e-9, 0.01, 0.3, 1, 2.5, 40 })
            {
                means.Add(m);
                stds.Add(s);
            }
        }

        var fast = new double[means.Count];
        NormalTail.Exceedance([.. means], [.. stds], 0.25, fast);
        for (var i = 0; i < fast.Length; i++)
        {
            var exact = NormalDistribution.ExceedanceProbability(means[i], stds[i], 0.25);
            Assert.True(Math.Abs(exact - fast[i]) <= 2e-7, $"mean {means[i]}, std {stds[i]}: {fast[i]} vs {exact}");
            Assert.Equal(NormalTail.Scalar(means[i], stds[i], 0.25), fast[i], 1e-15);
        }
    }

    [Fact]
    public void TopSelection_EqualsAFullSortWithIndexTieBreak()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 5000).Select(_ => Math.Round(random.NextDouble() * 50) / 50).ToArray();
        var sorted = Enumerable.Range(0, values.Length).OrderByDescending(j => values[j]).ThenBy(j => j).ToArray();
        foreach (var k in new[] { 0, 1, 3, 20, 999, 5000, 6000 })
        {
            Assert.Equal(sorted.Take(k), TopSelection.Largest(values, k));
        }

        var candidates = Enumerable.Range(0, values.Length).Where(j => j % 7 == 3).ToArray();
        Assert.Equal(sorted.Where(j => j % 7 == 3).Take(10), TopSelection.Largest(values, 10, candidates));
    }
}
