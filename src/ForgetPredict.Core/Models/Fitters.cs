using System.Globalization;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Fits a model family to an observed forgetting matrix.</summary>
public interface IForgettingFitter
{
    /// <summary>The family this fitter produces.</summary>
    ModelMethod Method { get; }

    /// <summary>Fits the model to the observed cells of <paramref name="matrix"/>; returns an immutable model.</summary>
    /// <param name="matrix">The training matrix.</param>
    /// <param name="cancellationToken">Stops the fit between solver sweeps (and cross-validation folds); a fit of an
    /// 85 x 141,816 matrix notices it within a sweep's tens of milliseconds.</param>
    /// <exception cref="ArgumentException">The matrix is unsuitable (e.g. empty, or not binary for a logistic model).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default);
}

/// <summary>Fits the task-only reference: Zhat[i, j] = mean of row i's observed cells.</summary>
/// <remarks>One pass over the matrix. Fold-in: the new task's mean of its known cells (shrunk toward the average task by the empirical prior).</remarks>
public sealed class TaskMeanFitter(TaskMeanOptions? options = null) : IForgettingFitter
{
    private readonly TaskMeanOptions _options = FactorFits.Validated(options ?? new TaskMeanOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.TaskMean;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) =>
        FactorFits.Run(matrix, ModelMethod.TaskMean, new AlsProblem { TaskBias = true, MaxThreads = _options.MaxThreads, Cancellation = cancellationToken });
}

/// <summary>Fits the example-only reference: Zhat[i, j] = mean of column j's observed cells.</summary>
/// <remarks>One pass over the matrix. Fold-in ignores the known cells: the example means are the prediction for every task.</remarks>
public sealed class ExampleMeanFitter(ExampleMeanOptions? options = null) : IForgettingFitter
{
    private readonly ExampleMeanOptions _options = FactorFits.Validated(options ?? new ExampleMeanOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.ExampleMean;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) =>
        FactorFits.Run(matrix, ModelMethod.ExampleMean, new AlsProblem { ExampleBias = true, MaxThreads = _options.MaxThreads, Cancellation = cancellationToken });
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
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => FitAdditive(matrix, cancellationToken);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public FactorModel FitAdditive(ForgettingMatrix matrix, CancellationToken cancellationToken = default) =>
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
            Cancellation = cancellationToken,
        }, _options.ResidualRank);
}

/// <summary>Fits the uncentred multiplicative rank-1 model u_i * v_j ("task disruptiveness times example fragility").</summary>
/// <remarks>Alternating ridge updates on observed cells, started from the leading singular pair (power iteration from the
/// seeded draws); objective sum (z - u_i v_j)^2 + lambda_f (|u|^2 + |v|^2), lambda_f = Lambda times the universal
/// threshold sigma sqrt(rho) (sqrt(M) + sqrt(N)) with sigma the residual noise, re-estimated as the fit runs
/// (<see cref="Defaults.FactorLambda"/>).</remarks>
public sealed class RankOneFitter(RankOneOptions? options = null) : IForgettingFitter
{
    private readonly RankOneOptions _options = FactorFits.Validated(options ?? new RankOneOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.RankOne;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) =>
        FactorFits.Run(matrix, ModelMethod.RankOne, new AlsProblem
        {
            Rank = 1,
            SpectralStart = true,
            ThresholdMultiplier = _options.Lambda,
            MaxIterations = _options.MaxIterations,
            Tolerance = _options.Tolerance,
            Seed = _options.Seed,
            MaxThreads = _options.MaxThreads,
            Cancellation = cancellationToken,
        }, _options.ResidualRank);
}

