using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Erasure;

public class ErasureReportTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 41, Examples = 1200, Groups = 4, Patterns = 3, Noise = 0.01, Seed = 21 });

    private static FoldedTask FoldHeldOut(IForgettingModel model, int task, int known = 30)
    {
        var cells = Protocol.Reveal(s_data.Matrix, task, 0, new EvaluationOptions { Known = known });
        return model.FoldIn(cells, cells.Select(j => (double)s_data.Matrix[task, j]).ToArray());
    }

    [Theory]
    [InlineData(36)]
    [InlineData(37)]
    [InlineData(38)]
    public void Groups_PlantedVulnerableGroupRanksFirstForTasksThatHitIt(int task)
    {
        // Family k's tasks (k = task mod 4 < 3) forget group k's examples most; rows 36..40 are held out.
        var model = new LowRankFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()));
        var report = ErasureReport.Create(FoldHeldOut(model, task), model.ExampleIds, ExampleGroups.FromLabels(s_data.ExampleGroups));
        var family = task % 4;
        Assert.Equal(SyntheticForgetting.GroupName(family), report.Groups[0].Name);
        Assert.Equal(4, report.Groups.Count);
        Assert.Equal(300, report.Groups[0].Count);
    }

    [Fact]
    public void Groups_AggregatesEqualDirectComputation()
    {
        var model = new LowRankFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()));
        var fold = FoldHeldOut(model, 37);
        var report = ErasureReport.Create(fold, model.ExampleIds, ExampleGroups.FromLabels(s_data.ExampleGroups), new ErasureOptions { Threshold = 0.02, Top = 5 });
        var mean = new double[model.ExampleCount];
        var std = new double[model.ExampleCount];
        fold.PredictRow(mean, std);
        foreach (var g in report.Groups)
        {
            var members = Enumerable.Range(0, model.ExampleCount).Where(j => s_data.ExampleGroups[j] == g.Name).ToArray();
            Assert.Equal(members.Length, g.Count);
            Assert.Equal(members.Average(j => mean[j]), g.MeanForgetting, 12);
            var share = members.Average(j => 1 - NormalDistribution.NormalCdf((0.02 - mean[j]) / std[j]));
            Assert.Equal(share, g.ShareForgotten, 12);
            Assert.True(g.Lower < g.MeanForgetting && g.MeanForgetting < g.Upper);
            Assert.Equal(g.MeanForgetting - g.Lower, g.Upper - g.MeanForgetting, 12);
            Assert.Equal(members.OrderByDescending(j => mean[j]).ThenBy(j => j).Take(5).ToArray(), g.TopExamples.Select(e => e.Example).ToArray());
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(10, 2)]
    [InlineData(0, 0)]
    public void Groups_ListTopPerGroup_WhateverTheOverallTop(int top, int perGroup)
    {
        var model = new LowRankFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()));
        var groups = ExampleGroups.FromLabels(s_data.ExampleGroups);
        var report = ErasureReport.Create(FoldHeldOut(model, 37), model.ExampleIds, groups, new ErasureOptions { Top = top, TopPerGroup = perGroup });
        var byTop = ErasureReport.Create(FoldHeldOut(model, 37), model.ExampleIds, groups, new ErasureOptions { Top = perGroup });

        Assert.Equal(top, report.TopExamples.Count);
        Assert.All(report.Groups, g => Assert.Equal(perGroup, g.TopExamples.Count));
        Assert.Equal(byTop.Groups.SelectMany(g => g.TopExamples), report.Groups.SelectMany(g => g.TopExamples));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErasureOptions { TopPerGroup = -1 }.Validate());

        // The row scanner's bounds: a top list either path would refuse is refused by both.
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErasureOptions { Top = RowScanOptions.MaxTop + 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RowScanOptions { Top = RowScanOptions.MaxTop + 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErasureOptions { TopPerGroup = RowScanOptions.MaxTop + 1 }.Validate());
        new ErasureOptions { Top = RowScanOptions.MaxTop, TopPerGroup = RowScanOptions.MaxTop }.Validate();
    }

    [Fact]
    public void Groups_SingleExampleIntervalIsThePredictiveInterval()
    {
        // A one-example group's variance is that example's predictive variance: parameter part + noise.
        var model = new LowRankFitter().FitLowRank(s_data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()));
        var fold = FoldHeldOut(model, 36);
        var groups = Enumerable.Range(0, model.ExampleCount).Select(j => (string?)$"g{j}").ToArray();
        var report = ErasureReport.Create(fold, model.ExampleIds, ExampleGroups.FromLabels(groups), new ErasureOptions { Coverage = 0.9 });
        var mean = new double[model.ExampleCount];
        var std = new double[model.ExampleCount];
        fold.PredictRow(mean, std);
        var z = NormalDistribution.NormalQuantile(0.95);
        foreach (var g in report.Groups.Take(50))
        {
            var j = int.Parse(g.Name[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(mean[j] + (z * std[j]), g.Upper, 10);
        }

        // A whole group's interval is narrower than one example's, but not narrower than the shared parameter uncertainty.
        var all = ErasureReport.Create(fold, model.ExampleIds, ExampleGroups.FromLabels(Enumerable.Repeat<string?>("all", model.ExampleCount).ToArray()));
        var width = all.Groups[0].Upper - all.Groups[0].Lower;
        Assert.True(width < 2 * z * std.Min());
        Assert.True(width > 2 * z * Math.Sqrt(model.NoiseVariance / model.ExampleCount));
    }

    [Fact]
    public void Examples_RanksAndTopListAgreeWithPredictions()
    {
        var model = new KnnFitter().Fit(s_data.Matrix.SelectTasks(Enumerable.Range(0, 36).ToArray()));
        var report = ErasureReport.Create(FoldHeldOut(model, 39), model.ExampleIds, null, new ErasureOptions { Top = 10 });
        Assert.Empty(report.Groups);
        Assert.Equal(10, report.TopExamples.Count);
        Assert.Equal(Enumerable.Range(1, 10), report.TopExamples.Select(e => e.Rank));
        Assert.Equal(report.Examples.Select(e => e.Rank).Order(), Enumerable.Range(1, model.ExampleCount));
        Assert.True(report.TopExamples[0].Predicted >= report.TopExamples[9].Predicted);
    }

    [Fact]
    public void TaskAgnostic_IsFlagged()
    {
        var model = new AdditiveFitter().Fit(s_data.Matrix);
        var report = ErasureReport.Create(model.FoldIn([], []), model.ExampleIds);
        Assert.True(report.IsTaskAgnostic);
        Assert.False(report.FromTaskPrior);
        Assert.Equal(0, report.KnownCount);
    }

    [Fact]
    public void AColdStartFromAGivenTaskPrior_IsNotTaskAgnostic()
    {
        // Given: a prior for the new task that is not the model's own (what a task feature model predicts from its features).
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(s_data.Matrix);
        var own = model.TaskPrior!;
        var given = new GaussianPrior([.. own.Mean.ToArray().Select(m => m + 0.01)], own.Covariance);

        // When
        var fold = model.FoldIn([], [], new FoldInOptions { TaskPrior = given });
        var report = ErasureReport.Create(fold, model.ExampleIds);

        // Then
        Assert.Equal(0, fold.KnownCount);
        Assert.True(fold.FromTaskPrior);
        Assert.False(fold.IsTaskAgnostic);
        Assert.False(report.IsTaskAgnostic);
        Assert.True(report.FromTaskPrior);
        Assert.False(model.FoldIn([1], [0.2], new FoldInOptions { TaskPrior = given }).IsTaskAgnostic);
        Assert.False(model.FoldIn([1], [0.2]).FromTaskPrior);
    }

    [Fact]
    public void Create_IdsGivenTwice_AreRefusedNamingTheFirst_AndIdsNotTheModels_NamingThePosition()
    {
        var model = new AdditiveFitter().Fit(s_data.Matrix);
        var fold = model.FoldIn([], []);
        string[] twice = [.. model.ExampleIds];
        twice[7] = twice[3];
        string[] shifted = [.. model.ExampleIds.Skip(1), "extra"];

        var duplicate = Assert.Throws<ArgumentException>(() => ErasureReport.Create(fold, twice));
        var other = Assert.Throws<ArgumentException>(() => ErasureReport.Create(fold, shifted));

        Assert.Equal("exampleIds", duplicate.ParamName);
        Assert.StartsWith($"Example id '{twice[3]}' is given twice (positions 3 and 7)", duplicate.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Example id 0 is '{shifted[0]}', but the model the task was folded into names example 0 '{model.ExampleIds[0]}'", other.Message, StringComparison.Ordinal);
        Assert.NotNull(ErasureReport.Create(fold, [.. model.ExampleIds]));
    }

    [Fact]
    public void Create_GroupsOfAnotherSize_BlameTheGroups()
    {
        var model = new AdditiveFitter().Fit(s_data.Matrix);

        var error = Assert.Throws<ArgumentException>(() => ErasureReport.Create(model.FoldIn([], []), model.ExampleIds, ExampleGroups.FromLabels(["a", "b"])));

        Assert.Equal("groups", error.ParamName);
    }

    [Theory]
    [InlineData("knn")]
    [InlineData("ensemble")]
    [InlineData("mf")]
    public void EveryFoldIn_NamesItsModelsExamples(string method)
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Seed = 4 }).Matrix;
        var model = ModelCatalog.CreateFitter(method, new ModelSettings { Known = 5 }).Fit(z);

        Assert.Same(model.ExampleIds, model.FoldIn([0], [0.1]).ExampleIds);
    }

    // QA: a threshold given for a logistic model was ignored (the expected count is the sum of the probabilities) but echoed
    // as if used ("beyond probability 0.9"): it is refused, by the report, the scanner and the forecast's resolution alike.
    [Theory]
    [InlineData(0.9)]
    [InlineData(0.1)]
    public void Logistic_AGivenThreshold_IsRefused_NotIgnored(double threshold)
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 200, Binary = true, Seed = 3 });
        var model = new LogisticFitter().Fit(binary.Matrix);
        var task = model.FoldIn([0, 1, 2], [1, 0, 1]);
        var report = Assert.Throws<OptionException>(() => ErasureReport.Create(task, model.ExampleIds, null, new ErasureOptions { Threshold = threshold }));
        var scan = Assert.Throws<OptionException>(() => new RowScanner(model).Scan(task, new RowScanOptions { Threshold = threshold }));
        var resolve = Assert.Throws<OptionException>(() => ForgettingThreshold.Resolve(model, threshold));
        Assert.Equal(report.Message, scan.Message);
        Assert.Equal(report.Message, resolve.Message);
        Assert.Contains("has no role for a binary (logistic) model", report.Message, StringComparison.Ordinal);
        Assert.Contains("sum of those probabilities", report.Message, StringComparison.Ordinal);
        Assert.Equal([ForgettingThreshold.OptionName], report.Options.Select(o => o.Name).Distinct());

        // The default, 0.5, given or not, is the one threshold a binary report takes; continuous models take any.
        Assert.Same(ForgettingThreshold.Default(model), ForgettingThreshold.Resolve(model, 0.5));
        Assert.Equal(ForgettingThreshold.BinaryRule, ForgettingThreshold.Resolve(model, null).Rule);
        Assert.Equal(0.5, ErasureReport.Create(task, model.ExampleIds, null, new ErasureOptions { Threshold = 0.5 }).Threshold);
        var additive = new AdditiveFitter().Fit(binary.Matrix);
        Assert.Equal(threshold, ForgettingThreshold.Resolve(additive, threshold).Value);
    }

    [Fact]
    public void Logistic_ProbabilitiesAreThePredictionsAndThresholdIsOneHalf()
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 600, Binary = true, Seed = 3 });
        var model = new LogisticFitter().Fit(binary.Matrix.SelectTasks(Enumerable.Range(0, 29).ToArray()));
        var report = ErasureReport.Create(model.FoldIn([0, 1, 2], [1, 0, 1]), model.ExampleIds, ExampleGroups.FromLabels(binary.ExampleGroups));
        Assert.Equal(0.5, report.Threshold);
        Assert.All(report.Examples, e => Assert.Equal(e.Predicted, e.Probability));
        Assert.All(report.Groups, g => Assert.InRange(g.MeanForgetting, 0, 1));
        Assert.All(report.Groups, g => Assert.Equal(g.MeanForgetting, g.ShareForgotten, 12));
    }

    [Fact]
    public void Logistic_GroupIntervals_StayWithinZeroAndOne()
    {
        // Given: a logistic model of a sparse binary matrix (few examples forgotten), and a new task folded in from 30 cells.
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 3000, Binary = true, Seed = 5 });
        var model = new LogisticFitter().Fit(binary.Matrix.SelectTasks(Enumerable.Range(1, 29).ToArray()));
        var random = new Random(1);
        var cells = Enumerable.Range(0, 3000).OrderBy(_ => random.Next()).Take(30).Order().ToArray();
        var task = model.FoldIn(cells, cells.Select(j => (double)binary.Matrix[0, j]).ToArray());

        // When: the examples are reported in two groups.
        var report = ErasureReport.Create(task, model.ExampleIds, ExampleGroups.FromLabels([.. Enumerable.Range(0, 3000).Select(j => j % 3 == 0 ? "a" : "b")]));

        // Then: each group's 90% interval is its mean plus and minus 1.645 standard deviations, clipped to [0, 1]: a mean of
        // probabilities cannot be negative (the bounds had read -2%); here at least one lower bound is clipped.
        var clipped = 0;
        foreach (var group in report.Groups)
        {
            var members = Enumerable.Range(0, 3000).Where(j => (j % 3 == 0 ? "a" : "b") == group.Name).ToArray();
            var (mean, variance) = task.Average(members);
            var half = 1.6448536269514722 * Math.Sqrt(variance);
            Assert.Equal(Math.Max(mean - half, 0), group.Lower, 12);
            Assert.Equal(Math.Min(mean + half, 1), group.Upper, 12);
            Assert.InRange(group.Lower, 0, group.MeanForgetting);
            Assert.InRange(group.Upper, group.MeanForgetting, 1);
            clipped += mean - half < 0 ? 1 : 0;
        }

        Assert.True(clipped > 0, "no group's interval reached below 0 here, so the test shows nothing");
    }

    [Theory]
    [InlineData(-3, 1.9999779095030015)]
    [InlineData(-0.1, 1.1124629160182848)]
    [InlineData(0.3, 0.6713732405408726)]
    [InlineData(1.99, 0.004888586800383002)]
    [InlineData(2.0, 0.004677734981047266)]
    [InlineData(2.5, 0.00040695201744495886)]
    [InlineData(4, 1.541725790028002e-08)]
    [InlineData(6, 2.1519736712498913e-17)]
    [InlineData(10, 2.0884875837625446e-45)]
    public void Erfc_MatchesScipy(double x, double expected)
    {
        // Expected values: scipy.special.erfc (scipy 1.10).
        Assert.True(Math.Abs(NormalDistribution.Erfc(x) - expected) <= 5e-13 * expected, $"{NormalDistribution.Erfc(x)} vs {expected}");
    }

    [Theory]
    [InlineData(0.95, 1.6448536269514722)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.001, -3.090232306167813)]
    [InlineData(0.999999, 4.753424308817087)]
    public void NormalQuantile_MatchesScipy(double p, double expected)
    {
        // Expected values: scipy.stats.norm.ppf (scipy 1.10).
        Assert.Equal(expected, NormalDistribution.NormalQuantile(p), 11);
    }

    // A NaN z had given an interval of NaN, and a negative one an interval whose lower end lay above its upper end.
    [Fact]
    public void GroupInterval_RefusesAZThatIsNotAWidth()
    {
        var model = ModelCatalog.CreateFitter("mf").Fit(s_data.Matrix.SelectTasks([.. Enumerable.Range(1, 40)]));
        var task = FoldHeldOut(model, 0);
        int[] members = [0, 1, 2];
        var (mean, lower, upper) = ErasureReport.GroupInterval(task, members, 1.645);
        Assert.True(lower < mean && mean < upper);
        Assert.Equal((mean, mean, mean), ErasureReport.GroupInterval(task, members, 0));
        foreach (var z in new[] { double.NaN, -1, double.PositiveInfinity })
        {
            Assert.Equal("z", Assert.Throws<ArgumentOutOfRangeException>(() => ErasureReport.GroupInterval(task, members, z)).ParamName);
        }
    }
}
