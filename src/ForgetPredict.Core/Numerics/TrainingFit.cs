using System.Numerics.Tensors;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Training R^2 of a Gaussian factor model straight from its parameters: one streaming pass that predicts each row in
/// column chunks and sums the squared residuals of the observed cells, with no model built.
/// </summary>
/// <remarks>Fixed column partitions are summed in order, so the result is the same for any thread count.</remarks>
internal static class TrainingFit
{
    private const int Chunk = 1024;

    private const int Partitions = 16;

    /// <summary>
    /// R^2 = 1 - sum (z - zhat)^2 / sum (z - mean z)^2 over the observed cells of <paramref name="matrix"/>, zhat the linear
    /// predictor mu + a_i + b_j + U_i . V_j of <paramref name="parameters"/> (Gaussian models). A matrix without variance
    /// gives 1 when the parameters reproduce it to rounding, else 0 (the convention of <see cref="Analysis.GoodnessOfFit"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The parameters are logistic or their shape is not the matrix's.</exception>
    public static double RSquared(FactorModelParameters parameters, ForgettingMatrix matrix, int maxThreads = -1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(matrix);
        if (parameters.Logistic || parameters.TaskIds.Count != matrix.TaskCount || parameters.ExampleIds.Count != matrix.ExampleCount)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Training R^2 needs the Gaussian parameters of this {matrix.TaskCount}x{matrix.ExampleCount} matrix; got {(parameters.Logistic ? "logistic " : string.Empty)}{parameters.TaskIds.Count}x{parameters.ExampleIds.Count}."), nameof(parameters));
        }

        var total = Analysis.Spectrum.CenteredSumOfSquares(matrix, maxThreads);
        int m = matrix.TaskCount, n = matrix.ExampleCount;

        // Fixed column partitions, each walking its chunks through every row (the example side stays in cache), summed in
        // partition order.
        var chunks = (n + Chunk - 1) / Chunk;
        var parts = Math.Min(Partitions, chunks);
        var residual = new double[parts];
        Parallel.For(0, parts, Parallelism.Options(maxThreads), part =>
        {
            var prediction = new double[Math.Min(Chunk, n)];
            var difference = new double[Math.Min(Chunk, n)];
            double s = 0;
            for (var c = (int)((long)part * chunks / parts); c < (int)((long)(part + 1) * chunks / parts); c++)
            {
                var start = c * Chunk;
                var width = Math.Min(Chunk, n - start);
                for (var i = 0; i < m; i++)
                {
                    FactorModel.PredictRowSlice(parameters, i, start, prediction.AsSpan(0, width));
                    Residuals.Masked(matrix.Row(i).Slice(start, width), prediction.AsSpan(0, width), 0, difference.AsSpan(0, width));
                    s += TensorPrimitives.SumOfSquares<double>(difference.AsSpan(0, width));
                }
            }

            residual[part] = s;
        });
        double rss = 0;
        foreach (var s in residual)
        {
            rss += s;
        }

        if (total > 0)
        {
            return 1 - (rss / total);
        }

        double squares = 0;
        for (var i = 0; i < m; i++)
        {
            foreach (var z in matrix.Row(i))
            {
                squares += float.IsNaN(z) ? 0 : (double)z * z;
            }
        }

        return rss <= 1e-12 * squares ? 1 : 0;
    }
}
