using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// The profile model's principal directions come from the smaller Gram matrix: the task side (C C^T) and the example side
/// (C^T C) give the same directions up to sign.
/// </summary>
public class ProfileDirectionsTests
{
    // QA: `fit --method auto` on a 3,000 x 20 matrix took 395 s, nearly all in the profile candidates' 3,000 x 3,000
    // eigenproblem (the task Gram matrix, whatever the shape).
    [Theory]
    [InlineData(30, 12, 4)]
    [InlineData(12, 30, 4)]
    [InlineData(9, 9, 8)]
    [InlineData(40, 5, 8)]
    public void TaskAndExampleSides_GiveTheSameDirections(int m, int n, int maxRank)
    {
        var random = new Random(m * 100 + n);
        var rows = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray()).ToArray();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2 };

        var tasks = ProfileFitter.PrincipalDirections(rows, n, maxRank, parallel, taskSide: true);
        var examples = ProfileFitter.PrincipalDirections(rows, n, maxRank, parallel, taskSide: false);

        Assert.Equal(tasks.Length, examples.Length);
        Assert.Equal(Math.Min(maxRank, Math.Min(m - 1, n)) * n, tasks.Length);
        for (var k = 0; k < tasks.Length / n; k++)
        {
            var a = tasks.AsSpan(k * n, n);
            var b = examples.AsSpan(k * n, n);
            var sign = System.Numerics.Tensors.TensorPrimitives.Dot<double>(a, b) < 0 ? -1 : 1;
            for (var j = 0; j < n; j++)
            {
                Assert.Equal(a[j], sign * b[j], 1e-9);
            }

            Assert.Equal(1, System.Numerics.Tensors.TensorPrimitives.Norm<double>(b), 1e-12);
        }
    }

    [Theory]
    [InlineData(300, 12, 0)]
    [InlineData(12, 300, 0)]
    [InlineData(200, 15, 0.2)]
    public void AFit_PredictsTheSameFromEitherSide(int m, int n, double missing)
    {
        var z = CrossValidationEdgeTests.RankOnePlusNoise(m, n, 5, missing);
        var fitter = new ProfileFitter(new ProfileOptions { Rank = 3, ResidualRank = 0 });
        var tasks = (FactorModel)fitter.Fit(z, taskSide: true, CancellationToken.None);
        var examples = (FactorModel)fitter.Fit(z, taskSide: false, CancellationToken.None);
        var automatic = (FactorModel)fitter.Fit(z);

        Assert.Equal(4, examples.Rank);
        var known = new[] { 0, 3, 7, 11 };
        var values = known.Select(j => (double)z[1, j]).ToArray();
        var (meanTasks, stdTasks) = Row(tasks);
        var (meanExamples, stdExamples) = Row(examples);
        var (meanAutomatic, _) = Row(automatic);
        for (var j = 0; j < n; j++)
        {
            Assert.Equal(meanTasks[j], meanExamples[j], 1e-9);
            Assert.Equal(stdTasks[j], stdExamples[j], 1e-9);
            Assert.Equal(m <= n ? meanTasks[j] : meanExamples[j], meanAutomatic[j]);
            for (var i = 0; i < m; i += 37)
            {
                Assert.Equal(tasks.Predict(i, j), examples.Predict(i, j), 1e-9);
            }
        }

        (double[] Mean, double[] Std) Row(FactorModel model)
        {
            var mean = new double[n];
            var std = new double[n];
            model.FoldIn(known, values).PredictRow(mean, std);
            return (mean, std);
        }
    }
}
