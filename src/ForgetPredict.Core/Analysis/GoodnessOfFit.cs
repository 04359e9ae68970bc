using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Analysis;

/// <summary>Goodness of fit of a model on a matrix: R^2 = 1 - mean((Z - Zhat)^2) / mean((Z - mean Z)^2) over observed cells (science.md §2).</summary>
/// <remarks>A matrix without variance (every observed cell equal) has no denominator: its R^2 is 1 for a model that
/// reproduces it (to rounding) and 0 otherwise, scikit-learn's convention, so R^2 is always a finite number.</remarks>
public static class GoodnessOfFit
{
    /// <summary>
    /// R^2 of <paramref name="model"/> on <paramref name="trainingMatrix"/>, the matrix it was fitted on. A Gaussian factor
    /// model's fit report holds its mean squared training residual (<see cref="FitReport.ResidualVariance"/>, the solver's
    /// last residual sum of squares), so only the denominator takes a pass over the matrix; other models are scored by
    /// <see cref="RSquared"/>. Equal to <see cref="RSquared"/> up to rounding.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="trainingMatrix">The matrix it was fitted on.</param>
    /// <param name="cancellationToken">Stops the scoring of a model that is not a factor model between rows.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static double TrainingRSquared(IForgettingModel model, ForgettingMatrix trainingMatrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainingMatrix);
        if (model is FactorModel { PredictsProbability: false } factor && factor.TaskCount == trainingMatrix.TaskCount && factor.ExampleCount == trainingMatrix.ExampleCount
            && factor.Fit.ResidualVariance is var meanSquare && double.IsFinite(meanSquare) && meanSquare >= 0)
        {
            var total = Spectrum.CenteredSumOfSquares(trainingMatrix);
            if (total > 0)
            {
                return 1 - (meanSquare * trainingMatrix.ObservedCount / total);
            }
        }

        return RSquared(model, trainingMatrix, cancellationToken);
    }

    /// <summary>R^2 of <paramref name="model"/> on the observed cells of <paramref name="matrix"/> (the matrix it was fitted on, or one with the same tasks and examples).</summary>
    /// <param name="model">The model.</param>
    /// <param name="matrix">The matrix.</param>
    /// <param name="cancellationToken">Stops the scoring between rows.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static double RSquared(IForgettingModel model, ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(matrix);
        if (model.TaskCount != matrix.TaskCount || model.ExampleCount != matrix.ExampleCount)
        {
            throw new ArgumentException($"Model is {model.TaskCount}x{model.ExampleCount} but the matrix is {matrix.TaskCount}x{matrix.ExampleCount}.", nameof(matrix));
        }

        if (model is FactorModel { PredictsProbability: false } factor)
        {
            return Numerics.TrainingFit.RSquared(factor.Parameters, matrix);
        }

        var total = Spectrum.CenteredSumOfSquares(matrix);
        var m = matrix.TaskCount;
        var residual = new double[m];
        var squares = new double[m];
        Parallel.For(0, m, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var prediction = new double[matrix.ExampleCount];
            model.PredictRow(i, prediction);
            var row = matrix.Row(i);
            double s = 0, q = 0;
            for (var j = 0; j < prediction.Length; j++)
            {
                var z = row[j];
                if (!float.IsNaN(z))
                {
                    var d = z - prediction[j];
                    s += d * d;
                    q += (double)z * z;
                }
            }

            residual[i] = s;
            squares[i] = q;
        });
        double rss = 0, sumOfSquares = 0;
        for (var i = 0; i < m; i++)
        {
            rss += residual[i];
            sumOfSquares += squares[i];
        }

        return total > 0 ? 1 - (rss / total) : (rss <= 1e-12 * sumOfSquares ? 1 : 0);
    }
}

/// <summary>The numbers <c>forgetpredict analyze</c> reports for a matrix.</summary>
/// <param name="TaskCount">M.</param>
/// <param name="ExampleCount">N.</param>
/// <param name="MissingFraction">Fraction of missing cells.</param>
/// <param name="IsBinary">True for a 0/1 matrix.</param>
/// <param name="Mean">Mean of the observed cells.</param>
/// <param name="TaskOnly">R^2 of the task-only reference (row means).</param>
/// <param name="ExampleOnly">R^2 of the example-only reference (column means).</param>
/// <param name="Additive">R^2 of the additive model fitted by least squares (no penalty on the biases, as the rank-1 and SVD rows have none), so never below the task-only or example-only reference.</param>
/// <param name="RankOne">R^2 of the multiplicative rank-1 model.</param>
/// <param name="Spectrum">Singular values and the truncated-SVD R^2 curve.</param>
public sealed record MatrixAnalysis(int TaskCount, int ExampleCount, double MissingFraction, bool IsBinary, double Mean,
    double TaskOnly, double ExampleOnly, double Additive, double RankOne, SpectrumAnalysis Spectrum)
{
    /// <summary>Runs every analysis; <paramref name="maxRank"/> bounds the SVD curve.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="maxRank">The highest rank of the SVD curve.</param>
    /// <param name="maxThreads">Worker threads (-1: all cores).</param>
    /// <param name="cancellationToken">Stops the fits between solver sweeps (a curve on a large matrix with missing cells takes minutes).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static MatrixAnalysis Run(ForgettingMatrix matrix, int maxRank = 10, int maxThreads = -1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var sum = 0d;
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            foreach (var v in matrix.Row(i))
            {
                if (!float.IsNaN(v))
                {
                    sum += v;
                }
            }
        }

        if (DataScale.Constant(matrix).Constant)
        {
            // Nothing varies: every reference model reproduces the constant exactly (R^2 1 by the zero-variance
            // convention above), and no model can be fitted to learn differences that are not there.
            return new MatrixAnalysis(matrix.TaskCount, matrix.ExampleCount, matrix.MissingFraction, matrix.IsBinary, sum / Math.Max(matrix.ObservedCount, 1),
                1, 1, 1, 1, ForgetPredict.Core.Analysis.Spectrum.Analyze(matrix, maxRank, maxThreads, cancellationToken));
        }

        return new MatrixAnalysis(
            matrix.TaskCount,
            matrix.ExampleCount,
            matrix.MissingFraction,
            matrix.IsBinary,
            sum / Math.Max(matrix.ObservedCount, 1),
            GoodnessOfFit.RSquared(new TaskMeanFitter(new TaskMeanOptions { MaxThreads = maxThreads }).Fit(matrix, cancellationToken), matrix, cancellationToken),
            GoodnessOfFit.RSquared(new ExampleMeanFitter(new ExampleMeanOptions { MaxThreads = maxThreads }).Fit(matrix, cancellationToken), matrix, cancellationToken),
            GoodnessOfFit.RSquared(new AdditiveFitter(new AdditiveOptions { MaxThreads = maxThreads, BiasLambda = 0 }).Fit(matrix, cancellationToken), matrix, cancellationToken),
            GoodnessOfFit.RSquared(new RankOneFitter(new RankOneOptions { MaxThreads = maxThreads, Lambda = 0 }).Fit(matrix, cancellationToken), matrix, cancellationToken),
            ForgetPredict.Core.Analysis.Spectrum.Analyze(matrix, maxRank, maxThreads, cancellationToken));
    }
}
