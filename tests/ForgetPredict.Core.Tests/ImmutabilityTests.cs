using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Features;
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

    [Fact]
    public void EnsembleModel_HandsOutReadOnlyViews_ACastCannotChangeIt()
    {
        // Given
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 120, Seed = 6 }).Matrix;
        var a = new AdditiveFitter().Fit(z);
        var b = new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(z);
        var ensemble = EnsembleModel.Restore([a, b], ["additive", "mf"], [0.4, 0.6], 1.1, 0.1);
        var before = ensemble.FoldIn([0, 5], [0.1, 0.2]).PredictRow();

        // When / Then: every cast a caller might try is refused, and the model predicts as before.
        Assert.IsNotType<double[]>(ensemble.Weights);
        Assert.Throws<NotSupportedException>(() => ((IList<double>)ensemble.Weights)[0] = 100);
        Assert.Throws<NotSupportedException>(() => ((IList<IForgettingModel>)ensemble.Members)[0] = b);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)ensemble.MemberNames)[0] = "x");
        Assert.Equal(before, ensemble.FoldIn([0, 5], [0.1, 0.2]).PredictRow());
        Assert.Equal("0.40 additive + 0.60 mf", ensemble.Describe());
    }

    [Fact]
    public void ExampleGroups_CopyTheirLabels_HandOutReadOnlyNames_AndNameBadIndices()
    {
        // Given: labels the caller goes on changing.
        string?[] labels = ["a", "b", "a", null];
        var groups = ExampleGroups.FromLabels(labels);
        labels[0] = "c";

        // Then
        Assert.Equal("a", groups.Labels[0]);
        Assert.Equal(["a", "b"], groups.Names);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)groups.Names)[0] = "z");
        Assert.Throws<NotSupportedException>(() => ((IList<string?>)groups.Labels)[0] = "z");
        Assert.Equal("group", Assert.Throws<ArgumentOutOfRangeException>(() => groups.Members(5)).ParamName);
        Assert.Equal("group", Assert.Throws<ArgumentOutOfRangeException>(() => groups.Members(-1)).ParamName);
        Assert.Equal("example", Assert.Throws<ArgumentOutOfRangeException>(() => groups.GroupOf(-1)).ParamName);
        Assert.Equal("example", Assert.Throws<ArgumentOutOfRangeException>(() => groups.GroupOf(4)).ParamName);
        Assert.Equal(-1, groups.GroupOf(3));
    }

    [Fact]
    public void FeatureModels_HandOutCopiesOfTheirParts()
    {
        // Given: a task and an example feature model of an mf model.
        var z = s_data.Matrix;
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var settings = Enumerable.Range(0, z.TaskCount).SelectMany(i => new[] { 0.001 * (1 + (i % 5)), 100.0 * (1 + (i % 3)) }).ToArray();
        var tasks = new FeatureSet(z.TaskIds, [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], settings)]);
        var taskModel = TaskFeatureModel.Fit(model, tasks);
        var loss = Enumerable.Range(0, z.ExampleCount).Select(j => (double)(j % 7)).ToArray();
        var exampleModel = ExampleFeatureModel.Fit(model, new FeatureSet(z.ExampleIds, [new FeatureBlock("base_loss", FeatureKind.Numeric, ["loss"], loss)]));
        var prior = taskModel.Prior(tasks, 3);

        // When: the caller changes what the models hand out.
        if (taskModel.Parts is { } parts)
        {
            parts.Alpha.AsSpan().Fill(1e9);
            parts.PriorMean.AsSpan().Fill(1e9);
        }

        exampleModel.Parts.Weights.AsSpan().Fill(1e9);

        // Then
        Assert.Equal(prior.Mean.ToArray(), taskModel.Prior(tasks, 3).Mean.ToArray());
        Assert.DoesNotContain(1e9, exampleModel.Parts.Weights);
        Assert.Throws<NotSupportedException>(() => ((IList<FeatureView>)exampleModel.Views).Clear());
    }
}
