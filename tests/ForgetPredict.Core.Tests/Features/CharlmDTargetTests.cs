using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using Xunit.Abstractions;

namespace ForgetPredict.Core.Tests.Features;

public class CharlmDTargetTests(ITestOutputHelper output)
{
    [Fact]
    public void Curve_Print()
    {
        var z = CharlmD.Matrix;
        var split = EvaluationSplit.HoldOut(z, CharlmD.ReferenceTestRows);
        IEvaluationMethod[] methods =
        [
            new FoldInMethod("example-mean", ModelCatalog.CreateFitter("example-mean")),
            new FoldInMethod("additive", ModelCatalog.CreateFitter("additive")),
            new FoldInMethod("rank1", ModelCatalog.CreateFitter("rank1")),
            new FoldInMethod("mf", ModelCatalog.CreateFitter("mf")),
            new FeatureFoldInMethod("additive+f", ModelCatalog.CreateFitter("additive"), CharlmD.All),
            new FeatureFoldInMethod("rank1+f", ModelCatalog.CreateFitter("rank1"), CharlmD.All),
            new FeatureFoldInMethod("mf+f", ModelCatalog.CreateFitter("mf"), CharlmD.All),
        ];
        var results = EvaluationCurve.Run(z, split, methods, [0, 5, 10, 30], new EvaluationOptions { Seeds = 3 });
        foreach (var r in results)
        {
            output.WriteLine($"k={r.Options.Known}: " + string.Join("  ", r.Methods.Select(m => $"{m.Name} {m.Rmse.Mean:0.0000}")));
        }

        foreach (var m in methods.OfType<FeatureFoldInMethod>())
        {
            var rep = m.LastFeatureModel!.Report;
            output.WriteLine($"{m.Name}: {rep.Chosen} rel {rep.RelativeError:0.000} gains {string.Join(",", rep.ComponentGains.Select(g => g.ToString("0.00")))}");
            output.WriteLine("   " + string.Join(" | ", rep.Candidates.Take(6).Select(c => $"{c.Description} {c.RelativeError:0.000}")));
        }
    }
}
