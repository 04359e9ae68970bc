using ForgetPredict.Core.Features;

namespace ForgetPredict.Core.Tests.Features;

public class ChunkedRowsTests
{
    [Fact]
    public void MeanGramAndScores_AreTheScalarSumsOverEveryRow()
    {
        // Given: 9,000 examples (several partitions, a last chunk shorter than 64) with a numeric and an embedding block.
        var random = new Random(9);
        const int n = 9_000;
        var numeric = Enumerable.Range(0, n * 2).Select(_ => random.NextDouble() * 3).ToArray();
        var embedding = Enumerable.Range(0, n * 4).Select(_ => random.NextDouble() - 0.5).ToArray();
        var set = new FeatureSet(IdList.Implicit(n), [new FeatureBlock("a", FeatureKind.Numeric, ["x", "y"], numeric), new FeatureBlock("b", FeatureKind.Embedding, ["e0", "e1", "e2", "e3"], embedding)]);
        var views = FeatureView.AsGiven(set.Blocks);
        var width = views.Sum(v => v.EncodedWidth);
        var scales = FeatureView.BalancedScales(views);
        var x = new double[n * width];
        for (var j = 0; j < n; j++)
        {
            FeatureView.EncodeConcatenated(views, set.Blocks, j, scales, x.AsSpan(j * width, width));
        }

        var targets = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var rows = new ChunkedRows(views, set.Blocks, n);

        // When: the mean, the centred Gram matrix with X^T y, and the scores on a basis are summed chunk by chunk.
        var mu = rows.Mean();
        var (gram, xty) = rows.CentredGram(mu, targets, [targets.Average()], 1);
        var basis = Enumerable.Range(0, width * width).Select(_ => random.NextDouble() - 0.5).ToArray();
        var scores = rows.Scores(basis, 3, mu);

        // Then: each is the plain sum over all rows.
        for (var a = 0; a < width; a++)
        {
            Assert.Equal(Enumerable.Range(0, n).Sum(j => x[(j * width) + a]) / n, mu[a], 1e-12);
            Assert.Equal(Enumerable.Range(0, n).Sum(j => (x[(j * width) + a] - mu[a]) * (targets[j] - targets.Average())), xty[a], 1e-8);
            for (var b = 0; b < width; b++)
            {
                Assert.Equal(Enumerable.Range(0, n).Sum(j => (x[(j * width) + a] - mu[a]) * (x[(j * width) + b] - mu[b])), gram[(a * width) + b], 1e-8);
            }
        }

        foreach (var j in new[] { 0, 63, 64, 4_499, 4_500, 8_999 })
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(Enumerable.Range(0, width).Sum(b => (x[(j * width) + b] - mu[b]) * basis[(b * width) + c]), scores[(c * n) + j], 1e-12);
            }
        }
    }
}