/// <summary>Fits biased low-rank matrix factorisation mu + a_i + b_j + U_i . V_j (the field's main model).</summary>
/// <remarks>
/// <para>Objective over observed cells: sum (z - zhat)^2 + BiasLambda (|a|^2 + |b|^2) + lambda_f (|U|^2 + |V|^2),
/// lambda_f = Lambda times the universal threshold sigma sqrt(rho) (sqrt(M) + sqrt(N)), sigma the residual noise
/// re-estimated as the fit runs (<see cref="Defaults.FactorLambda"/>), so the fit is equivariant to rescaling Z.</para>
/// <para>Solver: alternating least squares, one (r+1) x (r+1) ridge system per row and per column each sweep,
/// with the shared Gram matrix for fully observed rows and columns and exact corrections for missing cells.
/// Cost per sweep O(M N (r+1)) streaming the float32 matrix once (twice in the first sweep: the example update also sums the next task update); extra memory O((M + N)(r + 1)).</para>
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
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => FitLowRank(matrix, cancellationToken);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public FactorModel FitLowRank(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return FactorFits.Run(matrix, ModelMethod.LowRank, new AlsProblem
        {
            Rank = FactorFits.SupportedRank(_options.Rank, matrix),
            TaskBias = true,
            ExampleBias = true,
            Center = true,
            BiasLambda = _options.BiasLambda,
            ThresholdMultiplier = _options.Lambda,
            MaxIterations = _options.MaxIterations,
            Tolerance = _options.Tolerance,
            Seed = _options.Seed,
            MaxThreads = _options.MaxThreads,
            Cancellation = cancellationToken,
        }, _options.ResidualRank);
    }
}

/// <summary>Shared plumbing: run the engine and turn its solution into a <see cref="FactorModel"/>.</summary>
internal static class FactorFits
{
    /// <summary>Throws unless <paramref name="matrix"/> has a task, an example and an observed cell: the first check of every
    /// fit, and of a cross-validated one before it splits the matrix (so the message names the matrix given, not a fold's).</summary>
    /// <exception cref="ArgumentException">The matrix is empty or every cell is missing.</exception>
    public static void CheckFittable(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.TaskCount == 0 || matrix.ExampleCount == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The matrix has {matrix.TaskCount:N0} {(matrix.TaskCount == 1 ? "task" : "tasks")} and {matrix.ExampleCount:N0} {(matrix.ExampleCount == 1 ? "example" : "examples")}, so there is nothing to fit: a fit needs at least one task (a row) and one example (a column). Check that the file holds the matrix and was written whole."), nameof(matrix));
        }

