using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Fits a model family to an observed forgetting matrix.</summary>
public interface IForgettingFitter
{
    /// <summary>The family this fitter produces.</summary>
    ModelMethod Method { get; }

    /// <summary>Fits the model to the observed cells of <paramref name="matrix"/>; returns an immutable model.</summary>
    /// <exception cref="ArgumentException">The matrix is unsuitable (e.g. empty, or not binary for a logistic model).</exception>
    IForgettingModel Fit(ForgettingMatrix matrix);
}

/// <summary>Fits the task-only reference: Zhat[i, j] = mean of row i's observed cells.</summary>
/// <remarks>One pass over the matrix. Fold-in: the new task's mean of its known cells (shrunk toward the average task by the empirical prior).</remarks>
public sealed class TaskMeanFitter(TaskMeanOptions? options = null) : IForgettingFitter
{
    private readonly TaskMeanOptions _options = FactorFits.Validated(options ?? new TaskMeanOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.TaskMean;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix) =>
        FactorFits.Run(matrix, ModelMethod.TaskMean, new AlsProblem { TaskBias = true, MaxThreads = _options.MaxThreads });
}

/// <summary>Fits the example-only reference: Zhat[i, j] = mean of column j's observed cells.</summary>
/// <remarks>One pass over the matrix. Fold-in ignores the known cells: the example means are the prediction for every task.</remarks>
public sealed class ExampleMeanFitter(ExampleMeanOptions? options = null) : IForgettingFitter
{
    private readonly ExampleMeanOptions _options = FactorFits.Validated(options ?? new ExampleMeanOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.ExampleMean;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix) =>
        FactorFits.Run(matrix, ModelMethod.ExampleMean, new AlsProblem { ExampleBias = true, MaxThreads = _options.MaxThreads });
}

/// <summary>Fits the additive model mu + a_i + b_j (mu = observed mean; a, b by closed-form alternating ridge updates).</summary>
/// <remarks>
/// <para>Objective: sum over observed cells of (z - mu - a_i - b_j)^2 + BiasLambda (|a|^2 + |b|^2). Each sweep
/// sets a_i = sum_j (z - mu - b_j) / (n_i + lambda) then b_j likewise; cost O(M N) per sweep, a few sweeps.</para>
/// <para>Deterministic: no randomness, fixed summation order.</para>
/// </remarks>
public sealed class AdditiveFitter(AdditiveOptions? options = null) : IForgettingFitter
{
    private readonly AdditiveOptions _options = FactorFits.Validated(options ?? new AdditiveOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Additive;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix) => FitAdditive(matrix);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    public FactorModel FitAdditive(ForgettingMatrix matrix) =>
        FactorFits.Run(matrix, ModelMethod.Additive, new AlsProblem
        {
            TaskBias = true,
            ExampleBias = true,
            Center = true,
            BiasLambda = _options.BiasLambda,
            ExampleBiasLambda = _options.ExampleBiasLambda,
            MaxIterations = _options.MaxIterations,
            Tolerance = _options.Tolerance,
            MaxThreads = _options.MaxThreads,
        }, _options.ResidualRank);
}

/// <summary>Fits the uncentred multiplicative rank-1 model u_i * v_j ("task disruptiveness times example fragility").</summary>
/// <remarks>Alternating ridge updates on observed cells; objective sum (z - u_i v_j)^2 + Lambda s (|u|^2 + |v|^2) with s the data RMS.</remarks>
public sealed class RankOneFitter(RankOneOptions? options = null) : IForgettingFitter
{
    private readonly RankOneOptions _options = FactorFits.Validated(options ?? new RankOneOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.RankOne;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix) =>
        FactorFits.Run(matrix, ModelMethod.RankOne, new AlsProblem
        {
            Rank = 1,
            ThresholdMultiplier = _options.Lambda,
            MaxIterations = _options.MaxIterations,
            Tolerance = _options.Tolerance,
            Seed = _options.Seed,
            MaxThreads = _options.MaxThreads,
        }, _options.ResidualRank);
}

/// <summary>Fits biased low-rank matrix factorisation mu + a_i + b_j + U_i . V_j (the field's main model).</summary>
/// <remarks>
/// <para>Objective over observed cells: sum (z - zhat)^2 + BiasLambda (|a|^2 + |b|^2) + Lambda s (|U|^2 + |V|^2),
/// s the RMS of the centred data, so the fit is equivariant to rescaling Z.</para>
/// <para>Solver: alternating least squares, one (r+1) x (r+1) ridge system per row and per column each sweep,
/// with the shared Gram matrix for fully observed rows and columns and exact corrections for missing cells.
/// Cost per sweep O(M N (r+1)) streaming the float32 matrix twice; extra memory O((M + N)(r + 1)).</para>
/// <para>Deterministic: seeded initialisation, fixed partitions and summation orders; the thread count never
/// changes a bit of the result. Follows the biased MF of the forgetting-prediction literature (science.md §3).</para>
/// </remarks>
public sealed class LowRankFitter(LowRankOptions? options = null) : IForgettingFitter
{
    private readonly LowRankOptions _options = FactorFits.Validated(options ?? new LowRankOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.LowRank;

    /// <summary>The validated options.</summary>
    public LowRankOptions Options => _options;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix) => FitLowRank(matrix);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    public FactorModel FitLowRank(ForgettingMatrix matrix) =>
        FactorFits.Run(matrix, ModelMethod.LowRank, new AlsProblem
        {
            Rank = _options.Rank,
            TaskBias = true,
            ExampleBias = true,
            Center = true,
            BiasLambda = _options.BiasLambda,
            ThresholdMultiplier = _options.Lambda,
            MaxIterations = _options.MaxIterations,
            Tolerance = _options.Tolerance,
            Seed = _options.Seed,
            MaxThreads = _options.MaxThreads,
        }, _options.ResidualRank);
}

