using System.Numerics.Tensors;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Training R^2 of a Gaussian factor model straight from its parameters: one streaming pass that predicts each row in
/// column chunks and sums the squared residuals of the observed cells, with no model built.
/// </summary>
/// <remarks>Rows are summed into per-row totals and then in row order, so the result is the same for any thread count.</remarks>
internal static class TrainingFit
{
    private const int Chunk = 2048;

    /// <summary>
    /// R^2 = 1 - sum (z - zhat)^2 / sum (z - mean z)^2 over the observed cells of <paramref name="matrix"/>, zhat the linear
    /// predictor mu + a_i + b_j + U_i . V_j of <paramref name="parameters"/> (Gaussian models). A matrix without variance
    /// gives 1 when the parameters reproduce it to rounding, else 0 (the convention of <see cref="Analysis.GoodnessOfFit"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The parameters are logistic or their shape is not the matrix's.</exception>
    public static double RSquared(FactorModelParameters parameters, ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(matrix);
        if (parameters.Logistic || parameters.TaskIds.Count != matrix.TaskCount || parameters.ExampleIds.Count != matrix.ExampleCount)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Training R^2 needs the Gaussian parameters of this {matrix.TaskCount}x{matrix.ExampleCount} matrix; got {(parameters.Logistic ? "logistic " : string.Empty)}{parameters.TaskIds.Count}x{parameters.ExampleIds.Count}."), nameof(parameters));
        }

        var total = Analysis.Spectrum.CenteredSumOfSquares(matrix);
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var residual = new double[m];
        Parallel.For(0, m, () => (Prediction: new double[Math.Min(Chunk, n)], Residual: new double[Math.Min(Chunk, n)]), (i, _, buffers) =>
        {
            double s = 0;
            for (var start = 0; start < n; start += Chunk)
            {
                var width = Math.Min(Chunk, n - start);
                var prediction = buffers.Prediction.AsSpan(0, width);
                var difference = buffers.Residual.AsSpan(0, width);
                FactorModel.PredictRowSlice(parameters, i, start, prediction);
                Residuals.Masked(matrix.Row(i).Slice(start, width), prediction, 0, difference);
                s += TensorPrimitives.SumOfSquares<double>(difference);
            }

            residual[i] = s;
            return buffers;
        }, _ => { });
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
