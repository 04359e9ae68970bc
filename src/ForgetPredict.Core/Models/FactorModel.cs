using System.Globalization;
using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Everything that defines a <see cref="FactorModel"/>: what a fitter produces and a model file stores.</summary>
/// <remarks>Arrays are row-major. Absent parts are empty arrays: a model without task biases has an empty
/// <see cref="TaskBiases"/>, a rank-0 model has empty factor arrays.</remarks>
public sealed record FactorModelParameters
{
    /// <summary>The family this parameter set belongs to.</summary>
    public required ModelMethod Method { get; init; }

    /// <summary>Task ids (M).</summary>
    public required IdList TaskIds { get; init; }

    /// <summary>Example ids (N).</summary>
    public required IdList ExampleIds { get; init; }

    /// <summary>Global offset mu (0 for uncentred models).</summary>
    public double GlobalMean { get; init; }

    /// <summary>Task biases a_i (length M), or empty.</summary>
    public double[] TaskBiases { get; init; } = [];

    /// <summary>Example biases b_j (length N), or empty.</summary>
    public double[] ExampleBiases { get; init; } = [];

    /// <summary>Latent dimension r.</summary>
    public int Rank { get; init; }

    /// <summary>Task factors U (M x r, row-major).</summary>
    public double[] TaskFactors { get; init; } = [];

    /// <summary>Example factors V (r x N, row-major: factor k of every example is contiguous).</summary>
    public double[] ExampleFactors { get; init; } = [];

    /// <summary>True for logistic models: predictions are sigmoid(eta).</summary>
    public bool Logistic { get; init; }

    /// <summary>
    /// Variance of a new task's residual per cell, averaged over examples (Gaussian models): the mean squared training
    /// residual corrected for the fit's degrees of freedom. Drives predictive standard deviations.
    /// </summary>
    public double NoiseVariance { get; init; }

    /// <summary>
    /// Number of residual components q: the leading principal directions of the training residuals, which model how the
    /// residuals of different examples move together (0: residuals independent across examples).
    /// </summary>
    public int ResidualRank { get; init; }

    /// <summary>
    /// Residual directions, scaled and in half precision (q x N, row-major): with W[k, j] = ResidualScales[k] * ResidualFactors[k, j],
    /// a new task's residuals of examples j and l have covariance sum_k W[k, j] W[k, l], plus an isotropic part for j = l that
    /// brings the mean per-cell variance to <see cref="NoiseVariance"/>. Half precision (relative error 5e-4, far below the
    /// estimate's own) keeps the model small: 32 components of 85 tasks take 19% of the matrix's float32 size, not 38%.
    /// </summary>
    public Half[] ResidualFactors { get; init; } = [];

    /// <summary>Scale of each residual direction (length q; see <see cref="ResidualFactors"/>).</summary>
    public double[] ResidualScales { get; init; } = [];

    /// <summary>L2 penalty the fit applied to a task's bias and to each task factor: the ridge fold-in reuses them.</summary>
    public double TaskBiasPenalty { get; init; }

    /// <summary>L2 penalty on each task factor.</summary>
    public double TaskFactorPenalty { get; init; }

    /// <summary>Empirical prior on a task's parameter vector (a_i, U_i), or null when it could not be estimated (fewer than two tasks).</summary>
    public GaussianPrior? TaskPrior { get; init; }

    /// <summary>How the fit went.</summary>
    public FitReport Fit { get; init; } = new(0, true, 0, 0);

    /// <summary>
    /// The examples no training task measured (indices, ascending), or empty. The fitters give them the measured examples'
    /// average parameters (b_j, V_j), so they are predicted as the average measured example, and a new task's predictive
    /// variance there adds how much the measured examples' contributions b_j + U_T . V_j spread around that average.
    /// </summary>
    public int[] UnmeasuredExamples { get; init; } = [];

    /// <summary>
    /// The covariance (q x q, row-major; q = example bias + rank) of an unmeasured example's parameters around their values,
    /// or empty for the measured examples' spread around their average. An example feature model that predicted the unmeasured
    /// examples' parameters sets it to its leave-one-out error (<see cref="Features.ExampleFeatureModel.PredictUnmeasured"/>).
    /// </summary>
    public double[] UnmeasuredSpread { get; init; } = [];

    /// <summary>
    /// Each example's parameter share (length N), or empty: how much its fitted parameters' estimation error adds to a new task's
    /// cell, as a multiple of <see cref="NoiseVariance"/> (tr((G_j + L)^-1 E), G_j the Gram of the task features over the tasks
    /// that measured example j, L the example penalties, E the training tasks' mean outer product of features). About
    /// (rank + 1) / M for an example every task measured, far more for one measured on few tasks; 0 for an unmeasured example,
    /// whose parameters' spread is <see cref="UnmeasuredSpread"/>. Model files written before it read as empty (no share).
    /// </summary>
    /// <remarks>Single precision (a variance multiplier needs no more), so the fit's memory stays within its bound.</remarks>
    public float[] ExampleParameterShare { get; init; } = [];

