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