/// <summary>Shared plumbing: run the engine and turn its solution into a <see cref="FactorModel"/>.</summary>
internal static class FactorFits
{
    public static T Validated<T>(T options)
        where T : FitOptions
    {
        options.Validate();
        return options;
    }

    /// <summary>Fits <paramref name="problem"/> and builds the model, with up to <paramref name="residualRank"/> residual components.</summary>
    public static FactorModel Run(ForgettingMatrix matrix, ModelMethod method, AlsProblem problem, int residualRank = 0)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.TaskCount == 0 || matrix.ExampleCount == 0)
        {
            throw new ArgumentException($"Cannot fit a {matrix.TaskCount}x{matrix.ExampleCount} matrix; it needs at least one task and one example.", nameof(matrix));
        }

        if (matrix.ObservedCount == 0)
        {
            throw new ArgumentException("Every cell of the matrix is missing (NaN); there is nothing to fit.", nameof(matrix));
        }

        var solution = new AlternatingLeastSquares(matrix, problem).Solve();
        problem = problem with { FactorLambda = solution.FactorLambda };
        var inflation = ResidualStructure.Inflation(problem, solution, matrix.TaskCount, matrix.ExampleCount, matrix.ObservedCount);
        var parameters = Parameters(matrix, method, problem, solution, inflation);
        if (residualRank > 0)
        {
            // The residual directions come from the parameters' predictions; the model is built once, with them.
            var (factors, scales) = ResidualStructure.Directions(matrix, parameters, residualRank, inflation, problem.MaxThreads);
            if (scales.Length > 0)
            {
                parameters = parameters with { ResidualRank = scales.Length, ResidualFactors = factors, ResidualScales = scales };
            }
        }

        return FactorModel.Create(parameters);
    }

    /// <summary>
    /// Turns an engine solution into the parameters of a model whose noise variance is the mean squared training residual
    /// times <paramref name="inflation"/> (the degrees-of-freedom correction; 1 for none).
    /// </summary>
    public static FactorModelParameters Parameters(ForgettingMatrix matrix, ModelMethod method, AlsProblem problem, AlsSolution s, double inflation = 1)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount, rank = problem.Rank;
        var p = (problem.TaskBias ? 1 : 0) + rank;
        var to = problem.TaskBias ? 1 : 0;
        var taskBias = problem.TaskBias ? new double[m] : [];
        var taskFactors = new double[m * rank];
        for (var i = 0; i < m; i++)
        {
            if (problem.TaskBias)
            {
                taskBias[i] = s.TaskParams[i * p];
            }

            for (var k = 0; k < rank; k++)
            {
                taskFactors[(i * rank) + k] = s.TaskParams[(i * p) + to + k];
            }
        }

        var exampleBias = s.ExampleBiases;
        var exampleFactors = s.ExampleFactors;
        return new FactorModelParameters
        {
            Method = method,
            TaskIds = matrix.TaskIds,
            ExampleIds = matrix.ExampleIds,
            GlobalMean = s.GlobalMean,
            TaskBiases = taskBias,
            ExampleBiases = exampleBias,
            Rank = rank,
            TaskFactors = taskFactors,
            ExampleFactors = exampleFactors,
            NoiseVariance = s.Report.ResidualVariance * inflation,
            TaskBiasPenalty = problem.BiasLambda,
            TaskFactorPenalty = problem.FactorLambda,
            TaskPrior = GaussianPrior.Estimate(s.TaskParams, p, s.TaskObserved),
            Fit = s.Report,
        };
    }
}

/// <summary>The data scale that makes factor penalties dimensionless.</summary>
internal static class DataScale
{
    /// <summary>Mean square of the observed values (centred on their mean when <paramref name="center"/>); 1 when it is 0.</summary>
    public static double MeanSquare(ForgettingMatrix matrix, bool center)
    {
        // Two passes in fixed row order (sum, then sum of squares about the mean): deterministic and accurate.
        var buffer = new double[matrix.ExampleCount];
        double sum = 0;
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            Residuals.Masked(matrix.Row(i), default, 0, buffer);
            sum += System.Numerics.Tensors.TensorPrimitives.Sum<double>(buffer);
        }

        var mean = center ? sum / Math.Max(matrix.ObservedCount, 1) : 0;
        double squares = 0;
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            Residuals.Masked(matrix.Row(i), default, mean, buffer);
            squares += System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(buffer);
        }

        var ms = squares / Math.Max(matrix.ObservedCount, 1);
        return ms > 0 ? ms : 1;
    }
}
