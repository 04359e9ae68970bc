using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// The example parameters' share of a new task's predictive variance: the estimation error of each example's fitted
/// parameters, which a new task's cell carries besides its residual.
/// </summary>
public class ExampleUncertaintyTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 24, Examples = 1300, Seed = 8, Noise = 0.05 });

    // Complete columns, columns measured on a few tasks (fewer than they have parameters), on fewer than half the tasks, on
    // more than half, and none.
    private static ForgettingMatrix Patterned()
    {
        var m = s_data.Matrix;
        int rows = m.TaskCount, cols = m.ExampleCount;
        var values = m.Values.ToArray();
        var random = new Random(3);
        for (var j = 0; j < cols; j++)
        {
            var keep = (j % 5) switch
            {
                0 => rows,
                1 => 2,
                2 => 9,
                3 => 17,
                _ => j == 4 ? 0 : rows - 1,
            };
            var order = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray();
            for (var t = keep; t < rows; t++)
            {
                values[(order[t] * cols) + j] = float.NaN;
            }
        }

        return ForgettingMatrix.Create(values, rows, cols);
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("additive")]
    [InlineData("rank1")]
    [InlineData("example-mean")]
    public void Shares_MatchTheScalarFormula_OnEveryPatternOfMissingCells(string method)
    {
        var matrix = Patterned();
        var model = (FactorModel)ModelCatalog.CreateFitter(method).Fit(matrix);
        var shares = model.ExampleParameterShare.ToArray();
        Assert.Equal(matrix.ExampleCount, shares.Length);

        // Reference: G_j summed over the tasks that measured j, plus the example penalties, inverted by Gauss-Jordan.
        var p = model.Parameters;
        int m = matrix.TaskCount, r = p.Rank;
        var bias = model.HasExampleBias;
        var q = (bias ? 1 : 0) + r;
        double[] Features(int i) => [.. (bias ? new[] { 1.0 } : []), .. p.TaskFactors.AsSpan(i * r, r).ToArray()];
        var second = new double[q, q];
        for (var i = 0; i < m; i++)
        {
            var g = Features(i);
            for (var a = 0; a < q; a++)
            {
                for (var b = 0; b < q; b++)
                {
                    second[a, b] += g[a] * g[b] / m;
                }
            }
        }

        var exampleBiasPenalty = ExampleBiasPenalty(method);
        foreach (var j in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 641, 642, 643, 1299 })
        {
            var tasks = Enumerable.Range(0, m).Where(i => !float.IsNaN(matrix[i, j])).ToArray();
            if (tasks.Length == 0)
            {
                Assert.Equal(0, shares[j]);
                continue;
            }

            var gram = new double[q, q];
            foreach (var i in tasks)
            {
                var g = Features(i);
                for (var a = 0; a < q; a++)
                {
                    for (var b = 0; b < q; b++)
                    {
                        gram[a, b] += g[a] * g[b];
                    }
                }
            }

            for (var k = 0; k < q; k++)
            {
                gram[k, k] += bias && k == 0 ? exampleBiasPenalty : p.TaskFactorPenalty;
            }

            var inverse = Invert(gram);
            double trace = 0;
            for (var a = 0; a < q; a++)
            {
                for (var b = 0; b < q; b++)
                {
                    trace += inverse[a, b] * second[b, a];
                }
            }

            Assert.Equal(trace, shares[j], 1e-6 * trace); // stored in single precision
        }

        // Fewer cells, more uncertain parameters: the two-task columns' shares are the largest.
        var twoTask = Enumerable.Range(0, matrix.ExampleCount).Where(j => j % 5 == 1).Average(j => shares[j]);
        var complete = Enumerable.Range(0, matrix.ExampleCount).Where(j => j % 5 == 0).Average(j => shares[j]);
        Assert.True(twoTask > 3 * complete, $"two-task columns {twoTask}, complete ones {complete}");
    }

    [Fact]
    public void Shares_AreTheSameBitsForAnyThreadCount()
    {
        var matrix = Patterned();
        var one = ((FactorModel)new LowRankFitter(new LowRankOptions { MaxThreads = 1 }).Fit(matrix)).ExampleParameterShare.ToArray();
        var two = ((FactorModel)new LowRankFitter(new LowRankOptions { MaxThreads = 2 }).Fit(matrix)).ExampleParameterShare.ToArray();
        Assert.Equal(one, two);
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("additive")]
    public void PredictiveVariance_AddsNoiseTimesShare_ToEveryCellAndGroupMean(string method)
    {
        var model = (FactorModel)ModelCatalog.CreateFitter(method).Fit(Patterned());
        var without = FactorModel.Create(model.ToParameters() with { ExampleParameterShare = [] });
        int[] known = [5, 10, 400, 900];
        double[] values = [0.3, 0.1, 0.2, 0.4];
        var n = model.ExampleCount;
        double[] mean = new double[n], std = new double[n], mean0 = new double[n], std0 = new double[n];
        var fold = model.FoldIn(known, values);
        var fold0 = without.FoldIn(known, values);
        fold.PredictRow(mean, std);
        fold0.PredictRow(mean0, std0);
        Assert.Equal(mean0, mean);
        var share = model.ExampleParameterShare.ToArray();
        for (var j = 0; j < n; j++)
        {
            Assert.Equal((std0[j] * std0[j]) + (model.NoiseVariance * share[j]), std[j] * std[j], 1e-7 * std[j] * std[j]);
        }

        int[] group = [.. Enumerable.Range(0, n).Where(j => j % 7 == 3)];
        var (_, variance) = fold.Average(group);
        var (_, variance0) = fold0.Average(group);
        var added = model.NoiseVariance * group.Sum(j => share[j]) / ((double)group.Length * group.Length);
        Assert.Equal(variance0 + added, variance, 1e-9 * variance);
    }

    // The share is what the intervals missed: a planted additive matrix with few training tasks (each example's bias from 5
    // cells, its error a sixth of the noise variance), new tasks folded in from 30 cells, one noise variance for every example
    // (no residual directions, so the share alone differs). With the share the 90% intervals cover about 90% of the other
    // cells; without it they were too narrow.
    [Fact]
    public void NewTasks_FewTrainingTasks_IntervalsCoverAsTheyShould()
    {
        const int Train = 5, Test = 20, N = 3000;
        var random = new Random(17);
        double Normal() => AlternatingLeastSquares.Gaussian(random);
        var b = Enumerable.Range(0, N).Select(_ => 0.3 * Normal()).ToArray();
        var values = new float[(Train + Test) * N];
        for (var i = 0; i < Train + Test; i++)
        {
            var a = 0.3 * Normal();
            for (var j = 0; j < N; j++)
            {
                values[(i * N) + j] = (float)(a + b[j] + (0.3 * Normal()));
            }
        }

        var all = ForgettingMatrix.Create(values, Train + Test, N);
        var model = new AdditiveFitter(new AdditiveOptions { ResidualRank = 0 }).FitAdditive(all.SelectTasks([.. Enumerable.Range(0, Train)]));
        var without = FactorModel.Create(model.ToParameters() with { ExampleParameterShare = [] });
        double Coverage(FactorModel fitted)
        {
            long inside = 0, total = 0;
            double[] mean = new double[N], std = new double[N];
            for (var i = Train; i < Train + Test; i++)
            {
                int[] known = [.. Enumerable.Range(0, 30).Select(t => t * 97)];
                fitted.FoldIn(known, [.. known.Select(j => (double)all[i, j])]).PredictRow(mean, std);
                for (var j = 0; j < N; j++)
                {
                    if (j % 97 != 0 || j >= 30 * 97)
                    {
                        inside += Math.Abs(all[i, j] - mean[j]) <= 1.6448536 * std[j] ? 1 : 0;
                        total++;
                    }
                }
            }

            return (double)inside / total;
        }

        var with = Coverage(model);
        var before = Coverage(without);
        Assert.InRange(with, 0.885, 0.915);
        Assert.True(before < 0.875, $"without the share {before:P1}, with it {with:P1}");
    }

    // The fits' example bias penalties; example-mean's is 0, floored at 1e-9 of a task's feature square (1).
    private static double ExampleBiasPenalty(string method) => method switch
    {
        "example-mean" => 1e-9,
        "additive" => new AdditiveOptions().ExampleBiasLambda ?? new AdditiveOptions().BiasLambda,
        _ => new LowRankOptions().BiasLambda,
    };

    private static double[,] Invert(double[,] a)
    {
        var q = a.GetLength(0);
        var w = new double[q, 2 * q];
        for (var r = 0; r < q; r++)
        {
            for (var c = 0; c < q; c++)
            {
                w[r, c] = a[r, c];
            }

            w[r, q + r] = 1;
        }

        for (var c = 0; c < q; c++)
        {
            var pivot = Enumerable.Range(c, q - c).MaxBy(r => Math.Abs(w[r, c]));
            for (var k = 0; k < 2 * q; k++)
            {
                (w[c, k], w[pivot, k]) = (w[pivot, k], w[c, k]);
            }

            var d = w[c, c];
            for (var k = 0; k < 2 * q; k++)
            {
                w[c, k] /= d;
            }

            for (var r = 0; r < q; r++)
            {
                if (r != c)
                {
                    var f = w[r, c];
                    for (var k = 0; k < 2 * q; k++)
                    {
                        w[r, k] -= f * w[c, k];
                    }
                }
            }
        }

        var inverse = new double[q, q];
        for (var r = 0; r < q; r++)
        {
            for (var c = 0; c < q; c++)
            {
                inverse[r, c] = w[r, q + c];
            }
        }

        return inverse;
    }
}
