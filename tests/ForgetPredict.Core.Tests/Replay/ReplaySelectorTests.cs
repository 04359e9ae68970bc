using ForgetPredict.Core.Replay;

namespace ForgetPredict.Core.Tests.Replay;

public class ReplaySelectorTests
{
    private static readonly double[] s_predicted = [0.30, 0.25, 0.20, 0.10, 0.05, 0.0, -0.05, 0.15, 0.12, 0.02];
    private static readonly string?[] s_groups = ["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"];

    [Fact]
    public void Validate_ARequestedBudgetBelowTheBudget_IsRefused_WhileForBudgetsIsValid()
    {
        // The shortfall quotes RequestedBudget as the budget asked for: one below the budget applied would misquote it.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayOptions { Budget = 100, RequestedBudget = 10 }.Validate());

        Assert.Equal(nameof(ReplayOptions.RequestedBudget), error.ParamName);
        ReplayOptions.ForBudget(null, 1, 99_999_999_999_999).Validate();
        new ReplayOptions { Budget = 100, RequestedBudget = 100 }.Validate();
    }

    [Fact]
    public void Softmax_FirstPickFrequenciesMatchSoftmaxProbabilities()
    {
        // 20,000 independent first picks (budget 1, one seed each) against softmax(predicted / 0.1): Pearson chi-square with
        // 9 degrees of freedom must stay below 27.88 (its 0.1% critical value). Seeds are fixed, so the test is deterministic.
        var probabilities = ReplaySelector.Softmax(s_predicted.Select(v => v / 0.1).ToArray());
        var counts = new int[s_predicted.Length];
        const int Draws = 20_000;
        for (var seed = 0; seed < Draws; seed++)
        {
            var set = ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Budget = 1, Strategy = ReplayStrategy.Softmax, Temperature = 0.1, Seed = seed });
            counts[set.Items[0].Example]++;
        }

        var chiSquare = counts.Select((c, j) => ((c - (Draws * probabilities[j])) * (c - (Draws * probabilities[j]))) / (Draws * probabilities[j])).Sum();
        Assert.True(chiSquare < 27.88, $"chi-square {chiSquare}; counts {string.Join(",", counts)}");
    }

    [Fact]
    public void Softmax_WithoutReplacementAndWeightsAreProbabilities()
    {
        var set = ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), null, new ReplayOptions { Budget = 6, Seed = 3 });
        Assert.Equal(6, set.Items.Select(i => i.Example).Distinct().Count());
        var probabilities = ReplaySelector.Softmax(s_predicted.Select(v => v / 0.1).ToArray());
        Assert.All(set.Items, i => Assert.Equal(probabilities[i.Example], i.Weight, 12));
        Assert.All(set.Items, i => Assert.Equal(s_groups[i.Example], i.Group));
    }

    [Fact]
    public void TopK_TakesTheMostForgotten()
    {
        var set = ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Budget = 3, Strategy = ReplayStrategy.TopK });
        Assert.Equal([0, 1, 2], set.Items.Select(i => i.Example));
        Assert.Equal((0.30 + 0.25 + 0.20) / s_predicted.Where(v => v > 0).Sum(), set.CoveredForgetting, 12);
        Assert.Equal(0.3, set.RandomExpectation, 12);
        Assert.True(set.Lift > 2);
    }

    [Fact]
    public void Stratified_EveryGroupKeepsItsFloor()
    {
        var set = ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), null, new ReplayOptions { Budget = 5, Strategy = ReplayStrategy.Stratified, MinPerGroup = 1 });
        Assert.Equal(5, set.Items.Count);
        foreach (var g in new[] { "a", "b", "c" })
        {
            Assert.Contains(set.Items, i => i.Group == g);
        }

        // Group b's floor is its most forgotten example (index 4); the remaining two go to the overall most forgotten.
        Assert.Contains(set.Items, i => i.Example == 4);
        Assert.Equal([0, 4, 7, 1, 2], set.Items.Select(i => i.Example));
    }

    [Fact]
    public void Stratified_DefaultFloor_KeepsOneOfEveryGroup_EvenUnderFourPerGroup()
    {
        // A quarter of 4 shared by 3 groups rounds to none: the default floor is then one a group, not top-K in disguise.
        var groups = ExampleGroups.FromLabels(s_groups);
        var set = ReplaySelector.Select(s_predicted, groups, null, new ReplayOptions { Budget = 4, Strategy = ReplayStrategy.Stratified });
        var topK = ReplaySelector.Select(s_predicted, groups, null, new ReplayOptions { Budget = 4, Strategy = ReplayStrategy.TopK });

        Assert.Equal(["a", "b", "c"], set.Items.Select(i => i.Group).Distinct().Order(StringComparer.Ordinal));
        Assert.NotEqual(topK.Items.Select(i => i.Example), set.Items.Select(i => i.Example));

        // Fewer examples than groups: refused, naming the budget it needs; a budget of 0 chooses nothing.
        var error = Assert.Throws<OptionException>(() => ReplaySelector.Select(s_predicted, groups, null, new ReplayOptions { Budget = 2, Strategy = ReplayStrategy.Stratified }));
        Assert.Equal("Stratified replay keeps at least one example of each of the 3 groups, which a budget of 2 cannot: raise ReplayOptions.Budget to at least 3, or choose by predicted forgetting alone (top-K).", error.Message);
        Assert.Empty(ReplaySelector.Select(s_predicted, groups, null, new ReplayOptions { Budget = 0, Strategy = ReplayStrategy.Stratified }).Items);
    }

    [Fact]
    public void Stratified_FloorLargerThanGroupTakesTheWholeGroup()
    {
        var set = ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), null, new ReplayOptions { Budget = 10, Strategy = ReplayStrategy.Stratified, MinPerGroup = 5 });
        Assert.Equal(10, set.Items.Select(i => i.Example).Distinct().Count());
    }

    [Fact]
    public void Stratified_AFloorTheBudgetCannotMeetInEveryGroup_IsRefused()
    {
        // Floors of 2 in groups of 4, 3 and 3 need 6 examples: a budget of 5 would have dropped group c without a word.
        var error = Assert.Throws<OptionException>(() => ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), null,
            new ReplayOptions { Budget = 5, Strategy = ReplayStrategy.Stratified, MinPerGroup = 2 }));
        Assert.Equal("ReplayOptions.MinPerGroup = 2 for 3 groups needs 6 examples, more than the budget of 5: lower it to at most 1, or raise ReplayOptions.Budget.", error.Message);
        Assert.Equal(6, ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), null,
            new ReplayOptions { Budget = 6, Strategy = ReplayStrategy.Stratified, MinPerGroup = 2 }).Items.Count);
    }

    [Theory]
    [InlineData(ReplayStrategy.Softmax)]
    [InlineData(ReplayStrategy.TopK)]
    [InlineData(ReplayStrategy.Stratified)]
    [InlineData(ReplayStrategy.Random)]
    public void Exclusions_AreNeverReplayed(ReplayStrategy strategy)
    {
        var excluded = new HashSet<int> { 0, 1, 4 };
        for (var seed = 0; seed < 20; seed++)
        {
            var set = ReplaySelector.Select(s_predicted, ExampleGroups.FromLabels(s_groups), excluded, new ReplayOptions { Budget = 7, Strategy = strategy, Seed = seed, MinPerGroup = 1 });
            Assert.Equal(7, set.Items.Count);
            Assert.DoesNotContain(set.Items, i => excluded.Contains(i.Example));
            Assert.Equal(7, set.Candidates);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-7)]
    [InlineData(10)]
    public void Exclusions_AnIndexOutsideTheRow_IsRefused_NegativeOnesToo(int index)
    {
        var error = Assert.Throws<ArgumentException>(() => ReplaySelector.Select(s_predicted, null, new HashSet<int> { 2, index }, new ReplayOptions { Budget = 3 }));

        Assert.Equal("excluded", error.ParamName);
        Assert.StartsWith($"Excluded example index {index} is outside 0..9", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.Epsilon)]
    [InlineData(1e-300)]
    [InlineData(1e-12)]
    public void Softmax_ATinyTemperature_ApproachesTopK_WithFiniteWeights(double temperature)
    {
        var topK = ReplaySelector.Select(s_predicted, null, new HashSet<int> { 1 }, new ReplayOptions { Budget = 5, Strategy = ReplayStrategy.TopK });

        for (var seed = 0; seed < 5; seed++)
        {
            var set = ReplaySelector.Select(s_predicted, null, new HashSet<int> { 1 }, new ReplayOptions { Budget = 5, Temperature = temperature, Seed = seed });

            Assert.Equal(topK.Items.Select(i => i.Example), set.Items.Select(i => i.Example));
            Assert.All(set.Items, i => Assert.True(double.IsFinite(i.Weight) && i.Weight is >= 0 and <= 1, $"weight {i.Weight}"));
            Assert.Equal(1.0, set.Items[0].Weight);
        }
    }

    [Fact]
    public void SoftmaxFunction_OfInfinities_IsTheirLimit_NeverNaN()
    {
        Assert.Equal([0.5, 0, 0.5], ReplaySelector.Softmax([double.PositiveInfinity, 3, double.PositiveInfinity]));
        Assert.Equal([1.0, 0], ReplaySelector.Softmax([0, double.NegativeInfinity]));
        Assert.Equal([0.5, 0.5], ReplaySelector.Softmax([double.NegativeInfinity, double.NegativeInfinity]));
        Assert.Throws<ArgumentException>(() => ReplaySelector.Softmax([double.NaN, 1]));
    }

    [Fact]
    public void Random_IsSeededAndUniformInWeight()
    {
        var a = ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Budget = 4, Strategy = ReplayStrategy.Random, Seed = 9 });
        var b = ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Budget = 4, Strategy = ReplayStrategy.Random, Seed = 9 });
        Assert.Equal(a.Items.Select(i => i.Example), b.Items.Select(i => i.Example));
        Assert.All(a.Items, i => Assert.Equal(0.1, i.Weight, 12));
    }

    [Fact]
    public void Budget_FromRatioAndBadInput()
    {
        Assert.Equal(32, ReplayOptions.BudgetFromRatio(32, 1024));
        Assert.Equal(33, ReplayOptions.BudgetFromRatio(32, 1025));
        // A task size near long.MaxValue had overflowed in the rounding (1,511,828,490 instead of the cap).
        Assert.Equal(int.MaxValue, ReplayOptions.BudgetFromRatio(1000, long.MaxValue));
        Assert.Equal(1, ReplayOptions.BudgetFromRatio(int.MaxValue, int.MaxValue));
        Assert.Equal(2, ReplayOptions.BudgetFromRatio(int.MaxValue, int.MaxValue + 1L));
        Assert.Equal(7, ReplayOptions.ResolveBudget(7, null, null));
        Assert.Equal(33, ReplayOptions.ResolveBudget(null, 32, 1025));
        var both = Assert.Throws<OptionException>(() => ReplayOptions.ResolveBudget(5, 3, 10));
        Assert.Equal([ReplayOptionNames.Budget, ReplayOptionNames.Ratio, ReplayOptionNames.TaskSize], both.OptionMessage.Options.Select(o => o.Name));
        Assert.EndsWith(", not both.", both.Message, StringComparison.Ordinal);

        // Half of the ratio form beside a budget is worded for what was given: '--budget 3 --task-size 10' gave no --ratio.
        var sizeOnly = Assert.Throws<OptionException>(() => ReplayOptions.ResolveBudget(3, null, 10));
        Assert.StartsWith("ReplayOptions.TaskSize goes with ReplayOptions.Ratio", sizeOnly.Message, StringComparison.Ordinal);
        Assert.Contains("drop ReplayOptions.TaskSize, or give ReplayOptions.Ratio with it instead of ReplayOptions.Budget.", sizeOnly.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not both", sizeOnly.Message, StringComparison.Ordinal);
        var ratioOnly = Assert.Throws<OptionException>(() => ReplayOptions.ResolveBudget(3, 4, null));
        Assert.Contains("drop ReplayOptions.Ratio, or give ReplayOptions.TaskSize with it instead of ReplayOptions.Budget.", ratioOnly.Message, StringComparison.Ordinal);
        Assert.StartsWith("ReplayOptions.Budget must be at least 0", Assert.Throws<OptionException>(() => ReplayOptions.ResolveBudget(-1, null, null)).Message, StringComparison.Ordinal);
        Assert.Contains("(one replayed example per R of the task's S examples; both at least 1)", Assert.Throws<OptionException>(() => ReplayOptions.ResolveBudget(null, 32, 0)).Message, StringComparison.Ordinal);
        var temperature = Assert.Throws<OptionException>(() => ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Temperature = 0 }));
        Assert.Equal([ReplayOptionNames.Temperature], temperature.OptionMessage.Options.Select(o => o.Name));
        Assert.StartsWith("ReplayOptions.Temperature must be a finite number above 0 (it is 0)", temperature.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ReplaySelector.Select(s_predicted, null, null, new ReplayOptions { Strategy = ReplayStrategy.Stratified }));
        Assert.Throws<ArgumentException>(() => ReplaySelector.Select([double.NaN], null, null, new ReplayOptions()));
        var empty = Assert.Throws<ArgumentException>(() => ReplaySelector.Select([], null, new HashSet<int>(), new ReplayOptions { Budget = 2 }));
        Assert.StartsWith("The predicted row has no examples, so there is nothing to replay", empty.Message, StringComparison.Ordinal);
        var outside = Assert.Throws<ArgumentException>(() => ReplaySelector.Select(s_predicted, null, new HashSet<int> { 3, 99999 }, new ReplayOptions { Budget = 2 }));
        Assert.StartsWith($"Excluded example index 99999 is outside 0..{s_predicted.Length - 1}; exclude examples of this row.", outside.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void Groups_AMissingLabel_IsNoGroup_NotAGroupWithABlankName()
    {
        // A metadata row with no value in the column reads as "" (CSV) or " ": those examples are in no group, as are
        // examples without a row (null), so stratified replay gives no floor to a nameless group.
        var groups = ExampleGroups.FromLabels(["a", "", null, " ", "b", "a"]);

        Assert.Equal(["a", "b"], groups.Names);
        Assert.Equal(3, groups.UngroupedCount);
        Assert.Equal([-1, -1, -1], new[] { 1, 2, 3 }.Select(groups.GroupOf));

        // And their labels are null, whatever they were given as, so every output format writes a missing value.
        Assert.Equal(["a", null, null, null, "b", "a"], groups.Labels);
    }
}
