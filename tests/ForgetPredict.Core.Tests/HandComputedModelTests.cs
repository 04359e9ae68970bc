using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests;

/// <summary>Each model family on tiny matrices whose answers are worked out by hand in the comments.</summary>
public class HandComputedModelTests
{
    private const float Nan = float.NaN;

    [Fact]
    public void TaskMean_PredictsObservedRowMeans()
    {
        // Row 0: (1 + 2) / 2 = 1.5; row 1: (4 + 6) / 2 = 5.
        var z = ForgettingMatrix.Create(new float[,] { { 1, 2, Nan }, { 4, Nan, 6 } });
        var model = new TaskMeanFitter().Fit(z);
        Assert.Equal(1.5, model.Predict(0, 2), 12);
        Assert.Equal(5.0, model.Predict(1, 1), 12);
    }

    [Fact]
    public void ExampleMean_PredictsObservedColumnMeans()
    {
        // Columns: (1 + 4) / 2 = 2.5, 2, 6.
        var z = ForgettingMatrix.Create(new float[,] { { 1, 2, Nan }, { 4, Nan, 6 } });
        var model = new ExampleMeanFitter().Fit(z);
        var row = new double[3];
        model.PredictRow(0, row);
        Assert.Equal([2.5, 2.0, 6.0], row.Select(x => Math.Round(x, 12)).ToArray());
    }

    [Fact]
    public void Additive_RidgeFixedPointOnTwoByTwo()
    {
        // z = [[1, 2], [3, 4]], mu = 2.5, residual r = [[-1.5, -0.5], [0.5, 1.5]], lambda = 1.
        // By symmetry b_1 + b_2 = 0, so a_1 = (-1.5 - 0.5) / (2 + 1) = -2/3, a_2 = 2/3,
        // and b_1 = (-1.5 + 0.5 - (a_1 + a_2)) / 3 = -1/3, b_2 = 1/3. Zhat[0,0] = 2.5 - 2/3 - 1/3 = 1.5.
        var z = ForgettingMatrix.Create(new float[,] { { 1, 2 }, { 3, 4 } });
        var model = new AdditiveFitter(new AdditiveOptions { BiasLambda = 1 }).FitAdditive(z);
        Assert.Equal(2.5, model.GlobalMean, 12);
        Assert.Equal(-2.0 / 3, model.TaskBiases[0], 9);
        Assert.Equal(2.0 / 3, model.TaskBiases[1], 9);
        Assert.Equal(-1.0 / 3, model.ExampleBiases[0], 9);
        Assert.Equal(1.5, model.Predict(0, 0), 9);
        Assert.Equal(3.5, model.Predict(1, 1), 9);
    }

