using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Features;

public class FeatureEnsembleTests
{
    private static readonly int[] s_test = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37];

    private static IReadOnlyList<EvaluationResult> Curve(ForgettingMatrix z, IEvaluationMethod[] methods, int[] known) =>
        EvaluationCurve.Run(z, EvaluationSplit.HoldOut(z, s_test), methods, known, new EvaluationOptions { Seeds = 2 });

    private static double Rmse(EvaluationResult result, string name) => result.Methods.Single(m => m.Name == name).Rmse.Mean;

    [Fact]
    public void FeaturesThatDetermineTheRow_AreRecovered_AtEveryK()
    {
        // Given: 40 tasks whose bias and factors are exact functions of two features (noise 0.01), 10 held out.
        var (z, x) = TaskFeatureModelTests.Planted(3);
        var method = new FeatureEnsembleMethod(TaskFeatureModelTests.Numeric(z, x, 2));
        var plain = new KnownTunedFoldInMethod("ensemble", k => ModelCatalog.CreateFitter("ensemble", new ModelSettings { Known = k }), 30);

        // When: the held-out rows are predicted from 0 and 10 known cells.
        var results = Curve(z, [plain, method], [0, 10]);

        // Then: with no cell the features alone recover the rows to a small multiple of the noise (the ensemble without them
        // cannot), the learned weights lean on the feature members, and with cells the features still help.
        Assert.True(Rmse(results[0], "ensemble") > 0.5, $"without features {Rmse(results[0], "ensemble")}");
        Assert.True(Rmse(results[0], "ensemble+features") < 0.05, $"with features {Rmse(results[0], "ensemble+features")}");
        Assert.True(Rmse(results[1], "ensemble+features") <= Rmse(results[1], "ensemble"),
            $"k = 10: {Rmse(results[1], "ensemble+features")} vs {Rmse(results[1], "ensemble")}");
        var weights = method.LastWeights!;
        var featureShare = (weights[4] + weights[5]) / weights.Sum();
        Assert.True(featureShare > 0.5, $"weights {string.Join(", ", weights)}");
    }

    [Fact]
    public void PureNoiseFeatures_CostAtMostOnePercent_AgainstTheEnsemble()
    {
        // Given: the planted matrix with features that are pure noise (5 numeric columns and a 64-wide embedding).
        var (z, _) = TaskFeatureModelTests.Planted(4);
        var random = new Random(9);
        var tasks = TaskFeatureModelTests.Tasks;
        var noise = FeatureSet.Combine(
        [
            TaskFeatureModelTests.Numeric(z, [.. Enumerable.Range(0, tasks * 5).Select(_ => random.NextDouble() + 0.1)], 5),
            TaskFeatureModelTests.Numeric(z, [.. Enumerable.Range(0, tasks * 64).Select(_ => random.NextDouble())], 64, "embedding", FeatureKind.Embedding),
        ]);
        var plain = new KnownTunedFoldInMethod("ensemble", k => ModelCatalog.CreateFitter("ensemble", new ModelSettings { Known = k }), 30);

        // When: held-out rows are predicted with and without them at 0, 10 and 30 known cells.
        var results = Curve(z, [plain, new FeatureEnsembleMethod(noise)], [0, 10, 30]);

        // Then: at most 1% worse at every k.
        foreach (var r in results)
        {
            Assert.True(Rmse(r, "ensemble+features") <= Rmse(r, "ensemble") * 1.01, $"k = {r.Options.Known}: {Rmse(r, "ensemble+features")} vs {Rmse(r, "ensemble")}");
        }
    }

    [Fact]
    public void ACurve_TunesSelfTuningMethods_ForEachK()
    {
        // Given: a planted matrix and the ensemble, tuned for the number of known cells.
        var (z, _) = TaskFeatureModelTests.Planted(5);
        var method = new KnownTunedFoldInMethod("ensemble", k => ModelCatalog.CreateFitter("ensemble", new ModelSettings { Known = k }), 30);

        // When: it runs as a curve over k = 5 and 30, and alone at k = 5.
        var curve = Curve(z, [method], [5, 30]);
        var single = Protocol.Run(z, EvaluationSplit.HoldOut(z, s_test), [new FoldInMethod("ensemble", ModelCatalog.CreateFitter("ensemble", new ModelSettings { Known = 5 }))],
            new EvaluationOptions { Known = 5, Seeds = 2 });

        // Then: the curve's k = 5 point is the ensemble tuned for 5 cells, not for the first or default k.
        Assert.Equal(single.Methods[0].Rmse.Mean, curve[0].Methods[0].Rmse.Mean, 12);
    }
}
