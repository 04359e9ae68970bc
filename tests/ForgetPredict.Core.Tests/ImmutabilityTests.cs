using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests;

/// <summary>A fitted model is immutable in fact: what it hands out cannot change it, and the row scanner reads a fold-in through FoldedTask.</summary>
public class ImmutabilityTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 300, Seed = 5 });

    [Fact]
    public void ToParameters_IsACopy_ChangingItLeavesTheModelAsItWas()
    {
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(s_data.Matrix);
        var before = model.FoldIn([0, 5], [0.1, 0.2]).PredictRow();

        var copy = model.ToParameters();
        copy.ExampleFactors.AsSpan().Fill(99);
        copy.ExampleBiases.AsSpan().Fill(99);
        copy.ResidualScales.AsSpan().Fill(99);

        Assert.Equal(before, model.FoldIn([0, 5], [0.1, 0.2]).PredictRow());
        Assert.NotEqual(99, model.ExampleFactors[0]);
        Assert.Equal(model.ResidualRank, model.ResidualScales.Length);
        Assert.Equal(model.ExampleCount * model.ResidualRank, model.ResidualFactors.Length);
        Assert.Equal(before, FactorModel.Create(model.ToParameters()).FoldIn([0, 5], [0.1, 0.2]).PredictRow());
    }

    [Fact]
    public void Create_KeepsACopy_ChangingTheCallersParametersLeavesTheModelAsItWas()
    {
        // Given: a model created from parameters the caller still holds.
        var parameters = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(s_data.Matrix).ToParameters();
        var model = FactorModel.Create(parameters);
        var before = model.FoldIn([0, 5], [0.1, 0.2]).PredictRow();

        // When: the caller changes every array, even to values Create would refuse.
        foreach (var values in new[] { parameters.ExampleBiases, parameters.ExampleFactors, parameters.TaskBiases, parameters.TaskFactors, parameters.ResidualScales })
        {
            values.AsSpan().Fill(double.NaN);
        }

        parameters.ResidualFactors.AsSpan().Fill(Half.NaN);

        // Then: the model predicts as before.
        Assert.Equal(before, model.FoldIn([0, 5], [0.1, 0.2]).PredictRow());
        Assert.True(double.IsFinite(model.Predict(0, 5)));
    }

    [Fact]
    public void FoldInOptions_RefuseAPriorThatIsNotOne_AndTheCatalogANullName()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FoldInOptions { Prior = (FoldInPrior)9 });
        Assert.Equal("Prior", error.ParamName);
        Assert.Contains("use one of Empirical, Ridge", error.Message, StringComparison.Ordinal);
        Assert.Equal(FoldInPrior.Ridge, new FoldInOptions { Prior = FoldInPrior.Ridge }.Prior);
        Assert.Equal(FoldInPrior.Empirical, new FoldInOptions().Prior);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => ModelCatalog.CreateFitter(null!)).ParamName);
    }

    [Fact]
    public void GaussianFoldIns_OfferTheLinearGaussianSeam_OthersDoNot()
    {
        var mf = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(s_data.Matrix);
        var knn = ModelCatalog.CreateFitter("knn").Fit(s_data.Matrix);

        var fold = mf.FoldIn([1], [0.3]);
        var linear = fold.LinearGaussian;

        Assert.NotNull(linear);
        Assert.Same(mf, linear.Model);
        Assert.Equal(1 + mf.Rank, linear.Parameters.Length);
        var (mean, std) = (new double[mf.ExampleCount], new double[mf.ExampleCount]);
        fold.PredictRow(mean, std);
        Assert.Equal((mean[7], std[7]), linear.PredictCell(7));
        Assert.Null(knn.FoldIn([1], [0.3]).LinearGaussian);
        Assert.True(new RowScanner(mf).Scan(fold).SinglePrecision);
    }
}