        if (matrix.ObservedCount == 0)
        {
            throw new ArgumentException("Every cell of the matrix is missing (NaN); there is nothing to fit.", nameof(matrix));
        }
    }

    /// <summary>
    /// The rank a fit of <paramref name="matrix"/> uses for <paramref name="rank"/> (mf, logistic): at most the matrix's smaller
    /// side (M tasks have no more than M independent factors; a 3 x 3 matrix fitted "rank 8" said so and spent 8 factors on 3 tasks).
    /// </summary>
    public static int SupportedRank(int rank, ForgettingMatrix matrix) => Math.Max(1, Math.Min(rank, Math.Min(matrix.TaskCount, matrix.ExampleCount)));

    public static T Validated<T>(T options)
        where T : FitOptions
    {
        options.Validate();
        return options;
    }

    /// <summary>Fits <paramref name="problem"/> and builds the model, with up to <paramref name="residualRank"/> residual components.</summary>
    public static FactorModel Run(ForgettingMatrix matrix, ModelMethod method, AlsProblem problem, int residualRank = 0)
    {
        CheckFittable(matrix);

        // The initial factors' random draws need nothing from the data: they run beside the scale pass and the solver's setup.
        var draws = problem.Rank > 0 && (long)problem.Rank * matrix.ExampleCount < Array.MaxLength
            ? Task.Run(() => AlternatingLeastSquares.StandardNormals(problem.Seed, problem.Rank, matrix.ExampleCount))
            : null;

        // The fit reads Z / s (s: the RMS of the observed cells) and the model is scaled back, so multiplying the
        // data by c multiplies every prediction, standard deviation and threshold by c and leaves probabilities as
        // they were: no tolerance, floor or penalty inside the solver ever sees the data's units.
        var scale = DataScale.Typical(matrix, problem.MaxThreads);
        problem = problem with { InputScale = 1 / scale };
        if (problem.ThresholdMultiplier is null)
        {
            problem = problem with { FactorLambda = problem.FactorLambda / scale };
        }

        var solution = new AlternatingLeastSquares(matrix, problem, draws).Solve();
        problem.Cancellation.ThrowIfCancellationRequested();
        problem = problem with { FactorLambda = solution.FactorLambda };
        var inflation = ResidualStructure.Inflation(problem, solution, matrix.TaskCount, matrix.ExampleCount, matrix.ObservedCount, solution.UnmeasuredExamples);
        var parameters = Parameters(matrix, method, problem, solution, inflation);
        parameters = scale == 1 ? parameters : Unscaled(parameters, scale);
        CheckNotCollapsed(matrix, parameters, problem.MaxThreads);
        parameters = parameters with { ExampleParameterShare = ExampleUncertainty.Shares(matrix, parameters, solution.MissingPerExample, problem.ExampleBiasPenalty, problem.MaxThreads, problem.Cancellation) };
        if (residualRank > 0)
        {
            // The residual directions come from the parameters' predictions; the model is built once, with them.
            var (factors, scales, cross) = ResidualStructure.Directions(matrix, parameters, residualRank, inflation, problem.MaxThreads, problem.Cancellation);
            if (scales.Length > 0)
            {
                parameters = parameters with { ResidualRank = scales.Length, ResidualFactors = factors, ResidualScales = scales, ResidualCrossMissing = cross.Missing, ResidualCrossTasks = cross.Tasks, ResidualCrossFactor = cross.Factor };
            }
        }

        return FactorModel.CreateOwned(parameters);
    }

    // Parameters fitted on Z / s, in the units of Z: offsets and biases times s, variances times s^2, and
    // the factor product's s split evenly (U and V times sqrt(s), so both keep the balance the penalty gave them and the
    // factor penalty, which has the units of Z, times s). The task prior scales like the task vector (a_i, U_i).
    private static FactorModelParameters Unscaled(FactorModelParameters p, double s)
    {
        // In place: the arrays are the solver's own, fresh from Parameters (copies would double the model's memory at the peak).
        var root = Math.Sqrt(s);
        static double[] Times(double[] values, double factor)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(values, factor, values);
            return values;
        }

        var taskScale = new double[(p.TaskBiases.Length != 0 ? 1 : 0) + p.Rank];
        taskScale.AsSpan().Fill(root);
        if (p.TaskBiases.Length != 0)
        {
            taskScale[0] = s;
        }

        return p with
        {
            GlobalMean = p.GlobalMean * s,
            TaskBiases = Times(p.TaskBiases, s),
            ExampleBiases = Times(p.ExampleBiases, s),
            TaskFactors = Times(p.TaskFactors, root),
            ExampleFactors = Times(p.ExampleFactors, root),
            NoiseVariance = p.NoiseVariance * s * s,
            TaskFactorPenalty = p.TaskFactorPenalty * s,
            TaskPrior = p.TaskPrior?.Scaled(taskScale),
            Fit = p.Fit with { Objective = p.Fit.Objective * s * s, ResidualVariance = p.Fit.ResidualVariance * s * s },
        };
    }

    // An uncentred rank-1 fit whose noise-scaled penalty outweighs the matrix's structure (one task, a 2 x 2 matrix)
    // shrinks u and v until it predicts worse than the matrix's mean; say so instead of returning that model. (Models
    // with biases contain the mean, so their training R^2 cannot fall below 0.)
    private static void CheckNotCollapsed(ForgettingMatrix matrix, FactorModelParameters parameters, int maxThreads)
    {
        if (parameters.Rank == 0 || parameters.TaskBiases.Length != 0 || parameters.ExampleBiases.Length != 0 || parameters.Logistic)
        {
            return;
        }

        // Only uncentred rank-1 fits get here: the R^2 of the parameters' predictions, without building the model.
        var r2 = TrainingFit.RSquared(parameters, matrix, maxThreads);
        if (r2 < 0)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The {ModelCatalog.NameOf(parameters.Method)} fit on this {matrix.TaskCount} x {matrix.ExampleCount} matrix predicts worse than the matrix's mean (training R^2 {r2:F2}): its penalty (Lambda x noise x (sqrt(tasks) + sqrt(examples))) shrinks the factors more than so few tasks and cells can support. Lower the lambda (0 fits the best rank-1 matrix), or use additive (an evaluation names its methods without it)."), nameof(matrix));
        }
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
        return UnmeasuredColumns.Mark(s.UnmeasuredExamples, matrix.ExampleCount, new FactorModelParameters
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
        });
    }
}

