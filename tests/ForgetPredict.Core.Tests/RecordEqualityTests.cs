using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests;

/// <summary>Options and splits held in records compare by their settings, as records promise, not by their lists' identity.</summary>
public class RecordEqualityTests
{
    [Fact]
    public void OptionsWithListSettings_AreEqualWhenTheSettingsAre_AndPrintThem()
    {
        Assert.Equal(new AutoOptions(), new AutoOptions());
        Assert.Equal(new AutoOptions().GetHashCode(), new AutoOptions().GetHashCode());
        Assert.Equal(new AutoOptions { Ranks = [1, 2] }, new AutoOptions { Ranks = new List<int> { 1, 2 } });
        Assert.NotEqual(new AutoOptions { Ranks = [1, 2] }, new AutoOptions { Ranks = [2, 1] });
        Assert.NotEqual(new AutoOptions(), new AutoOptions { InterpolationPriors = [1] });
        Assert.Equal(new EnsembleOptions(), new EnsembleOptions());
        Assert.NotEqual(new EnsembleOptions(), new EnsembleOptions { Members = ["mf", "knn"] });
        Assert.Contains("Ranks = [1, 2, 4, 8]", new AutoOptions().ToString(), StringComparison.Ordinal);
        Assert.Contains("Members = [additive, mf, knn, profile]", new EnsembleOptions().ToString(), StringComparison.Ordinal);

        // The setting is a copy: changing the caller's list afterwards changes neither the options nor their equality.
        var ranks = new List<int> { 1, 2 };
        var options = new AutoOptions { Ranks = ranks };
        ranks.Add(8);
        Assert.Equal([1, 2], options.Ranks);

        // with keeps the others' lists, and Validate still names a null list.
        Assert.Equal([2, 4], (options with { Rank = 3 }).ProfileRanks);
        Assert.Throws<ArgumentNullException>(() => new AutoOptions { Ranks = null! }.Validate());
    }

    [Fact]
    public void EvaluationSplit_ComparesByRows_AndRefusesNullRows()
    {
        Assert.Equal(new EvaluationSplit([0, 1], [2]), new EvaluationSplit([0, 1], [2]));
        Assert.Equal(new EvaluationSplit([0, 1], [2]).GetHashCode(), new EvaluationSplit([0, 1], [2]).GetHashCode());
        Assert.NotEqual(new EvaluationSplit([0, 1], [2]), new EvaluationSplit([0], [1, 2]));
        Assert.Equal("EvaluationSplit { TrainRows = [0, 1], TestRows = [2] }", new EvaluationSplit([0, 1], [2]).ToString());
        Assert.Equal("TrainRows", Assert.Throws<ArgumentNullException>(() => new EvaluationSplit(null!, [1])).ParamName);
        Assert.Equal("TestRows", Assert.Throws<ArgumentNullException>(() => new EvaluationSplit([0], null!) with { }).ParamName);
        Assert.Equal("TestRows", Assert.Throws<ArgumentNullException>(() => new EvaluationSplit([0], [1]) with { TestRows = null! }).ParamName);
    }

    [Fact]
    public void MetricSummary_ComparesByItsNumbers()
    {
        Assert.Equal(MetricSummary.Of([0.1, 0.2]), MetricSummary.Of([0.1, 0.2]));
        Assert.Equal(MetricSummary.Of([0.1, 0.2]).GetHashCode(), MetricSummary.Of([0.1, 0.2]).GetHashCode());
        Assert.Equal(MetricSummary.Of([double.NaN]), MetricSummary.Of([double.NaN]));
        Assert.NotEqual(MetricSummary.Of([0.1, 0.2]), MetricSummary.Of([0.2, 0.1]));
    }
}
