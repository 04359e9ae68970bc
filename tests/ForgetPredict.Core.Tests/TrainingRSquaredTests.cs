using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests;

/// <summary>The training R^2 from a factor model's fit report equals the R^2 of its predictions, for every family.</summary>
public class TrainingRSquaredTests
{
    private static readonly ForgettingMatrix s_matrix = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 24, Examples = 500, MissingFraction = 0.05, Seed = 11 }).Matrix;

    public static TheoryData<string> Methods() => ["task-mean", "example-mean", "additive", "rank1", "mf", "knn", "ensemble"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void TrainingRSquared_EqualsThePredictionsRSquared(string method)
    {
        var model = ModelCatalog.CreateFitter(method).Fit(s_matrix);
        var expected = GoodnessOfFit.RSquared(model, s_matrix);
        Assert.InRange(expected, 0.05, 1);
        Assert.Equal(expected, GoodnessOfFit.TrainingRSquared(model, s_matrix), 1e-9);
    }

    [Fact]
    public void TrainingRSquared_OfTheProfileAndSgdModels_EqualsThePredictionsRSquared()
    {
        // Factor models fitted by other solvers: the scale-free profile model and the reference stack's SGD.
        IForgettingModel[] models = [new ProfileFitter().Fit(s_matrix), new SgdFitter(new SgdOptions { Rank = 3, Epochs = 50 }).Fit(s_matrix)];
        foreach (var model in models)
        {
            Assert.Equal(GoodnessOfFit.RSquared(model, s_matrix), GoodnessOfFit.TrainingRSquared(model, s_matrix), 1e-9);
        }
    }
}
