using ForgetPredict.Core.Models;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// The empirical prior never weighs more than <see cref="GaussianPrior.MostCells"/> measured cells per parameter, so a new
/// task's cells move its row even when the training tasks agree; on the bundled real matrices the bound is never reached.
/// </summary>
public class PriorStrengthTests
{
    // Numerics review: 30 identical binary rows gave a prior covariance of 1e-23..1e-27, and folding in five cells that were
    // all 1 or all 0 gave the same row to the bit (P = 0.883663 either way, std 2.3e-13).
    [Theory]
    [InlineData("logistic")]
    [InlineData("logistic-additive")]
    public void IdenticalBinaryRows_TheMeasuredCellsStillMoveTheRow(string method)
    {
        const int m = 30, n = 2000;
        var z = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j += 10)
            {
                z[(i * n) + j] = 1;
            }
        }

        var model = ModelCatalog.CreateFitter(method).Fit(ForgettingMatrix.Create(z, m, n));
        int[] known = [0, 10, 20, 30, 40];
        var ones = new double[n];
        var zeros = new double[n];
        var std = new double[n];
        model.FoldIn(known, [1, 1, 1, 1, 1]).PredictRow(ones, std);
        Assert.All(std, s => Assert.True(s > 1e-3, $"std {s}"));
        model.FoldIn(known, [0, 0, 0, 0, 0]).PredictRow(zeros, std);

        // Five cells that are 0 where every training task had 1 lower the task's probability there (logistic: 0.90 after
        // ones, 0.34 after zeros; logistic-additive, whose task has only a bias: 0.41 and 0.36).
        Assert.True(ones[0] - zeros[0] > 0.02, $"P(column 0) {ones[0]} after ones, {zeros[0]} after zeros");
    }

    // Numerics review: 20 tasks that differ only by noise, and a new task that forgets 0.05 more on every example, measured
    // on 30 cells (about 27 noise stds of evidence): additive and mf predicted a shift of 0.0016, its intervals 4.5 times
    // too narrow. Bounded at 100 cells, the 30 cells now carry 30/130 of the shift.
    [Theory]
    [InlineData("additive")]
    [InlineData("mf")]
    public void TasksThatDifferOnlyByNoise_AShiftedTaskIsStillSeen(string method)
    {
        const int m = 20, n = 1000;
        var random = new Random(4);
        var example = Enumerable.Range(0, n).Select(_ => 0.03 + (0.05 * Gaussian(random))).ToArray();
        var z = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                z[(i * n) + j] = (float)(example[j] + (0.01 * Gaussian(random)));
            }
        }

        var truth = example.Select(b => b + 0.05 + (0.01 * Gaussian(random))).ToArray();
        var known = Enumerable.Range(0, 30).Select(t => t * 31).ToArray();
        var model = ModelCatalog.CreateFitter(method).Fit(ForgettingMatrix.Create(z, m, n));

        var mean = new double[n];
        model.FoldIn(known, [.. known.Select(j => truth[j])]).PredictRow(mean, new double[n]);

        var shift = Enumerable.Range(0, n).Average(j => mean[j] - example[j]);
        Assert.InRange(shift, 0.05 * 30 / 130 * 0.8, 0.05);
    }

    [Theory]
    [InlineData("charlm-b", "additive")]
    [InlineData("charlm-b", "mf")]
    [InlineData("charlm-d", "additive")]
    [InlineData("charlm-d", "mf")]
    [InlineData("charlm-v", "mf")]
    public void RealMatrices_ThePriorIsAsEstimated_TheBoundNeverReached(string name, string method)
    {
        var (values, shape) = Features.CharlmD.Npy(RepoPaths.Data(name, "z.npy"));
        var model = (FactorModel)ModelCatalog.CreateFitter(method).Fit(ForgettingMatrix.Wrap([.. values.Select(v => (float)v)], shape[0], shape[1]));
        var parameters = model.ToParameters();
        var prior = parameters.TaskPrior!;
        var least = GaussianPrior.LeastVariances(parameters.ExampleFactors, shape[1], parameters.Rank, parameters.TaskBiases.Length != 0, parameters.NoiseVariance);
        for (var k = 0; k < prior.Dimension; k++)
        {
            // More than 3 times the bound (100 / 27): the bundled priors weigh as 27 cells at most.
            Assert.True(prior.Covariance[(k * prior.Dimension) + k] > 3 * least[k], $"parameter {k}: variance {prior.Covariance[(k * prior.Dimension) + k]}, bound {least[k]}");
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
