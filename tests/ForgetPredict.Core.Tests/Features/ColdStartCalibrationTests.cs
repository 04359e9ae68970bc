using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

using Xunit.Abstractions;

namespace ForgetPredict.Core.Tests.Features;

public class ColdStartCalibrationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("charlm-d")]
    [InlineData("charlm-v")]
    public void ColdStartIntervals_WidenForTasksUnlikeTheTrainingOnes_AndScoreBetterThanOneWidthForAll(string name)
    {
        // Given: a bundled matrix with its tasks' settings, family and data embedding; every task held out in turn.
        var (z, settings, family, embedding) = CharlmD.Load(name);
        var all = FeatureSet.Combine([settings, family, embedding]);
        double spreadDensity = 0, constantDensity = 0;
        long inside = 0;
        for (var t = 0; t < z.TaskCount; t++)
        {
            var rows = Enumerable.Range(0, z.TaskCount).Where(i => i != t).ToArray();
            var model = new LowRankFitter().FitLowRank(z.SelectTasks(rows));
            var withSpread = TaskFeatureModel.Fit(model, all.Select(rows));
            Assert.True(withSpread.UsesFeatures);
            var constant = TaskFeatureModel.Restore(withSpread.Parts! with { Penalties = [], Spread = [] });

            // When: the held-out row is predicted from its features alone, with the prior's variance following the task's
            // distance from the training tasks, and with the leave-one-out variance for every task.
            (double Density, long Inside) Score(TaskFeatureModel features)
            {
                var mean = new double[z.ExampleCount];
                var std = new double[z.ExampleCount];
                model.FoldIn([], [], new FoldInOptions { TaskPrior = features.Prior(all.Select([t])) }).PredictRow(mean, std);
                double density = 0;
                long covered = 0;
                for (var j = 0; j < z.ExampleCount; j++)
                {
                    var e = (z[t, j] - mean[j]) / std[j];
                    density += -0.5 * ((e * e) + Math.Log(2 * Math.PI * std[j] * std[j]));
                    covered += Math.Abs(e) <= 1.645 ? 1 : 0;
                }

                return (density, covered);
            }

            var (d, c) = Score(withSpread);
            spreadDensity += d;
            inside += c;
            constantDensity += Score(constant).Density;
        }

        // Then: the cells' mean log predictive density is higher (tasks the features predict badly are given wider intervals),
        // and the 90% intervals still cover between 80% and 99% of the cells.
        var cells = (double)z.TaskCount * z.ExampleCount;
        var coverage = inside / cells;
        output.WriteLine($"{name}: mean log density {spreadDensity / cells:0.0000} (one width for all: {constantDensity / cells:0.0000}); coverage {coverage:P1}");
        Assert.True(spreadDensity > constantDensity, $"{spreadDensity / cells} against {constantDensity / cells}");
        Assert.InRange(coverage, 0.80, 0.99);
    }

    [Fact]
    public void AGaussianKernelsPrior_FarFromEveryTrainingTask_IsNoWiderThanTheModelsOwn()
    {
        // Given: mf on all of charlm-d with its tasks' settings, whose feature model reads them through a Gaussian kernel.
        var (z, settings, _, _) = CharlmD.Load("charlm-d");
        var model = new LowRankFitter().FitLowRank(z);
        var features = TaskFeatureModel.Fit(model, settings);
        Assert.Contains("rbf", features.Report.Chosen, StringComparison.Ordinal);
        GaussianPrior At(double lr, double steps) =>
            features.Prior(new FeatureSet(IdList.From(["new"]), [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], [lr, steps])]));
        static double Trace(GaussianPrior p) => Enumerable.Range(0, p.Dimension).Sum(a => p.Covariance[(a * p.Dimension) + a]);

        // When: a task with the training tasks' usual settings, one far beyond them, and one further still.
        var near = Trace(At(3e-4, 150));
        var far = Trace(At(3e-2, 15000));
        var further = Trace(At(3, 1.5e6));

        // Then: the far ones are wider than the near one, but no wider than the model's own prior (without features): there a
        // Gaussian kernel's prediction falls back to the intercept, and the model's own spread of tasks is the honest width
        // (uncapped, the far prior had been 10 times wider than ignoring the features).
        var own = Trace(model.TaskPrior!);
        output.WriteLine($"near {near}, far {far}, further {further}, the model's own {own}");
        Assert.True(far > near, $"{far} against {near}");
        Assert.True(further <= own * 1.01, $"{further} against the model's own {own}");
        Assert.True(far <= own * 1.01, $"{far} against the model's own {own}");
    }
}
