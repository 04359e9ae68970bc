using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Evaluation;

/// <summary><see cref="ActiveDesign.Of"/>: designing on a model fitted already instead of fitting one on the matrix.</summary>
public class ActiveDesignTests
{
    private static readonly ForgettingMatrix s_z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 800, Seed = 8 }).Matrix;

    [Fact]
    public void Of_AFactorModel_DesignsOnIt_WithItsOwnPerExampleNoise()
    {
        // Every third example noisier than the others, so the model's residual components give each example its own noise.
        var model = new LowRankFitter(new LowRankOptions { Rank = 4 }).FitLowRank(NoisyExamples.Add(s_z, 0.03, 1));
        var noise = model.ResidualVariances();
        Assert.True(noise.Where((_, j) => j % 3 == 0).Average() > 2 * noise.Where((_, j) => j % 3 != 0).Average(), "the model's residual components give each example its own noise");

        var design = ActiveDesign.Of(model);

        Assert.Same(model, design.Model);
        Assert.Null(design.Member);
        Assert.Equal(1, design.Weight);
        Assert.Equal(noise, design.ExampleNoise.ToArray());
        foreach (var criterion in new[] { ActiveCriterion.VOptimal, ActiveCriterion.DOptimal, ActiveCriterion.GroupMeans })
        {
            Assert.Equal(ActiveReveal.Choose(model, 12, null, noise, criterion), design.Choose(12, criterion));
        }

        // Not the single noise level: the per-example noise changes the design.
        Assert.NotEqual(ActiveReveal.Choose(model, 12, criterion: ActiveCriterion.DOptimal), design.Choose(12, ActiveCriterion.DOptimal));
    }

    [Fact]
    public void Of_AnEnsemble_DesignsOnItsHeaviestFactorMember()
    {
        var ensemble = Assert.IsType<EnsembleModel>(new EnsembleFitter(new EnsembleOptions { Members = ["knn", "additive", "mf"] }).Fit(s_z));
        var factors = Enumerable.Range(0, ensemble.Members.Count).Where(i => ensemble.Members[i] is FactorModel).ToArray();
        Assert.NotEmpty(factors);
        var heaviest = factors.MaxBy(i => ensemble.Weights[i]);

        var design = ActiveDesign.Of(ensemble);

        Assert.Same(ensemble.Members[heaviest], design.Model);
        Assert.Equal(ensemble.MemberNames[heaviest], design.Member);
        Assert.Equal(ensemble.Weights[heaviest], design.Weight);
        Assert.Equal(ActiveDesign.Of(ensemble.Members[heaviest]).Choose(10), design.Choose(10));
    }

    [Fact]
    public void Of_RefusesModelsWithoutAGaussianFactorModel_NamingTheFix()
    {
        var knn = new KnnFitter().Fit(s_z);
        Assert.Contains("A knn model has no factor model to design on; design on an mf, additive or ensemble (auto) model, or on the past tasks' matrix",
            Assert.Throws<ArgumentException>(() => ActiveDesign.Of(knn)).Message, StringComparison.Ordinal);

        var binary = ForgettingMatrix.Create([.. s_z.Values.ToArray().Select(v => v > 0.5f ? 1f : 0f)], s_z.TaskCount, s_z.ExampleCount);
        var logistic = new LogisticFitter(new LogisticOptions { Rank = 2 }).Fit(binary);
        Assert.Contains("A logistic model predicts probabilities", Assert.Throws<ArgumentException>(() => ActiveDesign.Of(logistic)).Message, StringComparison.Ordinal);

        var exampleMean = new ExampleMeanFitter().Fit(s_z);
        Assert.Contains("An example-mean model learns nothing about a new task from its measured cells", Assert.Throws<ArgumentException>(() => ActiveDesign.Of(exampleMean)).Message, StringComparison.Ordinal);

        // A task-mean model had been accepted, and its design was examples 0..9 in index order.
        var taskMean = new TaskMeanFitter().Fit(s_z);
        Assert.Contains("A task-mean model predicts every example of a task alike (it has no example parameters), so no cell is worth more than another", Assert.Throws<ArgumentException>(() => ActiveDesign.Of(taskMean)).Message, StringComparison.Ordinal);
    }
}
