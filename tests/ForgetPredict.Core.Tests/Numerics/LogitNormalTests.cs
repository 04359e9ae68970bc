using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Numerics;

public class LogitNormalTests
{
    // Golden values: the std of sigmoid(mu + sd z), z ~ N(0, 1), by a 200,001-point integration over z in [-12, 12] (numpy).
    [Theory]
    [InlineData(0, 0.5, 0.11813372744529961)]
    [InlineData(0, 1, 0.20827634493166275)]
    [InlineData(1.5, 0.8, 0.12452151265985492)]
    [InlineData(-3, 2, 0.18679335091999003)]
    [InlineData(0, 3, 0.36764397890634554)]
    [InlineData(2, 5, 0.3980817961167467)]
    [InlineData(-0.4, 11, 0.46263404071790515)]
    [InlineData(6, 30, 0.48034204741465564)]
    public void Std_MatchesANumericalIntegration(double mu, double sd, double expected)
    {
        Assert.Equal(expected, LogitNormal.Std(mu, sd * sd), 1e-5);
        Assert.Equal(expected, LogitNormal.Std(-mu, sd * sd), 1e-5);
    }

    [Fact]
    public void Std_IsAtMostOneHalf_Everywhere()
    {
        for (var mu = -40.0; mu <= 40; mu += 0.5)
        {
            foreach (var sd in (double[])[1e-9, 1e-3, 0.3, 0.99, 1, 1.01, 2, 7, 30, 1e3, 1e6, 1e150])
            {
                var std = LogitNormal.Std(mu, sd * sd);
                Assert.InRange(std, 0, 0.5);
            }
        }

        Assert.Equal(0.5, LogitNormal.Std(0, double.PositiveInfinity));
        Assert.Equal(0, LogitNormal.Std(0.3, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2.5)]
    [InlineData(4)]
    public void Std_IsTheDeltaMethod_WhenTheVarianceIsSmall(double mu)
    {
        var p = 1 / (1 + Math.Exp(-mu));
        foreach (var sd in (double[])[1e-8, 1e-5, 1e-3])
        {
            var delta = p * (1 - p) * sd;
            Assert.Equal(1, LogitNormal.Std(mu, sd * sd) / delta, 1e-5);
        }
    }

    [Fact]
    public void LogisticFoldIn_StdsAreThoseOfAProbability_EvenWhenTheLogitIsUncertain()
    {
        // A nearly unpenalised rank-8 fit on few tasks: the logit's posterior variance is large (the delta method had given
        // stds far above 0.5, 10.99 on a QA matrix).
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var model = new LogisticFitter(new LogisticOptions { Rank = 8, Lambda = 1e-6 }).FitLogistic(binary);
        foreach (var fold in (FoldedTask[])[model.FoldIn([], []), model.FoldIn([0, 5, 9], [1, 0, 1])])
        {
            var mean = new double[binary.ExampleCount];
            var std = new double[binary.ExampleCount];
            fold.PredictRow(mean, std);
            Assert.All(std, s => Assert.InRange(s, 0, 0.5));
            Assert.All(mean, p => Assert.InRange(p, 0, 1));
            Assert.Contains(std, s => s > 0.05);
        }
    }
}
