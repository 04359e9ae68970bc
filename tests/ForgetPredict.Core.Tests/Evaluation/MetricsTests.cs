using System.Text.Json;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Evaluation;

/// <summary>The protocol's metrics against hand-computed values and scipy/scikit-learn goldens (notebooks/golden.py).</summary>
public class MetricsTests
{
    private static readonly JsonDocument s_golden = JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("golden", "metrics.json")));

    public static TheoryData<string> Cases() => ["small", "medium", "ties"];

    private static double[] Vector(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ContinuousMetrics_MatchScipyAndNumpy(string name)
    {
        var c = s_golden.RootElement.GetProperty("continuous").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var truth = Vector(c, "truth");
        var predicted = Vector(c, "predicted");
        Assert.Equal(c.GetProperty("rmse").GetDouble(), Metrics.Rmse(truth, predicted), 12);
        Assert.Equal(c.GetProperty("mae").GetDouble(), Metrics.Mae(truth, predicted), 12);
        Assert.Equal(c.GetProperty("spearman").GetDouble(), Metrics.Spearman(truth, predicted), 12);
        Assert.Equal(c.GetProperty("precision_at_k").GetDouble(), Metrics.PrecisionAtK(truth, predicted, c.GetProperty("k").GetInt32()), 12);
        Assert.Equal(c.GetProperty("recall_at_k").GetDouble(), Metrics.RecallAtK(truth, predicted, c.GetProperty("k").GetInt32()), 12);
    }

    // On 0/1 labels a hit is a forgotten cell: with fewer forgotten cells than K the K-th largest truth is 0, which every
    // cell reaches, and every row scored 1 whatever the predictions (a random predictor scored 0.415 against a ROC-AUC of 0.5).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TopK_OnLabels_CountsForgottenCellsOnly_AsNumpy(bool few)
    {
        var b = s_golden.RootElement.GetProperty("binary");
        var c = few ? b.GetProperty("few") : b;
        var (labels, scores, k) = (Vector(c, "labels"), Vector(c, "scores"), c.GetProperty("k").GetInt32());
        Assert.Equal(c.GetProperty("precision_at_k").GetDouble(), Metrics.PrecisionAtK(labels, scores, k, labels: true), 12);
        Assert.Equal(c.GetProperty("recall_at_k").GetDouble(), Metrics.RecallAtK(labels, scores, k, labels: true), 12);
        if (few)
        {
            // 5 forgotten of 100, K = 10: the K-th largest truth (0) makes every pick a hit; the labels cap precision at 0.5.
            Assert.Equal(1.0, Metrics.PrecisionAtK(labels, scores, k));
            Assert.True(Metrics.PrecisionAtK(labels, scores, k, labels: true) <= 0.5);
        }
    }

    [Fact]
    public void RecallAtK_IsNaNWithoutAForgottenCell_AndCountsTiedTruthsInItsDenominator()
    {
        Assert.True(double.IsNaN(Metrics.RecallAtK([0.0, 0, 0, 0], [0.1, 0.4, 0.2, 0.3], 2, labels: true)));
        Assert.Equal(0, Metrics.PrecisionAtK([0.0, 0, 0, 0], [0.1, 0.4, 0.2, 0.3], 2, labels: true));
        // Truths 3, 2, 2, 1 with K = 2: cells at or above the 2nd largest (2) are three; the top 2 predictions hit two of them.
        Assert.Equal(1.0, Metrics.PrecisionAtK([3.0, 2, 2, 1], [4.0, 3, 1, 2], 2));
        Assert.Equal(2.0 / 3, Metrics.RecallAtK([3.0, 2, 2, 1], [4.0, 3, 1, 2], 2), 15);
    }

    [Fact]
    public void PrecisionAtK_CountsTiesTheSameWhateverTheCellsOrder()
    {
        // A 0/1 truth (13 forgotten of 100) and predictions with ties at the cut: the ones broke ties by lower index, so the
        // truth's top 4 were its first 4 forgotten cells and a pick of any other forgotten cell counted as a miss.
        var truth = Enumerable.Range(0, 100).Select(j => j % 8 == 3 ? 1.0 : 0.0).ToArray();
        var predicted = Enumerable.Range(0, 100).Select(j => j % 8 == 3 ? (j > 50 ? 0.9 : 0.5) : (j == 10 ? 0.9 : 0.1)).ToArray();
        var reversedTruth = truth.Reverse().ToArray();
        var reversedPredicted = predicted.Reverse().ToArray();

        var forward = Metrics.PrecisionAtK(truth, predicted, 4);
        var reversed = Metrics.PrecisionAtK(reversedTruth, reversedPredicted, 4);

        // 8 cells share the top prediction 0.9 (7 forgotten, 1 not) for 4 picks: 4 x 7/8 expected hits.
        Assert.Equal(4.0 * 7 / 8 / 4, forward, 12);
        Assert.Equal(forward, reversed, 15);
        // Without ties the plain definition: the share of the K highest predictions among the K highest truths.
        Assert.Equal(0.5, Metrics.PrecisionAtK([5.0, 4, 3, 2, 1], [5.0, 1, 2, 3, 4], 2));
    }

    [Fact]
    public void MergeNearTies_TiesValuesApartByRoundingOnly_AndNothingElse()
    {
        // 0.3 + 0.1 + 0.2 and 0.3 + 0.2 + 0.1 differ in the last bit; 1e-9 apart is a real difference; float32 neighbours too.
        var a = 0.3 + 0.1 + 0.2;
        var b = 0.3 + 0.2 + 0.1;
        var f = (double)MathF.BitIncrement(0.6f);
        double[] values = [b, 0.9, a, double.NaN, 0.6 + 1e-9, f, 0.6f];
        Assert.NotEqual(a, b);

        var merged = Metrics.MergeNearTies(values);

        Assert.Equal(Math.Min(a, b), merged[0]);
        Assert.Equal(merged[0], merged[2]);
        Assert.Equal(values[1], merged[1]);
        Assert.True(double.IsNaN(merged[3]));
        Assert.Equal(values[4], merged[4]);
        Assert.Equal(values[5], merged[5]);
        Assert.Equal(values[6], merged[6]);
        // Ranks and precision@K then see one tie.
        Assert.Equal(Metrics.Ranks([0.6, 0.9, 0.6]), Metrics.Ranks([merged[0], merged[1], merged[2]]));
        // The same ties at any scale.
        var scaled = Metrics.MergeNearTies(values.Select(v => v * 1000).ToArray());
        Assert.Equal(scaled[0], scaled[2]);
        Assert.NotEqual(scaled[0], scaled[4]);
        Assert.NotEqual(scaled[5], scaled[6]);
    }

    [Fact]
    public void BinaryMetrics_MatchScikitLearn()
    {
        var b = s_golden.RootElement.GetProperty("binary");
        var labels = Vector(b, "labels");
        var scores = Vector(b, "scores");
        Assert.Equal(b.GetProperty("auc").GetDouble(), Metrics.RocAuc(labels, scores), 12);
        var (precision, recall, f1) = Metrics.Classification(labels, scores, b.GetProperty("threshold").GetDouble());
        Assert.Equal(b.GetProperty("precision").GetDouble(), precision, 12);
        Assert.Equal(b.GetProperty("recall").GetDouble(), recall, 12);
        Assert.Equal(b.GetProperty("f1").GetDouble(), f1, 12);
    }

    [Fact]
    public void HandComputed_SmallCases()
    {
        // Errors (1, -1, 2): RMSE sqrt(6/3) = sqrt 2, MAE 4/3.
        double[] truth = [0, 1, 2];
        double[] predicted = [1, 0, 4];
        Assert.Equal(Math.Sqrt(2), Metrics.Rmse(truth, predicted), 14);
        Assert.Equal(4.0 / 3, Metrics.Mae(truth, predicted), 14);

        // Truth ranks (1, 2, 3), prediction ranks (2, 1, 3): Spearman = 1 - 6 * (1 + 1 + 0) / (3 * 8) = 0.5.
        Assert.Equal(0.5, Metrics.Spearman(truth, predicted), 14);

        // Top-2 truth {2, 1}; top-2 predicted {2, 0}: one hit of two.
        Assert.Equal(0.5, Metrics.PrecisionAtK(truth, predicted, 2), 14);

        // Labels (1, 0, 1, 0), scores (0.9, 0.8, 0.3, 0.1): positive/negative pairs ordered right: (0.9 > 0.8), (0.9 > 0.1),
        // (0.3 < 0.8: wrong), (0.3 > 0.1): AUC 3/4. At 0.5: tp 1, fp 1, fn 1 -> precision 1/2, recall 1/2, F1 1/2.
        double[] labels = [1, 0, 1, 0];
        double[] scores = [0.9, 0.8, 0.3, 0.1];
        Assert.Equal(0.75, Metrics.RocAuc(labels, scores), 14);
        Assert.Equal((0.5, 0.5, 0.5), Metrics.Classification(labels, scores, 0.5));
    }

    [Fact]
    public void Metrics_SkipMissingTruthAndHandleDegenerateInput()
    {
        Assert.Equal(1.0, Metrics.Rmse([double.NaN, 0], [5, 1]), 14);
        Assert.True(double.IsNaN(Metrics.Spearman([1, 1, 1], [1, 2, 3])));
        Assert.True(double.IsNaN(Metrics.RocAuc([0, 0], [0.1, 0.2])));
        Assert.Equal([2.0, 2, 2, 4], Metrics.Ranks([5, 5, 5, 7]));
    }
}

public class TopSelectionTests
{
    [Fact]
    public void RanksAndTop_AgreeWithTheDefinitionsAtEveryTieStructure()
    {
        // Values with many ties (rounded): the top set must be the k largest, ties at the boundary taken by lower index.
        var random = new Random(42);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = random.Next(1, 60);
            var values = Enumerable.Range(0, n).Select(_ => Math.Round(random.NextDouble() * 5) / 5).ToArray();
            var k = random.Next(0, n + 1);
            var (ranks, top) = Metrics.RanksAndTop(values, k);
            var expected = Enumerable.Range(0, n).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Order().ToArray();
            Assert.Equal(expected, top.Order().ToArray());
            Assert.Equal(expected, Metrics.TopIndices(values, k).Order().ToArray());
            for (var i = 0; i < n; i++)
            {
                var below = values.Count(v => v < values[i]);
                var equal = values.Count(v => v == values[i]);
                Assert.Equal(below + ((equal + 1) / 2.0), ranks[i]);
            }
        }
    }
}
