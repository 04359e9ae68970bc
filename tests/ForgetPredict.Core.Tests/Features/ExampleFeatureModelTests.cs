using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Features;

public class ExampleFeatureModelTests
{
    [Fact]
    public void NewUpstreamExamples_ArePredictedFromTheirFeatures_WithHonestIntervals()
    {
        // Given: charlm-d with every fifth chunk never measured (new pre-training data) and task 2 held out.
        var z = CharlmD.Matrix;
        var newColumns = Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 == 0).ToArray();
        var oldColumns = Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 != 0).ToArray();
        var trainRows = Enumerable.Range(0, z.TaskCount).Where(i => i != 2).ToArray();
        var values = new float[trainRows.Length * oldColumns.Length];
        for (var i = 0; i < trainRows.Length; i++)
        {
            for (var c = 0; c < oldColumns.Length; c++)
            {
                values[(i * oldColumns.Length) + c] = z[trainRows[i], oldColumns[c]];
            }
        }

        var train = ForgettingMatrix.Create(values, trainRows.Length, oldColumns.Length, null, oldColumns.Select(j => z.ExampleIds[j]));
        var model = new LowRankFitter().FitLowRank(train);
        var examples = CharlmD.Examples;

        // When: the example feature model is fitted on the measured chunks and task 2 is folded in from 30 of them.
        var featureModel = ExampleFeatureModel.Fit(model, examples.AlignTo(train.ExampleIds));
        var known = Enumerable.Range(0, 30).Select(t => t * 100).ToArray();
        var task = model.FoldIn(known, [.. known.Select(c => (double)z[2, oldColumns[c]])]);
        var newFeatures = examples.Select(newColumns);
        var mean = new double[newColumns.Length];
        var std = new double[newColumns.Length];
        featureModel.PredictNewExamples(task, newFeatures, mean, std);

        // Then: the new chunks are predicted better than by the average chunk, with intervals wider than the measured chunks' and
        // covering at least as often.
        var truth = newColumns.Select(j => (double)z[2, j]).ToArray();
        var averageChunk = task.PredictRow().Average();
        var rmse = Math.Sqrt(truth.Select((v, t) => (v - mean[t]) * (v - mean[t])).Average());
        var baseline = Math.Sqrt(truth.Select(v => (v - averageChunk) * (v - averageChunk)).Average());
        Assert.True(rmse < 0.9 * baseline, $"with features {rmse}, average chunk {baseline}");
        var covered = truth.Where((v, t) => Math.Abs(v - mean[t]) <= 1.645 * std[t]).Count() / (double)truth.Length;
        var warmMean = new double[oldColumns.Length];
        var warmStd = new double[oldColumns.Length];
        task.PredictRow(warmMean, warmStd);
        var warmCovered = oldColumns.Where((j, c) => Math.Abs(z[2, j] - warmMean[c]) <= 1.645 * warmStd[c]).Count() / (double)oldColumns.Length;
        Assert.True(std.Average() > warmStd.Average(), $"new chunks' std {std.Average()}, measured chunks' {warmStd.Average()}");
        Assert.True(covered >= warmCovered, $"coverage of the 90% intervals: new chunks {covered}, measured chunks {warmCovered}");
    }

    [Fact]
    public void UnmeasuredExamplesOfTheMatrix_ArePredictedFromTheirFeatures_AsNewExamplesWouldBe()
    {
        // Given: charlm-d without task 2, every fifth chunk never measured (NaN columns of the matrix, not new ids)
        var z = CharlmD.Matrix;
        var blank = Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 == 0).ToArray();
        var train = z.SelectTasks([.. Enumerable.Range(0, z.TaskCount).Where(i => i != 2)]);
        var values = train.Values.ToArray();
        for (var i = 0; i < train.TaskCount; i++)
        {
            foreach (var j in blank)
            {
                values[(i * train.ExampleCount) + j] = float.NaN;
            }
        }

        train = ForgettingMatrix.Create(values, train.TaskCount, train.ExampleCount, train.TaskIds, train.ExampleIds);
        var model = new LowRankFitter().FitLowRank(train);
        var examples = CharlmD.Examples.AlignTo(train.ExampleIds);

        // When: the example feature model is fitted (over the measured chunks) and fills the unmeasured ones in
        var fitted = ExampleFeatureModel.Fit(model, examples);
        var (filled, restored) = fitted.PredictUnmeasured(examples);

        // Then: the regression ignored the unmeasured chunks' features (changing them changes nothing) ...
        var scrambled = ExampleFeatureModel.Fit(model, Scramble(examples, blank));
        Assert.Equal(fitted.Parts.Weights, scrambled.Parts.Weights);
        Assert.Equal(fitted.Parts.ErrorVariance, scrambled.Parts.ErrorVariance);

        // ... and a folded task's row at the unmeasured chunks is what the cold-column prediction of the same chunks gives
        var known = Enumerable.Range(0, 30).Select(t => (t * 160) + 1).ToArray();
        var task = filled.FoldIn(known, [.. known.Select(j => (double)z[2, j])]);
        var mean = new double[z.ExampleCount];
        var std = new double[z.ExampleCount];
        task.PredictRow(mean, std);
        var coldMean = new double[blank.Length];
        var coldStd = new double[blank.Length];
        restored.PredictNewExamples(task, examples.Select(blank), coldMean, coldStd);
        for (var t = 0; t < blank.Length; t++)
        {
            Assert.Equal(coldMean[t], mean[blank[t]], 1e-9);
            Assert.Equal(coldStd[t], std[blank[t]], 1e-9);
        }

        // and better than the average chunk the model predicts them as without features.
        var plain = model.FoldIn(known, [.. known.Select(j => (double)z[2, j])]).PredictRow();
        double Rmse(double[] row) => Math.Sqrt(blank.Average(j => (z[2, j] - row[j]) * (z[2, j] - row[j])));
        Assert.True(Rmse(mean) < 0.85 * Rmse(plain), $"from features {Rmse(mean)}, as the average chunk {Rmse(plain)}");
    }

    // The same features with the listed rows' values replaced (every block's row reversed among them).
    private static FeatureSet Scramble(FeatureSet features, int[] rows)
    {
        var order = Enumerable.Range(0, features.Count).ToArray();
        for (var t = 0; t < rows.Length; t++)
        {
            order[rows[t]] = rows[rows.Length - 1 - t];
        }

        return new FeatureSet(features.Ids, [.. features.Select(order).Blocks]);
    }

    // A small model and example features (numeric, categorical and an embedding) over its examples.
    private static (FactorModel Model, FeatureSet Features) Small(int examples, int seed, int width = 5)
    {
        var random = new Random(seed);
        const int tasks = 6;
        var embedding = Enumerable.Range(0, examples * width).Select(_ => random.NextDouble() - 0.5).ToArray();
        var loss = Enumerable.Range(0, examples).Select(_ => 1 + (2 * random.NextDouble())).ToArray();
        var source = new double[examples * 3];
        var values = new float[tasks * examples];
        for (var j = 0; j < examples; j++)
        {
            source[(j * 3) + (j % 3)] = 1;
            for (var i = 0; i < tasks; i++)
            {
                values[(i * examples) + j] = (float)((i * loss[j] * 0.1) + (embedding[j * width] * (i % 2 == 0 ? 1 : -1)) + (j % 3 * 0.2) + (0.05 * random.NextDouble()));
            }
        }

        var z = ForgettingMatrix.Create(values, tasks, examples);
        var features = new FeatureSet(z.ExampleIds,
        [
            new FeatureBlock("upstream.csv", FeatureKind.Numeric, ["base_loss"], loss),
            new FeatureBlock("upstream.csv categories", FeatureKind.Categorical, ["source=a", "source=b", "source=c"], source),
            new FeatureBlock("example_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, width).Select(c => $"e{c}")], embedding),
        ]);
        return (new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z), features);
    }

    [Theory]
    [InlineData(40, 5)]     // more examples than encoded columns (1 + 3 + 5)
    [InlineData(20, 30)]    // fewer: the Gram matrix of the features is singular, only the ridge makes the fit unique
    public void TheLeaveOneOutErrorAndWeights_AreThoseOfRefittingWithoutEachExample(int examples, int embeddingWidth)
    {
        // Given: the examples and their encoded features (the scalar reference: ridge by normal equations, refitted n times).
        var (model, features) = Small(examples, 5, embeddingWidth);
        var n = model.ExampleCount;
        var views = FeatureView.AsGiven(features.Blocks);
        var width = views.Sum(v => v.EncodedWidth);
        var x = new double[n * width];
        for (var j = 0; j < n; j++)
        {
            FeatureView.EncodeConcatenated(views, features.Blocks, j, FeatureView.BalancedScales(views), x.AsSpan(j * width, width));
        }

        // Ridge with an unpenalised intercept on the examples in `rows`: (w, intercept).
        double[] Ridge(int[] rows, double[] y, double lambda)
        {
            var d = width + 1;
            var a = new double[d * d];
            var b = new double[d];
            foreach (var j in rows)
            {
                for (var u = 0; u < d; u++)
                {
                    var xu = u < width ? x[(j * width) + u] : 1;
                    b[u] += xu * y[j];
                    for (var v = 0; v < d; v++)
                    {
                        a[(u * d) + v] += xu * (v < width ? x[(j * width) + v] : 1);
                    }
                }
            }

            for (var u = 0; u < width; u++)
            {
                a[(u * d) + u] += lambda;
            }

            Assert.True(Core.Numerics.Cholesky.Factor(a, d));
            Core.Numerics.Cholesky.Solve(a, d, b);
            return b;
        }

        double Predict(double[] w, int j) => w[width] + Enumerable.Range(0, width).Sum(a => w[a] * x[(j * width) + a]);

        // When: the example feature model is fitted.
        var fitted = ExampleFeatureModel.Fit(model, features);

        // Then: per parameter, the leave-one-out error variance is the smallest over the strengths of the mean squared error of
        // predicting each example from a ridge refitted without it, and the weights are the ridge on all examples at that strength.
        var scale = (Enumerable.Range(0, n).Sum(j => Enumerable.Range(0, width).Sum(a => x[(j * width) + a] * x[(j * width) + a])) + n) / (width + 1);
        var all = Enumerable.Range(0, n).ToArray();
        var q = 1 + model.Rank;
        for (var k = 0; k < q; k++)
        {
            var y = k == 0 ? model.ExampleBiases.ToArray() : model.ExampleFactors.Slice((k - 1) * n, n).ToArray();
            var best = ExampleFeatureModel.RelativeStrengths.Select(relative => relative * scale)
                .Select(lambda => (Lambda: lambda, Error: all.Sum(j => Math.Pow(y[j] - Predict(Ridge([.. all.Where(i => i != j)], y, lambda), j), 2)) / n))
                .MinBy(c => c.Error);
            Assert.Equal(best.Error, fitted.Parts.ErrorVariance[k], best.Error * 1e-9);
            var weights = Ridge(all, y, best.Lambda);
            for (var a = 0; a <= width; a++)
            {
                Assert.Equal(weights[a], fitted.Parts.Weights[(a * q) + k], 1e-9 * (1 + Math.Abs(weights[a])));
            }
        }
    }

    [Fact]
    public async Task TheFit_IsTheSameOnOneThreadAsOnMany()
    {
        // Given: enough examples for the sums to be split over several partitions.
        var (model, features) = Small(9_000, 6);

        // When: fitted with every core, and on a scheduler that runs one task at a time.
        var many = ExampleFeatureModel.Fit(model, features);
        var single = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, 1).ExclusiveScheduler;
        var one = await Task.Factory.StartNew(() => ExampleFeatureModel.Fit(model, features), CancellationToken.None, TaskCreationOptions.None, single);

        // Then: the same weights and errors, bit for bit, also with MaxThreads = 1; MaxThreads must be -1 or positive.
        Assert.Equal(many.Parts.Weights, ExampleFeatureModel.Fit(model, features, new ExampleFeatureOptions { MaxThreads = 1 }).Parts.Weights);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExampleFeatureModel.Fit(model, features, new ExampleFeatureOptions { MaxThreads = -2 }));
        Assert.Equal(many.Parts.Weights, one.Parts.Weights);
        Assert.Equal(many.Parts.ErrorVariance, one.Parts.ErrorVariance);
        Assert.Equal(many.Parts.ExplainedShare, one.Parts.ExplainedShare);
    }
}