/// <summary>The data scale that makes factor penalties dimensionless.</summary>
internal static class DataScale
{
    /// <summary>
    /// The scale the factor fits divide the data by: the root mean square of the observed cells (1 for an all-zero matrix).
    /// </summary>
    /// <exception cref="ArgumentException">The observed cells are all equal (nothing to learn), or one cell is so far
    /// out (more than 1e9 times the typical magnitude) that it would swamp every other; the message names it.</exception>
    public static double Typical(ForgettingMatrix matrix, int maxThreads = -1)
    {
        ThrowIfConstant(matrix);

        // One parallel pass finds a cell beyond the outlier limit and sums the squares. A matrix cut from a checked one (a
        // cross-validation fold, an evaluation's training tasks) is not checked again against its own typical magnitude.
        var (typical, limit) = double.IsNaN(matrix.CheckedTypical) ? OutlierLimit(matrix) : (matrix.CheckedTypical, double.PositiveInfinity);
        var (cell, squares) = Scan(matrix.ValueMemory, limit, maxThreads);
        if (cell >= 0)
        {
            throw Outlier(matrix, cell, typical);
        }

        return RmsOrOne(squares, matrix.ObservedCount);
    }

    /// <summary>
    /// Refuses a matrix with a cell beyond 1e9 times its typical magnitude (as <see cref="Typical"/> does), with the
    /// matrix's own numbers, and returns it marked as checked (<see cref="ForgettingMatrix.CheckedTypical"/>), so that the
    /// matrices cut from it (cross-validation folds, an evaluation's training tasks) are not refused again against their
    /// own typical magnitude for cells the whole matrix passed. Cross-validated fits call it once, before their folds.
    /// </summary>
    /// <exception cref="ArgumentException">A cell is beyond the limit; the message names it and the typical magnitude.</exception>
    public static ForgettingMatrix CheckOutliers(ForgettingMatrix matrix, int maxThreads = -1)
    {
        if (!double.IsNaN(matrix.CheckedTypical))
        {
            return matrix;
        }

        var (typical, limit) = OutlierLimit(matrix);
        var (cell, _) = Scan(matrix.ValueMemory, limit, maxThreads);
        if (cell >= 0)
        {
            throw Outlier(matrix, cell, typical);
        }

        return matrix.WithCheckedTypical(typical);
    }

    private static ArgumentException Outlier(ForgettingMatrix matrix, long cell, double typical)
    {
        int i = (int)(cell / matrix.ExampleCount), j = (int)(cell % matrix.ExampleCount);
        return new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Cell (task '{matrix.TaskIds[i]}', example '{matrix.ExampleIds[j]}') is {matrix.Values[(int)cell]:G6}, more than 1e9 times the matrix's typical magnitude ({typical:G3}): next to it every other cell is rounding noise. Check that value (a unit, overflow or parsing error?), or set it to NaN to leave it out."), nameof(matrix));
    }

    /// <summary>The root mean square of the observed cells, 1 when they are all 0 or none is observed; never throws (for the
    /// analyses, which take constant matrices too).</summary>
    public static double Rms(ForgettingMatrix matrix) => RmsOrOne(ValueScan.SumOfSquares(matrix.Values), matrix.ObservedCount);

