using ForgetPredict.Core.Models;
using ForgetPredict.Core.Tests.Features;

namespace ForgetPredict.Core.Tests.Models;

// The low-rank fit's factor penalty is a multiple of the noise level it reads from its own residuals. An example measured
// on no more tasks than it has parameters fits its cells exactly (up to the penalty), so its residual says nothing of the
// noise: counting its cells pulled the level, and the penalty, down, and the example means overfit.
public class NoiseAdaptivePenaltyTests
{
    private static ForgettingMatrix Sparse(int completeEvery)
    {
        var z = CharlmD.Matrix;
        var train = z.SelectTasks([.. Enumerable.Range(0, z.TaskCount).Except(CharlmD.ReferenceTestRows)]);
        var values = train.Values.ToArray();
        int m = train.TaskCount, n = train.ExampleCount;
        var random = new Random(7);
        for (var j = 0; j < n; j++)
        {
            var keep = Enumerable.Range(0, m).OrderBy(_ => random.Next()).Take(completeEvery > 0 && j % completeEvery == 0 ? m : 2).ToHashSet();
            for (var i = 0; i < m; i++)
            {
                if (!keep.Contains(i))
                {
                    values[(i * n) + j] = float.NaN;
                }
            }
        }

        return ForgettingMatrix.Create(values, m, n, train.TaskIds, train.ExampleIds);
    }

    // Every chunk on 2 tasks: mf does no worse than the additive model (its penalty read from the chunks' almost-zero residuals
    // had left it 21% worse, 0.2926 against 0.2427: the chunk factors fitted the noise of their 2 cells). Every other chunk
    // measured on every task: the noise level is read from those, and mf still learns what they show (3% ahead).
    [Theory]
    [InlineData(0, 1.02)]
    [InlineData(2, 0.98)]
    public void LowRankFit_OnExamplesMeasuredOnTwoTasksEach_PredictsNewTasksAsWellAsTheAdditiveModel(int completeEvery, double bound)
    {
        // Given: charlm-d's training tasks (all but its 10 reference test rows), each chunk kept on 2 of them (seeded), or
        // every completeEvery-th on all of them.
        var z = CharlmD.Matrix;
        var test = CharlmD.ReferenceTestRows;
        var sparse = Sparse(completeEvery);
        var n = z.ExampleCount;

        // When: mf (rank 8, 9 parameters per chunk) and the additive model are fitted and each test task is folded in from
        // 30 of its cells.
        double Rmse(IForgettingModel model)
        {
            double se = 0;
            long count = 0;
            var row = new double[n];
            foreach (var t in test)
            {
                var known = Enumerable.Range(0, n).Where(j => j % 160 == t % 160).ToArray();
                model.FoldIn(known, [.. known.Select(j => (double)z[t, j])]).PredictRow(row);
                for (var j = 0; j < n; j++)
                {
                    var e = z[t, j] - row[j];
                    se += e * e;
                    count++;
                }
            }

            return Math.Sqrt(se / count);
        }

        var mf = Rmse(new LowRankFitter().FitLowRank(sparse));
        var additive = Rmse(new AdditiveFitter().FitAdditive(sparse));

        // Then: see above.
        Assert.True(mf <= bound * additive, $"mf {mf:F4} against additive {additive:F4}");
    }

    [Fact]
    public void NoiseLevel_IsNotReadFromAHandfulOfExamplesWithMoreCellsThanParameters()
    {
        // Every chunk on 2 training tasks, then one of them on 12 (3 residual degrees of freedom beyond rank 8's 9
        // parameters): too few to read the noise from, so the penalty stays where it was (at the data's scale), not set by one
        // chunk's residual.
        var sparse = Sparse(0);
        var values = sparse.Values.ToArray();
        int m = sparse.TaskCount, n = sparse.ExampleCount;
        for (var i = 0; i < 12; i++)
        {
            values[(i * n) + 100] = CharlmD.Matrix[Enumerable.Range(0, CharlmD.Matrix.TaskCount).Except(CharlmD.ReferenceTestRows).ElementAt(i), 100];
        }

        var one = ForgettingMatrix.Create(values, m, n, sparse.TaskIds, sparse.ExampleIds);
        var penalty = new LowRankFitter().FitLowRank(sparse).TaskFactorPenalty;
        Assert.Equal(penalty, new LowRankFitter().FitLowRank(one).TaskFactorPenalty, penalty * 0.05);
    }

    [Fact]
    public void LowRankFit_WithFewCellExamples_IsTheSameForAnyThreadCount()
    {
        // The few-cell examples' residuals are summed per column chunk, in chunk order.
        var sparse = Sparse(2);
        var one = new LowRankFitter(new LowRankOptions { MaxThreads = 1 }).FitLowRank(sparse);
        var two = new LowRankFitter(new LowRankOptions { MaxThreads = 2 }).FitLowRank(sparse);

        Assert.Equal(one.TaskFactorPenalty, two.TaskFactorPenalty);
        double[] a = new double[sparse.ExampleCount], b = new double[sparse.ExampleCount];
        one.PredictRow(0, a);
        two.PredictRow(0, b);
        Assert.Equal(a, b);
    }
}