    [Fact]
    public void Additive_UnpenalisedRecoversExactlyAdditiveMatrix()
    {
        float[] a = [0.1f, -0.2f, 0.3f];
        float[] b = [1f, 2f, -1f, 0.5f];
        var values = new float[3, 4];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                values[i, j] = 0.05f + a[i] + b[j];
            }
        }

        var z = ForgettingMatrix.Create(values);
        var model = new AdditiveFitter(new AdditiveOptions { BiasLambda = 0 }).Fit(z);
        Assert.Equal(1.0, GoodnessOfFit.RSquared(model, z), 9);
    }

    [Fact]
    public void RankOne_UnpenalisedRecoversOuterProduct()
    {
        // u = (1, 2, 3), v = (0.5, -1, 2, 0.25): Zhat must equal u v^T.
        double[] u = [1, 2, 3];
        double[] v = [0.5, -1, 2, 0.25];
        var values = new float[3, 4];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                values[i, j] = (float)(u[i] * v[j]);
            }
        }

        var model = new RankOneFitter(new RankOneOptions { Lambda = 0, Tolerance = 1e-14, MaxIterations = 500 }).Fit(ForgettingMatrix.Create(values));
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(u[i] * v[j], model.Predict(i, j), 6);
            }
        }
    }

    [Fact]
    public void LowRank_UnpenalisedRecoversBiasedRankTwoMatrix()
    {
        var random = new Random(3);
        int m = 12, n = 30;
        var values = new float[m, n];
        var u = new double[m, 2];
        var v = new double[2, n];
        for (var i = 0; i < m; i++)
        {
            u[i, 0] = random.NextDouble();
            u[i, 1] = random.NextDouble() - 0.5;
        }

        for (var j = 0; j < n; j++)
        {
            v[0, j] = random.NextDouble();
            v[1, j] = random.NextDouble() - 0.5;
        }

        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                values[i, j] = (float)(0.2 + (0.1 * i) - (0.05 * j) + (u[i, 0] * v[0, j]) + (u[i, 1] * v[1, j]));
            }
        }

        var z = ForgettingMatrix.Create(values);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2, Lambda = 0, BiasLambda = 0, Tolerance = 1e-13, MaxIterations = 2000 }).Fit(z);
        Assert.True(GoodnessOfFit.RSquared(model, z) > 1 - 1e-8);
    }

    [Fact]
    public void Knn_MsdOnThreeTasks_MatchesHandComputation()
    {
        // Baseline with BiasLambda = 0 on a 3 x 2 complete matrix z = [[0, 0], [1, 1], [0, 2]]:
        // mu = 4/6 = 2/3. The unpenalised additive fit is the two-way ANOVA fit: a_i = rowmean - mu = (-2/3, 1/3, 1/3),
        // b_j = colmean - mu = (-1/3, 1/3). Residuals r = z - mu - a - b:
        //   task 0: (0 - 2/3 + 2/3 + 1/3, 0 - 2/3 + 2/3 - 1/3) = (1/3, -1/3)
        //   task 1: (1 - 2/3 - 1/3 + 1/3, 1 - 2/3 - 1/3 - 1/3) = (1/3, -1/3)
        //   task 2: (0 - 2/3 - 1/3 + 1/3, 2 - 2/3 - 1/3 - 1/3) = (-2/3, 2/3)
        // MSD similarity of task 0: to task 1 = 1 / (1 + ((0-1)^2 + (0-1)^2) / 2) = 1/2; to task 2 = 1 / (1 + (0 + 4) / 2) = 1/3.
        // Prediction (0, 0) with both neighbours: baseline mu + a_0 + b_0 = -1/3, plus (1/2 * 1/3 + 1/3 * -2/3) / (1/2 + 1/3)
        // = (1/6 - 2/9) / (5/6) = (-1/18) / (5/6) = -1/15. Total -1/3 - 1/15 = -0.4.
        var z = ForgettingMatrix.Create(new float[,] { { 0, 0 }, { 1, 1 }, { 0, 2 } });
        var model = new KnnFitter(new KnnOptions
        {
            Neighbors = 2,
            Similarity = KnnSimilarity.Msd,
            Amplification = 1,
            Baseline = new AdditiveOptions { BiasLambda = 0 },
        }).FitKnn(z);
        Assert.Equal(0.5, model.Similarity[1], 9);
        Assert.Equal(1.0 / 3, model.Similarity[2], 9);
        Assert.Equal(-0.4, model.Predict(0, 0), 9);
        var row = new double[2];
        model.PredictRow(0, row);
        Assert.Equal(-0.4, row[0], 9);
    }

    [Fact]
    public void Knn_NeighbourWithMissingCellIsSkippedForThatColumn()
    {
        var z = ForgettingMatrix.Create(new float[,] { { 0, 0, 1 }, { 1, float.NaN, 2 }, { 0, 2, 1 } });
        var model = new KnnFitter(new KnnOptions { Neighbors = 1, Similarity = KnnSimilarity.Msd, Amplification = 1 }).FitKnn(z);
        // Whatever the similarities, column 1 of task 0 can only use task 2 (task 1 has no value there).
        var baseline = model.Baseline.Predict(0, 1);
        var residual2 = 2 - model.Baseline.Predict(2, 1);
        Assert.Equal(baseline + residual2, model.Predict(0, 1), 9);
    }

    [Fact]
    public void LogisticAdditive_SatisfiesStationarityOfPenalisedLikelihood()
    {
        // At the optimum of sum log p(y | mu + a_i + b_j) - lambda/2 (|a|^2 + |b|^2), each a_i satisfies
        // sum_j (y_ij - p_ij) = lambda a_i, and each b_j likewise.
        var random = new Random(4);
        int m = 6, n = 9;
        var values = new float[m, n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                values[i, j] = random.NextDouble() < 0.3 + (0.05 * i) ? 1 : 0;
            }
        }

        values[2, 3] = float.NaN;
        var z = ForgettingMatrix.Create(values);
        var lambda = 2.0;
        var model = new LogisticFitter(new LogisticOptions { Rank = 0, Lambda = lambda, Tolerance = 1e-14, MaxIterations = 500 }).FitLogistic(z);
        Assert.Equal(ModelMethod.LogisticAdditive, model.Method);
        for (var i = 0; i < m; i++)
        {
            double g = 0;
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(z[i, j]))
                {
                    g += z[i, j] - model.Predict(i, j);
                }
            }

            Assert.Equal(lambda * model.TaskBiases[i], g, 6);
        }

        for (var j = 0; j < n; j++)
        {
            double g = 0;
            for (var i = 0; i < m; i++)
            {
                if (!float.IsNaN(z[i, j]))
                {
                    g += z[i, j] - model.Predict(i, j);
                }
            }

            Assert.Equal(lambda * model.ExampleBiases[j], g, 6);
        }
    }

    [Fact]
    public void Logistic_RefusesContinuousMatrix()
    {
        var e = Assert.Throws<ArgumentException>(() => new LogisticFitter().Fit(ForgettingMatrix.Create(new float[,] { { 0.5f, 1 } })));
        Assert.Contains("binary", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_AllMissing_ThrowsClearly()
    {
        var z = ForgettingMatrix.Create(new float[,] { { Nan, Nan } });
        var e = Assert.Throws<ArgumentException>(() => new LowRankFitter().Fit(z));
        Assert.Contains("Every cell", e.Message, StringComparison.Ordinal);
    }
}

public class KnnSimilarityTests
{
    [Theory]
    [InlineData(KnnSimilarity.Msd, 0.0, 9, 1500)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.0, 9, 1500)]
    [InlineData(KnnSimilarity.Msd, 0.05, 9, 1500)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.05, 9, 1500)]
    [InlineData(KnnSimilarity.Msd, 0.0, 61, 23)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.0, 61, 23)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.05, 61, 23)]
    [InlineData(KnnSimilarity.Msd, 0.01, 9, 1500)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.01, 9, 1500)]
    [InlineData(KnnSimilarity.Msd, 0.01, 61, 23)]
    [InlineData(KnnSimilarity.PearsonBaseline, 0.01, 61, 23)]
    public void Similarity_MatchesTheDefinitionComputedPairByPair(KnnSimilarity kind, double missing, int tasks, int examples)
    {
        // Complete matrices take the blocked Gram path (wide: GramMatrix.Of; more tasks than examples: GramMatrix.Tall),
        // matrices with at most 1 in 50 cells missing the Gram path corrected at each task's gaps (1%), more the pairwise
        // path (5%): each must equal the definition, evaluated here naively over each pair's shared observed examples.
        var z = ForgetPredict.Core.Synthetic.SyntheticForgetting.Generate(new() { Tasks = tasks, Examples = examples, MissingFraction = missing, Seed = 5 }).Matrix;
        var options = new KnnOptions { Similarity = kind, Amplification = 1.5, Shrinkage = 10 };
        var model = new KnnFitter(options).FitKnn(z);
        var b = model.Baseline;
        for (var x = 0; x < z.TaskCount; x++)
        {
            for (var y = 0; y < z.TaskCount; y++)
            {
                double n = 0, ssd = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (var j = 0; j < z.ExampleCount; j++)
                {
                    if (float.IsNaN(z[x, j]) || float.IsNaN(z[y, j]))
                    {
                        continue;
                    }

                    n++;
                    var difference = (double)z[x, j] - z[y, j];
                    ssd += difference * difference;
                    var rx = z[x, j] - b.Predict(x, j);
                    var ry = z[y, j] - b.Predict(y, j);
                    sx += rx;
                    sy += ry;
                    sxx += rx * rx;
                    syy += ry * ry;
                    sxy += rx * ry;
                }

                double expected;
                if (x == y)
                {
                    expected = 1;
                }
                else if (kind == KnnSimilarity.Msd)
                {
                    expected = Math.Pow(1 / (1 + (ssd / n)), 1.5);
                }
                else
                {
                    var rho = (sxy - (sx * sy / n)) / Math.Sqrt((sxx - (sx * sx / n)) * (syy - (sy * sy / n)));
                    var shrunk = (n - 1) / (n - 1 + 10) * rho;
                    expected = shrunk > 0 ? Math.Pow(shrunk, 1.5) : shrunk;
                }

                Assert.Equal(expected, model.Similarity[(x * z.TaskCount) + y], 9);
            }
        }
    }
}

public class KnnGappyNeighbourhoodTests
{
    [Theory]
    [InlineData(0.001)]
    [InlineData(0.05)]
    public void Row_IsTheWalkOverNeighboursThatObservedEachExample(double missing)
    {
        // Given: neighbours that miss a few cells (0.1%: PredictRow takes the vectorised pass wherever the nearest 40 observed
        // an example and walks on past them elsewhere) or many (5%: every example walks); Predict walks for every example
        var z = ForgetPredict.Core.Synthetic.SyntheticForgetting.Generate(new() { Tasks = 60, Examples = 700, MissingFraction = missing, Seed = 11 }).Matrix;
        var model = new KnnFitter().FitKnn(z);
        var row = new double[z.ExampleCount];

        for (var i = 0; i < z.TaskCount; i += 7)
        {
            // When
            model.PredictRow(i, row);

            // Then: the same value for every example, to rounding
            for (var j = 0; j < z.ExampleCount; j++)
            {
                var walked = model.Predict(i, j);
                Assert.True(Math.Abs(row[j] - walked) <= 1e-12 * (1 + Math.Abs(walked)), $"task {i}, example {j}: {row[j]} vs {walked}");
            }
        }
    }
}