    /// <summary>
    /// The weight w in [0, 1] with which each example's residual variance v_j (from the residual directions) is raised toward
    /// <see cref="NoiseVariance"/> where it lies below it: v_j + w max(NoiseVariance - v_j, 0), independent across examples.
    /// Variances above it are kept: lowering one below what the directions give its example would make the residual covariance
    /// of a small group indefinite. Null (a fit's parameters): estimated from the residual directions when the model is built
    /// (see FactorModel.NoiseShrinkage), and kept in the model's parameters and file from then on. Model files written before
    /// it read as 0, with the intervals they had.
    /// </summary>
    public double? ResidualShrinkage { get; init; }

    /// <summary>
    /// With <see cref="ResidualCrossTasks"/> and <see cref="ResidualCrossFactor"/>, each example's weight g_j in the residual
    /// directions' products between two different examples: a group's variance counts g_j g_l W[k, j] W[k, l] for j != l (an
    /// example's own square as it is), g_j = ResidualCrossFactor / max(ResidualCrossTasks - ResidualCrossMissing[j], 1), the
    /// latter the number of the sampled training tasks that did not measure example j (at most 255). Empty on a complete
    /// matrix (every weight 1). The directions read the training residuals with missing cells as 0 and scale them by the
    /// observed fraction rho, which makes an average example's own variance right; but a task measures two examples together
    /// only about rho^2 of the time (less or more as the two were measured on fewer or more tasks than the average), so
    /// their covariance came out too small and with it a group mean's variance (on charlm-b with half its cells missing,
    /// additive's 90% group intervals covered 80% of groups). g_j is 1 / sqrt(rho) when cells are missing at random. Model
    /// files written before it read as empty, with the intervals they had.
    /// </summary>
    /// <remarks>A byte an example (only for a matrix with missing cells), so the fit's memory stays within its bound.</remarks>
    public byte[] ResidualCrossMissing { get; init; } = [];

    /// <summary>The sampled training tasks the cross weights count over (1 to 256; 0 without weights; see <see cref="ResidualCrossMissing"/>).</summary>
    public int ResidualCrossTasks { get; init; }

    /// <summary>The cross weights' common factor (see <see cref="ResidualCrossMissing"/>; 0 without weights).</summary>
    public double ResidualCrossFactor { get; init; }
}

/// <summary>
/// A fitted factor model: <c>eta[i, j] = mu + a_i + b_j + U_i . V_j</c> with any of the parts absent, and
/// <c>Zhat = eta</c> (Gaussian) or <c>P(Z = 1) = sigmoid(eta)</c> (logistic). Task-only, example-only, additive,
/// rank-1, low-rank and both logistic families are all this one shape.
/// </summary>
/// <remarks>
/// <para>Layout: task side per task i the vector w_i = (a_i, U_i[0..r)); example side stored as rows
/// (b; V[0]; ...; V[r-1]), each of length N, so a whole predicted row is r+1 vector multiply-adds.</para>
/// <para>Fold-in solves only the new task's w from its known cells with the example side fixed: a (r+1)-dimensional
/// Bayesian linear regression (Gaussian) or a Laplace-approximated logistic regression (logistic), with the
/// prior chosen by <see cref="FoldInOptions.Prior"/>. Cost O(k (r+1)^2 + N (r+1)) for k known cells.</para>
/// <threadsafety>Immutable; safe for concurrent use.</threadsafety>
/// </remarks>
public sealed partial class FactorModel : IForgettingModel
{
    private readonly FactorModelParameters _p;
    private readonly int _taskDim;
    private readonly double[]? _exampleNoise;    // per-example variance beyond the task's parameters: residual (directions) + parameter share
    private readonly double _isotropicNoise;
    private readonly double _shrinkage;          // the residual variances' weight toward the noise variance (0 without directions)
    private readonly GroupCache _groups = new();
    private readonly double _featureBound;       // the largest sum of |x_j| over a new task's features (see Bounds)
    private readonly double[] _spread;           // covariance of the measured examples' (b_j, V_j), when some example is unmeasured

    private FactorModel(FactorModelParameters parameters, double[]? exampleNoise, double isotropicNoise, double shrinkage, double[] spread, double meanBound, double stdBound)
    {
        _shrinkage = shrinkage;
        _p = parameters;
        _spread = spread;
        _taskDim = (HasTaskBias ? 1 : 0) + parameters.Rank;
        _exampleNoise = exampleNoise;
        _isotropicNoise = isotropicNoise;
        MeanBound = meanBound;
        StdBound = stdBound;
        var largestFactor = MaxMagnitude(parameters.ExampleFactors);
        _featureBound = (HasTaskBias ? 1 : 0) + (parameters.Rank * largestFactor);
        _factorUnit = largestFactor * largestFactor;
        _fallbackMean = parameters.TaskPrior is null ? OnlyMeasuredTask(parameters, _taskDim) : null;
    }

    // The empirical prior's centre when it could not be estimated (fewer than two measured training tasks): the parameter
    // vector (a_i; U_i) of the one task whose parameters are not all 0 (unmeasured tasks' are shrunk to 0); all 0 when every
    // task's are; null (the ridge prior centred on 0) when two or more tasks have parameters but the model has no prior. The fold-in's prior is then the ridge penalty centred there, so a model
    // of one task starts a new task from that task, as "the average training task" says, not from 0.
    private readonly double[]? _fallbackMean;

