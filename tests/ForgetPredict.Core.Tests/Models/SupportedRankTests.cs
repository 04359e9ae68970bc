using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>An mf fit never has more factors than the matrix's smaller side.</summary>
public class SupportedRankTests
{
    // QA: `fit --method mf` on a 3 x 3 matrix reported "rank 8" (the default), 8 factors for 3 tasks.
    [Theory]
    [InlineData(3, 3, 8, 3)]
    [InlineData(5, 40, 8, 5)]
    [InlineData(40, 2, 8, 2)]
    [InlineData(40, 40, 8, 8)]
    [InlineData(6, 40, 4, 4)]
    public void Mf_OnASmallMatrix_FitsAtMostItsSmallerSide(int tasks, int examples, int asked, int expected)
    {
        var z = CrossValidationEdgeTests.RankOnePlusNoise(tasks, examples, 3);
        var model = new LowRankFitter(new LowRankOptions { Rank = asked }).FitLowRank(z);

        Assert.Equal(expected, model.Rank);
        Assert.Equal(tasks * expected, model.Parameters.TaskFactors.Length);
        Assert.True(double.IsFinite(model.Predict(0, 0)));
    }

    [Theory]
    [InlineData(3, 30, 3)]
    [InlineData(30, 2, 2)]
    [InlineData(30, 30, 5)]
    public void Logistic_OnASmallMatrix_FitsAtMostItsSmallerSide(int tasks, int examples, int expected)
    {
        var random = new Random(4);
        var values = Enumerable.Range(0, tasks * examples).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f).ToArray();
        var model = (FactorModel)new LogisticFitter().Fit(ForgettingMatrix.Wrap(values, tasks, examples));

        Assert.Equal(expected, model.Rank);
    }
}
