using ForgetPredict.Core;

namespace ForgetPredict.Testing;

/// <summary>Matrices whose examples truly differ in noise (heteroscedastic), for tests of per-example residual variances.</summary>
public static class NoisyExamples
{
    /// <summary>
    /// <paramref name="matrix"/> with Gaussian noise of standard deviation <paramref name="std"/> added to every third example's
    /// observed cells (seeded), so those examples' residual variance is larger by std^2 on every task.
    /// </summary>
    public static ForgettingMatrix Add(ForgettingMatrix matrix, double std, int seed)
    {
        var random = new Random(seed);
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var values = matrix.Values.ToArray();
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j += 3)
            {
                values[(i * n) + j] += (float)(std * Core.Models.AlternatingLeastSquares.Gaussian(random));
            }
        }

        return ForgettingMatrix.Create(values, m, n, matrix.TaskIds, matrix.ExampleIds);
    }
}