    private static double[]? OnlyMeasuredTask(FactorModelParameters p, int taskDim)
    {
        var biases = p.TaskBiases.Length != 0;
        double[]? found = null;
        var task = new double[taskDim];
        for (var i = 0; i < p.TaskIds.Count; i++)
        {
            if (biases)
            {
                task[0] = p.TaskBiases[i];
            }

            p.TaskFactors.AsSpan(i * p.Rank, p.Rank).CopyTo(task.AsSpan(biases ? 1 : 0));
            if (task.AsSpan().ContainsAnyExcept(0d))
            {
                // Two or more measured tasks without a prior (a model from a fitter that sets none) keep the ridge prior
                // centred on 0.
                if (found is not null)
                {
                    return null;
                }

                found = (double[])task.Clone();
            }
        }

        return found ?? new double[taskDim];
    }

    // The square of the largest example factor: a task factor's penalty has its units (one cell's worth of that factor), so
    // the ridge fold-in's floor on an unpenalised factor is a multiple of it (RidgePenalty).
    private readonly double _factorUnit;

    /// <summary>A bound on |prediction| for every training task and for a new task under the model's own prior (see <see cref="ModelBounds"/>).</summary>
    internal double MeanBound { get; }

    /// <summary>A bound on a new task's predictive std under the model's own prior.</summary>
    internal double StdBound { get; }

    /// <inheritdoc />
    public ModelMethod Method => _p.Method;

    /// <inheritdoc />
    public int TaskCount => _p.TaskIds.Count;

    /// <inheritdoc />
    public int ExampleCount => _p.ExampleIds.Count;

    /// <inheritdoc />
    public IdList TaskIds => _p.TaskIds;

    /// <inheritdoc />
    public IdList ExampleIds => _p.ExampleIds;

    /// <inheritdoc />
    public bool PredictsProbability => _p.Logistic;

    /// <summary>Latent dimension r (0 for the additive and mean models).</summary>
    public int Rank => _p.Rank;

    /// <summary>True when the model has a per-task bias a_i.</summary>
    public bool HasTaskBias => _p.TaskBiases.Length != 0;

    /// <summary>True when the model has a per-example bias b_j.</summary>
    public bool HasExampleBias => _p.ExampleBiases.Length != 0;

    /// <summary>Global offset mu.</summary>
    public double GlobalMean => _p.GlobalMean;

    /// <summary>Task biases a_i (empty when absent): "how disruptive task i is" beyond the average.</summary>
    public ReadOnlySpan<double> TaskBiases => _p.TaskBiases;

    /// <summary>Example biases b_j (empty when absent): "how fragile example j is" beyond the average.</summary>
    public ReadOnlySpan<double> ExampleBiases => _p.ExampleBiases;

    /// <summary>Task factors U, M x r row-major.</summary>
    public ReadOnlySpan<double> TaskFactors => _p.TaskFactors;

    /// <summary>Example factors V, r x N row-major.</summary>
    public ReadOnlySpan<double> ExampleFactors => _p.ExampleFactors;

    /// <summary>A new task's residual variance per cell, averaged over examples (see <see cref="FactorModelParameters.NoiseVariance"/>).</summary>
    public double NoiseVariance => _p.NoiseVariance;

    /// <summary>Number of residual components (see <see cref="FactorModelParameters.ResidualRank"/>).</summary>
    public int ResidualRank => _p.ResidualRank;

    /// <summary>
    /// The variance of a new task's cell at example <paramref name="example"/> beyond what its task parameters' uncertainty
    /// adds: the residual variance (<see cref="NoiseVariance"/> unless the model has residual components, whose reading is
    /// raised toward it where below, <see cref="FactorModelParameters.ResidualShrinkage"/>) plus the example parameters'
    /// share (<see cref="FactorModelParameters.ExampleParameterShare"/>) of the noise variance.
    /// </summary>
    public double ExampleNoiseVariance(int example) => _exampleNoise is null ? _p.NoiseVariance : _exampleNoise[example];

    /// <summary>Empirical prior on task parameters, or null.</summary>
    public GaussianPrior? TaskPrior => _p.TaskPrior;

    /// <summary>The examples no training task measured (see <see cref="FactorModelParameters.UnmeasuredExamples"/>), ascending.</summary>
    public IReadOnlyList<int> UnmeasuredExamples => Array.AsReadOnly(_p.UnmeasuredExamples);

    /// <summary>The given spread of the unmeasured examples' parameters (see <see cref="FactorModelParameters.UnmeasuredSpread"/>), or empty.</summary>
    public ReadOnlySpan<double> UnmeasuredSpread => _p.UnmeasuredSpread;

    /// <summary>How the fit went.</summary>
    public FitReport Fit => _p.Fit;

    /// <summary>Shrinkage of a folded-in task's bias (the fit's task bias penalty).</summary>
    public double TaskBiasPenalty => _p.TaskBiasPenalty;