    private static double RmsOrOne(double squares, long count)
    {
        var rms = Math.Sqrt(squares / Math.Max(count, 1));
        return double.IsFinite(rms) && rms > 0 ? rms : 1;
    }

    // Fixed 1 M-value chunks (independent of the thread count), each scanned for the first cell beyond the limit and summed
    // by the lane-fixed kernel, the sums combined in chunk order: the same bits for any thread count and vector width.
    private const int Chunk = 1 << 20;

    private static (long FirstBeyond, double Squares) Scan(ReadOnlyMemory<float> values, double limit, int maxThreads)
    {
        var chunks = (values.Length + Chunk - 1) / Chunk;
        var hits = new long[chunks];
        var parts = new double[chunks];
        Parallel.For(0, chunks, Parallelism.Options(maxThreads), c =>
        {
            var chunk = values.Span.Slice(c * Chunk, Math.Min(Chunk, values.Length - (c * Chunk)));
            hits[c] = double.IsPositiveInfinity(limit) ? -1 : ValueScan.FirstBeyond(chunk, limit);
            parts[c] = ValueScan.SumOfSquares(chunk);
        });
        var first = -1L;
        double squares = 0;
        for (var c = 0; c < chunks; c++)
        {
            if (first < 0 && hits[c] >= 0)
            {
                first = ((long)c * Chunk) + hits[c];
            }

            squares += parts[c];
        }

        return (first, squares);
    }

    /// <summary>Refuses a matrix whose observed cells are all equal: no model can learn from it.</summary>
    /// <exception cref="ArgumentException">Every observed cell has the same value; the message names it.</exception>
    public static void ThrowIfConstant(ForgettingMatrix matrix)
    {
        var (first, constant) = Constant(matrix);
        if (constant)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Every observed cell of the {matrix.TaskCount} x {matrix.ExampleCount} matrix is {first:G6}: a constant matrix shows no difference between tasks or examples, so no model can learn how a new task's measured cells differ. Check that the right file and value column were read{(first == 0 ? " (values smaller than about 1e-45 read as 0 in single precision: if the data is that small, rescale it)" : string.Empty)}."), nameof(matrix));
        }
    }

    /// <summary>The first observed value and whether every observed value equals it (false when nothing is observed).</summary>
    internal static (float First, bool Constant) Constant(ForgettingMatrix matrix)
    {
        var first = float.NaN;
        foreach (var v in matrix.Values)
        {
            if (float.IsNaN(v))
            {
                continue;
            }

            if (float.IsNaN(first))
            {
                first = v;
            }
            else if (v != first)
            {
                return (first, false);
            }
        }

        return (first, !float.IsNaN(first));
    }

    // A cell beyond 1e9 times the median magnitude of the non-zero cells (a sample of at most 65,536 of them, taken at a
    // fixed stride so the result is deterministic) is refused: float32 keeps 7 digits, so next to it every other cell is
    // rounding noise. Such a value is almost always a unit, overflow or parsing error upstream. The limit is infinite when
    // no sampled cell is non-zero.
    private static (double Typical, double Limit) OutlierLimit(ForgettingMatrix matrix)
    {
        var typical = TypicalMagnitude(matrix);
        return typical == 0 ? (0, double.PositiveInfinity) : (typical, typical * 1e9);
    }

    /// <summary>The median magnitude of the non-zero observed cells, from a fixed-stride sample of at most 65,536 cells
    /// (deterministic); 0 when no sampled cell is non-zero.</summary>
    internal static double TypicalMagnitude(ForgettingMatrix matrix)
    {
        var values = matrix.Values;
        var stride = Math.Max(1, values.Length / 65_536);
        var sample = new float[((values.Length - 1) / stride) + 1];
        var count = 0;
        for (var c = 0; c < values.Length; c += stride)
        {
            if (!float.IsNaN(values[c]) && values[c] != 0)
            {
                sample[count++] = Math.Abs(values[c]);
            }
        }

        if (count == 0)
        {
            return 0;
        }

        sample.AsSpan(0, count).Sort();
        return sample[count / 2];
    }
}
