using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;

using Xunit.Abstractions;

namespace ForgetPredict.Core.Tests.Features;

public class CharlmDTargetTests(ITestOutputHelper output)
{
    [Fact]
    public void TaskFeatures_OnCharlmD_HalveTheColdStartError_AndDoNotHurtWithMeasuredCells()
    {
        // Given: charlm-d with the reference split (10 test tasks), 3 seeds, every task's settings, family and data embedding.
        var z = CharlmD.Matrix;
        var split = EvaluationSplit.HoldOut(z, CharlmD.ReferenceTestRows);
        IEvaluationMethod[] methods =
        [
            new FoldInMethod("example-mean", ModelCatalog.CreateFitter("example-mean")),
            new FoldInMethod("additive", ModelCatalog.CreateFitter("additive")),
            new FoldInMethod("mf", ModelCatalog.CreateFitter("mf")),
            new FeatureFoldInMethod("mf+f", ModelCatalog.CreateFitter("mf"), CharlmD.All),
            new RepresentationMethod(CharlmD.All, CharlmD.Examples),
        ];

        // When: every method is evaluated at k = 0, 10 and 30 known cells.
        var results = EvaluationCurve.Run(z, split, methods, [0, 10, 30], new EvaluationOptions { Seeds = 3 });
        foreach (var r in results)
        {
            output.WriteLine($"k = {r.Options.Known}: " + string.Join("  ", r.Methods.Select(m => $"{m.Name} {m.Rmse.Mean:0.0000}")));
        }

        double Rmse(int k, string name) => results[k].Methods.Single(m => m.Name == name).Rmse.Mean;

        // Then: with no measured cell the features at least halve the example mean's error, and with cells they cost at most 1%
        // against the best method without them.
        Assert.True(Rmse(0, "mf+f") <= 0.5 * Rmse(0, "example-mean"), $"k = 0: {Rmse(0, "mf+f")} vs example mean {Rmse(0, "example-mean")}");
        for (var k = 1; k < 3; k++)
        {
            var best = new[] { "additive", "mf" }.Min(name => Rmse(k, name));
            Assert.True(Rmse(k, "mf+f") <= best * 1.01, $"k = {results[k].Options.Known}: {Rmse(k, "mf+f")} vs best without features {best}");
        }

        // And the representation-based baseline is beaten at every k.
        for (var k = 0; k < 3; k++)
        {
            Assert.True(Rmse(k, "mf+f") < Rmse(k, "representation"), $"k = {results[k].Options.Known}: {Rmse(k, "mf+f")} vs representation {Rmse(k, "representation")}");
        }
    }

    [Fact]
    public void ColdStartIntervals_OnCharlmD_CoverAboutTheirNominalShare()
    {
        // Given: charlm-d, every third task held out in turn (11 tasks), each predicted from its features alone.
        var z = CharlmD.Matrix;
        long inside = 0, cells = 0;
        for (var t = 0; t < z.TaskCount; t += 3)
        {
            var rows = Enumerable.Range(0, z.TaskCount).Where(i => i != t).ToArray();
            var model = new LowRankFitter().FitLowRank(z.SelectTasks(rows));
            var features = Core.Features.TaskFeatureModel.Fit(model, CharlmD.All.Select(rows));

            // When: the whole row is predicted with no measured cell, mean and predictive std per cell.
            var mean = new double[z.ExampleCount];
            var std = new double[z.ExampleCount];
            model.FoldIn([], [], new FoldInOptions { TaskPrior = features.Prior(CharlmD.All.Select([t])) }).PredictRow(mean, std);
            for (var j = 0; j < z.ExampleCount; j++)
            {
                inside += Math.Abs(z[t, j] - mean[j]) <= 1.645 * std[j] ? 1 : 0;
                cells++;
            }
        }

        // Then: the 90% intervals cover between 85% and 99% of the cells: honest, neither far too narrow nor uselessly wide.
        var coverage = inside / (double)cells;
        output.WriteLine($"cold-start 90% interval coverage: {coverage:P1}");
        Assert.InRange(coverage, 0.85, 0.99);
    }
}