    /// <summary>Shrinkage of a folded-in task's factors (the fit's task factor penalty).</summary>
    public double TaskFactorPenalty => _p.TaskFactorPenalty;

    /// <summary>Residual factors W (N x residual rank, row-major, half precision); empty without residual components.</summary>
    public ReadOnlySpan<Half> ResidualFactors => _p.ResidualFactors;

    /// <summary>Scale of each residual component.</summary>
    public ReadOnlySpan<double> ResidualScales => _p.ResidualScales;

    /// <summary>The parameters, shared with the model (never handed out: the model is immutable).</summary>
    internal FactorModelParameters Parameters => _p;

    /// <summary>A copy of every parameter, e.g. to derive a changed model (<c>FactorModel.Create(model.ToParameters() with { ... })</c>); changing the copy never changes this model.</summary>
    public FactorModelParameters ToParameters() => Copy(_p);

    /// <summary>
    /// Builds a model from a copy of <paramref name="parameters"/>, validating every size and value: changing the arrays of
    /// <paramref name="parameters"/> afterwards never changes the model.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/>, its ids, an array or its fit report is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The method is not one a factor model has (knn and ensemble models are
    /// their own types), or the rank is negative.</exception>
    /// <exception cref="ArgumentException">A size disagrees with the ids and rank, a value is not finite (the message says which),
    /// or <see cref="FactorModelParameters.Logistic"/> disagrees with the method.</exception>
    public static FactorModel Create(FactorModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parameters.TaskBiases, nameof(parameters.TaskBiases));
        ArgumentNullException.ThrowIfNull(parameters.ExampleBiases, nameof(parameters.ExampleBiases));
        ArgumentNullException.ThrowIfNull(parameters.TaskFactors, nameof(parameters.TaskFactors));
        ArgumentNullException.ThrowIfNull(parameters.ExampleFactors, nameof(parameters.ExampleFactors));
        ArgumentNullException.ThrowIfNull(parameters.ResidualFactors, nameof(parameters.ResidualFactors));
        ArgumentNullException.ThrowIfNull(parameters.ResidualScales, nameof(parameters.ResidualScales));
        ArgumentNullException.ThrowIfNull(parameters.UnmeasuredExamples, nameof(parameters.UnmeasuredExamples));
        ArgumentNullException.ThrowIfNull(parameters.UnmeasuredSpread, nameof(parameters.UnmeasuredSpread));
        ArgumentNullException.ThrowIfNull(parameters.ExampleParameterShare, nameof(parameters.ExampleParameterShare));
        return CreateOwned(Copy(parameters));
    }

    /// <summary>
    /// <see cref="Create"/> for parameters whose arrays nobody else holds (a fitter's own): the model keeps them as they are.
    /// </summary>
    internal static FactorModel CreateOwned(FactorModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parameters.TaskIds, nameof(parameters.TaskIds));
        ArgumentNullException.ThrowIfNull(parameters.ExampleIds, nameof(parameters.ExampleIds));
        ArgumentNullException.ThrowIfNull(parameters.Fit, nameof(parameters.Fit));
        if (!Enum.IsDefined(parameters.Method) || parameters.Method is ModelMethod.Knn or ModelMethod.Ensemble)
        {
            throw OutOfRange(nameof(parameters.Method), parameters.Method,
                "A factor model's method is TaskMean, ExampleMean, Additive, RankOne, LowRank, Logistic or LogisticAdditive (KNN and ensemble models are KnnModel and EnsembleModel).");
        }

        if (parameters.Logistic != (parameters.Method is ModelMethod.Logistic or ModelMethod.LogisticAdditive))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Method {parameters.Method} with Logistic = {parameters.Logistic}: logistic models (and only they) have Logistic = true."), nameof(parameters));
        }

        int m = parameters.TaskIds.Count, n = parameters.ExampleIds.Count, r = parameters.Rank;
        if (r < 0)
        {
            throw OutOfRange(nameof(parameters.Rank), r, "Rank must be >= 0.");
        }

        CheckLength(parameters.TaskBiases, m, allowEmpty: true, nameof(parameters.TaskBiases));
        CheckLength(parameters.ExampleBiases, n, allowEmpty: true, nameof(parameters.ExampleBiases));
        CheckLength(parameters.TaskFactors, (long)m * r, allowEmpty: r == 0, nameof(parameters.TaskFactors));
        CheckLength(parameters.ExampleFactors, (long)r * n, allowEmpty: r == 0, nameof(parameters.ExampleFactors));
        if (!double.IsFinite(parameters.GlobalMean) || !(parameters.NoiseVariance >= 0) || !double.IsFinite(parameters.NoiseVariance))
        {
            throw new ArgumentException("Global mean must be finite and noise variance finite and non-negative.", nameof(parameters));
        }

        if (!(parameters.TaskBiasPenalty >= 0) || !(parameters.TaskFactorPenalty >= 0))
        {
            throw new ArgumentException("Penalties must be non-negative.", nameof(parameters));
        }

        ArgumentNullException.ThrowIfNull(parameters.UnmeasuredExamples, nameof(parameters.UnmeasuredExamples));
        UnmeasuredColumns.Check(parameters.UnmeasuredExamples, n, nameof(parameters));
        var taskDim = (parameters.TaskBiases.Length != 0 ? 1 : 0) + r;
        if (parameters.TaskPrior is { } prior && prior.Dimension != taskDim)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Task prior has dimension {prior.Dimension}; this model's task vectors have {taskDim}."), nameof(parameters));
        }

        ArgumentNullException.ThrowIfNull(parameters.ResidualCrossMissing, nameof(parameters.ResidualCrossMissing));
        if (parameters.ResidualCrossMissing is { Length: > 0 } crossMissing
            && (crossMissing.Length != n || parameters.ResidualCrossTasks is < 1 or > ResidualStructure.SampleTasks || !(parameters.ResidualCrossFactor > 0)
                || !(parameters.ResidualCrossFactor <= parameters.ResidualCrossTasks * (1 + 1e-9))
                || TensorPrimitives.Max<byte>(crossMissing) > Math.Min(parameters.ResidualCrossTasks, byte.MaxValue)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Residual cross weights: {crossMissing.Length} counts for {n} examples over {parameters.ResidualCrossTasks} tasks, factor {parameters.ResidualCrossFactor}; each count must be at most the tasks (1 to {ResidualStructure.SampleTasks}) and the factor positive and at most the tasks."), nameof(parameters));
        }

        if (parameters.ResidualShrinkage is { } given && !(given >= 0 && given <= 1))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Residual shrinkage {given} is not a weight in [0, 1]."), nameof(parameters));
        }

        var (exampleNoise, isotropic, shrinkage) = ResidualNoise(parameters, n, shrink: true);
        if (parameters.ResidualRank > 0)
        {
            parameters = parameters with { ResidualShrinkage = shrinkage };
        }

        exampleNoise = WithParameterShare(parameters, exampleNoise, n);
        var spread = UnmeasuredColumns.Spread(parameters);
        if (parameters.UnmeasuredSpread is { Length: > 0 } givenSpread)
        {
            spread = UnmeasuredColumns.CheckSpread(givenSpread, spread.Length, parameters.UnmeasuredExamples.Length, nameof(parameters));
        }

        var (meanBound, stdBound) = Bounds(parameters, exampleNoise, spread);
        ModelBounds.Check(meanBound, stdBound, () => string.Create(CultureInfo.InvariantCulture,
            $"largest bias {Math.Max(MaxMagnitude(parameters.TaskBiases), MaxMagnitude(parameters.ExampleBiases)):G3}, task factor {MaxMagnitude(parameters.TaskFactors):G3}, example factor {MaxMagnitude(parameters.ExampleFactors):G3}, noise variance {parameters.NoiseVariance:G3}"), nameof(parameters));
        return new FactorModel(parameters, exampleNoise, isotropic, shrinkage, spread, meanBound, stdBound);
    }

    // Bounds on the magnitude of every prediction and std (see ModelBounds). Training predictions: |eta| <= |mu| + max|a| + max|b|
    // + r max|U| max|V|. A new task's features x_j = (1 with a task bias, V[0..r, j]) sum to at most s in magnitude, so under
    // a prior N(m, C) (the empirical prior, or the ridge prior: covariance noise / penalty) its mean moves by at most s max|m|
    // and its variance is at most s^2 max|C| plus the example's noise. An unmeasured example adds c^T S c + tr(S C) for the
    // spread S of the example parameters and c = (1, U_T): at most t^2 max|S| with t = 1 + r (max|U|, max|m| or sqrt(max|C|)).
    private static (double Mean, double Std) Bounds(FactorModelParameters p, double[]? exampleNoise, double[] spread)
    {
        double maxU = MaxMagnitude(p.TaskFactors), maxV = MaxMagnitude(p.ExampleFactors);
        var s = (p.TaskBiases.Length != 0 ? 1 : 0) + (p.Rank * maxV);
        var penalty = Math.Min(p.TaskBiases.Length != 0 ? p.TaskBiasPenalty : double.PositiveInfinity, p.Rank > 0 ? p.TaskFactorPenalty : double.PositiveInfinity);
        var ridge = double.IsFinite(penalty) ? (p.Logistic ? 1 : Math.Max(p.NoiseVariance, 1e-300)) / Math.Max(penalty, 1e-12) : 0;
        var covariance = Math.Max(ridge, p.TaskPrior is { } prior ? MaxMagnitude(prior.Covariance) : 0);
        var priorMean = p.TaskPrior is { } empirical ? MaxMagnitude(empirical.Mean) : 0;
        var noise = exampleNoise is null ? p.NoiseVariance : TensorPrimitives.Max<double>(exampleNoise);
        // A group's residual variance with cross weights is at most the largest weight squared times the largest example's.
        noise *= p.ResidualCrossMissing.Length == 0 ? 1 : Math.Max(p.ResidualCrossFactor * p.ResidualCrossFactor, 1);
        var t = 1 + (p.Rank * Math.Max(Math.Max(maxU, priorMean), Math.Sqrt(covariance)));
        noise += t * t * MaxMagnitude(spread);
        var mean = Math.Abs(p.GlobalMean) + MaxMagnitude(p.TaskBiases) + MaxMagnitude(p.ExampleBiases) + (p.Rank * maxU * maxV) + (s * priorMean);
        return (Math.Max(mean, s), Math.Sqrt((s * s * covariance) + noise));
    }

    // TensorPrimitives.IsFiniteAll is false for an empty span.
    internal static bool AllFinite(ReadOnlySpan<double> values) => values.IsEmpty || TensorPrimitives.IsFiniteAll(values);

    private static double MaxMagnitude(ReadOnlySpan<double> values) => values.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(values));

    // A parameter record's property out of range, named as the property (the record is the method's one argument).
    private static ArgumentOutOfRangeException OutOfRange(string property, object? value, string message) => new(property, value, message);

    private static FactorModelParameters Copy(FactorModelParameters p) => p with
    {
        TaskBiases = [.. p.TaskBiases],
        ExampleBiases = [.. p.ExampleBiases],
        TaskFactors = [.. p.TaskFactors],
        ExampleFactors = [.. p.ExampleFactors],
        ResidualFactors = [.. p.ResidualFactors],
        ResidualScales = [.. p.ResidualScales],
        UnmeasuredExamples = [.. p.UnmeasuredExamples],
        UnmeasuredSpread = [.. p.UnmeasuredSpread],
        ExampleParameterShare = [.. p.ExampleParameterShare],
        ResidualCrossMissing = [.. p.ResidualCrossMissing],
    };

    /// <summary>
    /// Each example's residual variance as the residual directions read it (iso + sum_k W[k, j]^2; the noise variance at an
    /// unmeasured example, and everywhere without residual directions): neither shrunk toward the noise variance nor with the
    /// example parameters' share, unlike <see cref="ExampleNoiseVariance"/>. What an active design weighs each cell by
    /// (<see cref="Evaluation.ActiveDesign.Of"/>): on charlm-b and charlm-d, designs weighted by the intervals' variances
    /// (shrunk toward the noise variance, with the share) were 1-3% worse on average (mf V-optimal 0.1266 against 0.1252 and
    /// 0.1830 against 0.1789).
    /// </summary>
    internal double[] ResidualVariances()
    {
        var (noise, _, _) = ResidualNoise(_p, ExampleCount, shrink: false);
        if (noise is null)
        {
            noise = new double[ExampleCount];
            noise.AsSpan().Fill(_p.NoiseVariance);
        }

        return noise;
    }

    /// <summary>The weight with which each example's residual variance below <see cref="NoiseVariance"/> is raised toward it (see <see cref="FactorModelParameters.ResidualShrinkage"/>; 0 without residual components).</summary>
    public double ResidualShrinkage => _shrinkage;

    /// <summary>Each example's count of the sampled training tasks that did not measure it, for its cross weight (see <see cref="FactorModelParameters.ResidualCrossMissing"/>; empty on a complete matrix).</summary>
    public ReadOnlySpan<byte> ResidualCrossMissing => _p.ResidualCrossMissing;

    /// <summary>The sampled training tasks the cross weights count over (see <see cref="FactorModelParameters.ResidualCrossTasks"/>).</summary>
    public int ResidualCrossTasks => _p.ResidualCrossTasks;

    /// <summary>The cross weights' common factor (see <see cref="FactorModelParameters.ResidualCrossFactor"/>).</summary>
    public double ResidualCrossFactor => _p.ResidualCrossFactor;

    /// <summary>Example <paramref name="example"/>'s weight in the residual directions' products between two examples in a group's variance (see <see cref="FactorModelParameters.ResidualCrossMissing"/>; 1 on a complete matrix).</summary>
    /// <param name="example">The example's index.</param>
    public double ResidualCrossWeight(int example) => _p.ResidualCrossMissing.Length == 0 ? 1
        : _p.ResidualCrossFactor / Math.Max(_p.ResidualCrossTasks - _p.ResidualCrossMissing[example], 1);

    /// <summary>The example parameters' share of each example, as a multiple of the noise variance (see <see cref="FactorModelParameters.ExampleParameterShare"/>), or empty.</summary>
    public ReadOnlySpan<float> ExampleParameterShare => _p.ExampleParameterShare;

    // Adds noise variance x share to each example's residual variance (the noise variance where the model has no residual
    // directions); returns the residual variances unchanged without shares.
    private static double[]? WithParameterShare(FactorModelParameters parameters, double[]? residual, int n)
    {
        var share = parameters.ExampleParameterShare;
        ArgumentNullException.ThrowIfNull(share, nameof(parameters.ExampleParameterShare));
        if (share.Length == 0)
        {
            return residual;
        }

        if (share.Length != n || parameters.Logistic || !TensorPrimitives.IsFiniteAll<float>(share) || TensorPrimitives.Min<float>(share) < 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Example parameter shares: {share.Length} values for {n} examples{(parameters.Logistic ? " (a logistic model has none)" : string.Empty)}; each must be finite and non-negative."), nameof(parameters));
        }

        if (residual is null)
        {
            residual = new double[n];
            residual.AsSpan().Fill(parameters.NoiseVariance);
        }

        for (var j = 0; j < n; j++)
        {
            residual[j] += parameters.NoiseVariance * share[j];
        }

        if (!AllFinite(residual))
        {
            throw new ArgumentException("Example parameter shares are too large: an example's variance overflows.", nameof(parameters));
        }

        return residual;
    }

    /// <summary>
    /// The weight w of the noise variance in each example's shrunk variance (1 - w) v_j + w sigma^2 (applied only where it
    /// raises v_j, see <see cref="FactorModelParameters.ResidualShrinkage"/>): an empirical-Bayes estimate. Example j's
    /// variance is v_j = iso + sum_k W[k, j]^2, and its directions' part reads its residuals over
    /// d = min(M, SampleTasks) tasks, less its own parameters, through the q residual directions: about (sigma^2 - iso) times a
    /// chi-square with q' = min(q, d) degrees of freedom over q', which scatters with variance 2 (sigma^2 - iso)^2 / q' even when
    /// every example has the same noise. Whatever the measured examples' v_j scatter beyond that, tau^2, is real
    /// heteroscedasticity: w = sampling / (sampling + tau^2), 1 (every variance below the noise variance raised to it) when the
    /// scatter is sampling noise alone, near 0 when examples truly differ.
    /// </summary>
    internal static double NoiseShrinkage(ReadOnlySpan<double> noise, FactorModelParameters parameters, int measured, double isotropic)
    {
        var sigma2 = parameters.NoiseVariance;
        var d = Math.Max(Math.Min(parameters.TaskIds.Count, ResidualStructure.SampleTasks) - (parameters.ExampleBiases.Length != 0 ? 1 : 0) - parameters.Rank, 1);
        var dimensions = Math.Max(Math.Min(parameters.ResidualRank, d), 1);
        if (!(sigma2 > 0) || measured < 2)
        {
            return 0;
        }

        // The scatter over the measured examples (an unmeasured example's directions are zero: its v_j says nothing).
        var unmeasured = parameters.UnmeasuredExamples;
        double sum = 0, squares = 0;
        var u = 0;
        for (var j = 0; j < noise.Length; j++)
        {
            if (u < unmeasured.Length && unmeasured[u] == j)
            {
                u++;
                continue;
            }

            sum += noise[j];
            squares += noise[j] * noise[j];
        }

        var mean = sum / measured;
        var scatter = Math.Max((squares / measured) - (mean * mean), 0);
        var directions = Math.Max(mean - isotropic, 0);
        var sampling = 2 * directions * directions / dimensions;
        var real = Math.Max(scatter - sampling, 0) / (1 + (2.0 / dimensions));
        return sampling + real > 0 ? sampling / (sampling + real) : 0;
    }

    /// <summary>The least share of the average residual variance any example's own residual variance is given.</summary>
    internal const double MinimumNoiseShare = 0.01;

    // Per-example residual variance iso + sum_k W[k, j]^2, with iso chosen so that its mean over examples is the noise variance.
    // With shrink, by the parameters' weight, or the one NoiseShrinkage estimates when they have none.
    private static (double[]? ExampleNoise, double Isotropic, double Shrinkage) ResidualNoise(FactorModelParameters parameters, int n, bool shrink)
    {
        var q = parameters.ResidualRank;
        ArgumentNullException.ThrowIfNull(parameters.ResidualFactors, nameof(parameters.ResidualFactors));
        ArgumentNullException.ThrowIfNull(parameters.ResidualScales, nameof(parameters.ResidualScales));
        if (q < 0 || (long)q * n != parameters.ResidualFactors.LongLength || parameters.ResidualScales.Length != q || (q > 0 && parameters.Logistic))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Residual factors have {parameters.ResidualFactors.LongLength} values and {parameters.ResidualScales.Length} scales for {q} components of {n} examples{(parameters.Logistic ? " (a logistic model has none)" : string.Empty)}."), nameof(parameters));
        }

        if (q == 0)
        {
            return (null, parameters.NoiseVariance, 0);
        }

        foreach (var scale in parameters.ResidualScales)
        {
            if (!double.IsFinite(scale) || scale < 0)
            {
                throw new ArgumentException("Residual scales must be finite and non-negative.", nameof(parameters));
            }
        }

        // noise[j] = sum over k in order of square_k * w[k, j] * w[k, j] (in double). Each block of examples is independent,
        // so the blocks run in parallel with the same bits for any thread count.
        const int Block = 512;
        var noise = new double[n];
        var factors = parameters.ResidualFactors;
        var finite = true;
        Parallel.For(0, (n + Block - 1) / Block, block =>
        {
            var start = block * Block;
            var width = Math.Min(Block, n - start);
            Span<float> w = stackalloc float[Block];
            Span<double> x = stackalloc double[Block];
            Span<double> sx = stackalloc double[Block];
            var target = noise.AsSpan(start, width);
            for (var k = 0; k < q; k++)
            {
                var values = w[..width];
                HalfPrecision.ToSingle(factors.AsSpan((k * n) + start, width), values);
                if (!TensorPrimitives.IsFiniteAll<float>(values))
                {
                    finite = false;
                    return;
                }

                var square = parameters.ResidualScales[k] * parameters.ResidualScales[k];
                Residuals.Widen(values, x[..width]);
                TensorPrimitives.Multiply(x[..width], square, sx[..width]);
                TensorPrimitives.MultiplyAdd(sx[..width], x[..width], target, target);
            }
        });
        if (!finite)
        {
            throw new ArgumentException("Residual factors contain a non-finite value.", nameof(parameters));
        }

        if (!AllFinite(noise))
        {
            throw new ArgumentException("Residual scales are too large: an example's residual variance overflows.", nameof(parameters));
        }

        // The isotropic part brings the measured examples' mean to the noise variance: an unmeasured example's directions are
        // zero and its variance is set to the noise variance apart (below), so averaging over it too would leave the
        // isotropic part to make up for it on every measured example.
        var measured = n - parameters.UnmeasuredExamples.Length;
        var isotropic = Math.Max(parameters.NoiseVariance - (TensorPrimitives.Sum<double>(noise) / Math.Max(measured, 1)), 0);
        TensorPrimitives.Add(noise, isotropic, noise);

        // Each example's own variance is read from the residuals of at most min(M, SampleTasks) training tasks: a noisy estimate,
        // too small about as often as too large, which made intervals too narrow on matrices of few tasks. One below the noise
        // variance is raised toward it by how much of the variances' spread over examples that sampling noise explains
        // (NoiseShrinkage); one above is kept, as lowering it could leave the directions more variance than the example has.
        var weight = shrink ? parameters.ResidualShrinkage ?? NoiseShrinkage(noise, parameters, measured, isotropic) : 0;
        if (weight > 0)
        {
            for (var j = 0; j < n; j++)
            {
                noise[j] += weight * Math.Max(parameters.NoiseVariance - noise[j], 0);
            }
        }

        // No example is certain: where the residual directions explain all the residual variance (no isotropic part is left)
        // an example they do not touch (one observed only as exact zeros) would get no noise at all and a zero-width
        // interval. Each example keeps at least 1% of the average (on the charlm matrices the least is 10-28% of it).
        TensorPrimitives.Max(noise, parameters.NoiseVariance * MinimumNoiseShare, noise);

        // The residual directions know nothing of an unmeasured example: its residual is an average example's.
        foreach (var j in parameters.UnmeasuredExamples)
        {
            noise[j] = parameters.NoiseVariance;
        }

        return (noise, isotropic, weight);
    }

    /// <inheritdoc />
    public double Predict(int task, int example)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, TaskCount);
        ArgumentOutOfRangeException.ThrowIfNegative(example);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(example, ExampleCount);
        var eta = _p.GlobalMean;
        if (HasTaskBias)
        {
            eta += _p.TaskBiases[task];
        }

        if (HasExampleBias)
        {
            eta += _p.ExampleBiases[example];
        }

        var n = ExampleCount;
        for (var k = 0; k < _p.Rank; k++)
        {
            eta += _p.TaskFactors[(task * _p.Rank) + k] * _p.ExampleFactors[((long)k * n) + example];
        }

        return _p.Logistic ? LogitNormal.Sigmoid(eta) : eta;
    }

    /// <inheritdoc />
    public void PredictRow(int task, Span<double> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, TaskCount);
        CheckDestination(destination);
        var offset = _p.GlobalMean + (HasTaskBias ? _p.TaskBiases[task] : 0);
        LinearRow(_p.TaskFactors.AsSpan(task * _p.Rank, _p.Rank), offset, destination);
        if (_p.Logistic)
        {
            TensorPrimitives.Sigmoid(destination, destination);
        }
    }

    /// <summary>The linear predictor of training task <paramref name="task"/> over examples start .. start + destination.Length.</summary>
    internal static void PredictRowSlice(FactorModelParameters p, int task, int start, Span<double> destination) =>
        RowPrediction.Evaluate(p.ExampleFactors, p.ExampleIds.Count, p.Rank, p.TaskFactors.AsSpan(task * p.Rank, p.Rank), p.ExampleBiases,
            p.GlobalMean + (p.TaskBiases.Length != 0 ? p.TaskBiases[task] : 0), start, destination, false, default, default);

    /// <summary>The example side in single precision with the examples in <paramref name="order"/> (for the row scanner); null for logistic models.</summary>
    internal SingleLayout? CreateSingleLayout(int[] order) =>
        _p.Logistic ? null : new SingleLayout(_p.ExampleFactors, _p.Rank, _p.ExampleBiases, ExampleNoiseVariance, order);

    private void CheckDestination(Span<double> destination)
    {
        if (destination.Length != ExampleCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Destination has {destination.Length} cells; the row has {ExampleCount}."), nameof(destination));
        }
    }

    private static void CheckLength(double[] values, long expected, bool allowEmpty, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.LongLength != expected && !(allowEmpty && values.Length == 0))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} has {values.LongLength} values; expected {expected}."), name);
        }

        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} contains a non-finite value."), name);
            }
        }
    }
}
