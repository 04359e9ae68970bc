using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// The example update of the alternating-least-squares solver on a matrix with gaps: whatever path a chunk of columns takes
/// (every cell observed; a few cells missing, the shared system corrected; mostly missing, the system built from the
/// observed cells; nothing observed), each example's parameters are the ridge solution over its observed cells alone.
/// </summary>
public class AlsExampleUpdateTests
{
    private const int Tasks = 12;
    private const int Examples = 2600; // three column chunks of the solver: 1024, 1024 and 552 columns

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryExample_IsTheRidgeSolutionOverItsObservedCells(int rank)
    {
        // Given: a noisy low-rank matrix whose first chunk is complete, whose second has a column missing one cell, a column
        // missing five, one missing eight of twelve and one missing all, and whose third has 1% of its cells missing at random
        var z = GappyMatrix();
        var problem = new AlsProblem
        {
            Rank = rank,
            TaskBias = true,
            ExampleBias = true,
            Center = true,
            BiasLambda = 0.1,
            FactorLambda = 0.5,
            InputScale = 0.8,
            MaxIterations = 4,
            Tolerance = 0,
            Seed = 7,
        };

        // When: a few sweeps, the last ending with an example update
        var solution = new AlternatingLeastSquares(z, problem).Solve();

        // Then: every column's (b_j, v_j) solves (sum over observed i of g_i g_i^T + Lambda) x = sum g_i (s z_ij - mu - a_i)
        var p = 1 + rank;
        for (var j = 0; j < Examples; j++)
        {
            var system = new double[p, p];
            var rhs = new double[p];
            var g = new double[p];
            for (var i = 0; i < Tasks; i++)
            {
                var cell = z[i, j];
                if (float.IsNaN(cell))
                {
                    continue;
                }

                g[0] = 1;
                for (var k = 0; k < rank; k++)
                {
                    g[1 + k] = solution.TaskParams[(i * p) + 1 + k];
                }

                var y = (cell * problem.InputScale) - solution.GlobalMean - solution.TaskParams[i * p];
                for (var a = 0; a < p; a++)
                {
                    rhs[a] += g[a] * y;
                    for (var b = 0; b < p; b++)
                    {
                        system[a, b] += g[a] * g[b];
                    }
                }
            }

            system[0, 0] += problem.BiasLambda;
            for (var k = 1; k < p; k++)
            {
                system[k, k] += problem.FactorLambda;
            }

            var expected = Solve(system, rhs);
            Assert.Equal(expected[0], solution.ExampleBiases[j], 1e-10);
            for (var k = 0; k < rank; k++)
            {
                Assert.Equal(expected[1 + k], solution.ExampleFactors[(k * Examples) + j], 1e-10);
            }
        }

        Assert.Equal(0, solution.ExampleBiases[1300]);
    }

    [Fact]
    public void ColumnsWithGaps_GiveTheSameBitsAtAnyThreadCount()
    {
        var z = GappyMatrix();
        var problem = new AlsProblem { Rank = 2, TaskBias = true, ExampleBias = true, Center = true, BiasLambda = 0.1, ThresholdMultiplier = 1, MaxIterations = 20, Seed = 3 };

        var one = new AlternatingLeastSquares(z, problem with { MaxThreads = 1 }).Solve();
        var three = new AlternatingLeastSquares(z, problem with { MaxThreads = 3 }).Solve();

        Assert.Equal(one.ExampleFactors, three.ExampleFactors);
        Assert.Equal(one.ExampleBiases, three.ExampleBiases);
        Assert.Equal(one.TaskParams, three.TaskParams);
        Assert.Equal(one.Report, three.Report);
    }

    private static ForgettingMatrix GappyMatrix()
    {
        var random = new Random(11);
        var u = Enumerable.Range(0, Tasks * 2).Select(_ => random.NextDouble() - 0.5).ToArray();
        var v = Enumerable.Range(0, Examples * 2).Select(_ => random.NextDouble()).ToArray();
        var values = new float[Tasks * Examples];
        for (var i = 0; i < Tasks; i++)
        {
            for (var j = 0; j < Examples; j++)
            {
                var cell = 0.3 + (0.1 * i) + (u[2 * i] * v[2 * j]) + (u[(2 * i) + 1] * v[(2 * j) + 1]) + (0.05 * (random.NextDouble() - 0.5));
                values[(i * Examples) + j] = (float)cell;
            }
        }

        void Miss(int row, int column) => values[(row * Examples) + column] = float.NaN;
        Miss(3, 1100);
        for (var i = 0; i < 5; i++)
        {
            Miss(i, 1400);
        }

        for (var i = 2; i < 10; i++)
        {
            Miss(i, 1200);
        }

        for (var i = 0; i < Tasks; i++)
        {
            Miss(i, 1300);
        }

        for (var cell = 0; cell < Tasks * 552 / 100; cell++)
        {
            Miss(random.Next(Tasks), 2048 + random.Next(552));
        }

        return ForgettingMatrix.Wrap(values, Tasks, Examples);
    }

    // Gaussian elimination with partial pivoting: an independent solver for the reference.
    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(m[r, c]));
            for (var k = 0; k < n; k++)
            {
                (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            }

            (x[c], x[pivot]) = (x[pivot], x[c]);
            for (var r = c + 1; r < n; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < n; k++)
                {
                    m[r, k] -= f * m[c, k];
                }

                x[r] -= f * x[c];
            }
        }

        for (var r = n - 1; r >= 0; r--)
        {
            for (var k = r + 1; k < n; k++)
            {
                x[r] -= m[r, k] * x[k];
            }

            x[r] /= m[r, r];
        }

        return x;
    }
}
