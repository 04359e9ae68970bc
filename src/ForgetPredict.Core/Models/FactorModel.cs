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
public sealed class FactorModel : IForgettingModel
{
    private readonly FactorModelParameters _p;
    private readonly int _taskDim;
    private readonly double[]? _exampleNoise;    // per-example residual variance when the model has residual factors
    private readonly double _isotropicNoise;
    private readonly GroupCache _groups = new();

    private FactorModel(FactorModelParameters parameters, double[]? exampleNoise, double isotropicNoise)
    {
        _p = parameters;
        _taskDim = (HasTaskBias ? 1 : 0) + parameters.Rank;
        _exampleNoise = exampleNoise;
        _isotropicNoise = isotropicNoise;
    }

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

    /// <summary>A new task's residual variance at example <paramref name="example"/>: <see cref="NoiseVariance"/> unless the model has residual components.</summary>
    public double ExampleNoiseVariance(int example) => _exampleNoise is null ? _p.NoiseVariance : _exampleNoise[example];

    /// <summary>Empirical prior on task parameters, or null.</summary>
    public GaussianPrior? TaskPrior => _p.TaskPrior;

    /// <summary>How the fit went.</summary>
    public FitReport Fit => _p.Fit;

    /// <summary>All parameters (for persistence).</summary>
    public FactorModelParameters Parameters => _p;

    /// <summary>Builds a model from parameters, validating every size and value.</summary>
    /// <exception cref="ArgumentException">A size disagrees with the ids and rank, or a value is not finite (the message says which).</exception>
    public static FactorModel Create(FactorModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int m = parameters.TaskIds.Count, n = parameters.ExampleIds.Count, r = parameters.Rank;
        ArgumentOutOfRangeException.ThrowIfNegative(r);
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

        var taskDim = (parameters.TaskBiases.Length != 0 ? 1 : 0) + r;
        if (parameters.TaskPrior is { } prior && prior.Dimension != taskDim)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Task prior has dimension {prior.Dimension}; this model's task vectors have {taskDim}."), nameof(parameters));
        }

        var (exampleNoise, isotropic) = ResidualNoise(parameters, n);
        return new FactorModel(parameters, exampleNoise, isotropic);
    }

    // Per-example residual variance iso + sum_k W[k, j]^2, with iso chosen so that its mean over examples is the noise variance.
    private static (double[]? ExampleNoise, double Isotropic) ResidualNoise(FactorModelParameters parameters, int n)
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
            return (null, parameters.NoiseVariance);
        }

        var noise = new double[n];
        Span<float> w = stackalloc float[512];
        for (var k = 0; k < q; k++)
        {
            var scale = parameters.ResidualScales[k];
            if (!double.IsFinite(scale) || scale < 0)
            {
                throw new ArgumentException("Residual scales must be finite and non-negative.", nameof(parameters));
            }

            var square = scale * scale;
            for (var start = 0; start < n; start += w.Length)
            {
                var block = w[..Math.Min(w.Length, n - start)];
                TensorPrimitives.ConvertToSingle(parameters.ResidualFactors.AsSpan((k * n) + start, block.Length), block);
                if (!TensorPrimitives.IsFiniteAll<float>(block))
                {
                    throw new ArgumentException("Residual factors contain a non-finite value.", nameof(parameters));
                }

                for (var j = 0; j < block.Length; j++)
                {
                    noise[start + j] += square * block[j] * block[j];
                }
            }
        }

        var isotropic = Math.Max(parameters.NoiseVariance - (TensorPrimitives.Sum<double>(noise) / n), 0);
        TensorPrimitives.Add(noise, isotropic, noise);
        return (noise, isotropic);
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

        return _p.Logistic ? Sigmoid(eta) : eta;
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
    internal void PredictRowSlice(int task, int start, Span<double> destination) =>
        RowPrediction.Evaluate(_p.ExampleFactors, ExampleCount, _p.Rank, _p.TaskFactors.AsSpan(task * _p.Rank, _p.Rank), _p.ExampleBiases,
            _p.GlobalMean + (HasTaskBias ? _p.TaskBiases[task] : 0), start, destination, false, default, default);

    /// <inheritdoc />
    public FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options = null)
    {
        FoldedTask.ValidateKnown(examples, values, ExampleCount);
        if (_p.Logistic)
        {
            foreach (var v in values)
            {
                if (v is not (0d or 1d))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Known value {v} is not 0 or 1; a logistic model folds in binary cells."), nameof(values));
                }
            }
        }

        var prior = options?.Prior ?? FoldInPrior.Empirical;
        var p = _taskDim;
        Span<double> precision = stackalloc double[p * p];
        Span<double> precisionMean = stackalloc double[p];
        if (options?.TaskPrior is { } given)
        {
            if (given.Dimension != p)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The given task prior has dimension {given.Dimension}; this model's task vectors have {p}."), nameof(options));
            }

            given.Precision.CopyTo(precision);
            given.PrecisionTimesMean.CopyTo(precisionMean);
        }
        else
        {
            PriorTerms(prior, precision, precisionMean);
        }

        var k = examples.Length;
        var features = new double[k * p];
        var targets = new double[k];
        for (var t = 0; t < k; t++)
        {
            var j = examples[t];
            ExampleFeatures(j, features.AsSpan(t * p, p));
            targets[t] = values[t] - (_p.Logistic ? 0 : Offset(j));
        }

        return _p.Logistic
            ? FoldLogistic(features, targets, examples, precision, precisionMean)
            : FoldGaussian(features, targets, precision, precisionMean);
    }

    // Predicts eta for a task parameter vector: destination = offset + b + V^T U (U = factors of length r), and with a
    // covariance, the quadratic form x_j^T C x_j of every example's features (its predictive variance before noise).
    private void LinearRow(ReadOnlySpan<double> factors, double offset, Span<double> destination, ReadOnlySpan<double> covariance = default, Span<double> variance = default) =>
        RowPrediction.Evaluate(_p.ExampleFactors, ExampleCount, _p.Rank, factors, _p.ExampleBiases, offset, 0, destination, HasTaskBias, covariance, variance);

    internal double Offset(int example) => _p.GlobalMean + (HasExampleBias ? _p.ExampleBiases[example] : 0);

    internal void ExampleFeatures(int example, Span<double> destination)
    {
        var o = 0;
        if (HasTaskBias)
        {
            destination[o++] = 1;
        }

        for (var k = 0; k < _p.Rank; k++)
        {
            destination[o++] = _p.ExampleFactors[((long)k * ExampleCount) + example];
        }
    }

    // Prior precision P and P m in units where the likelihood is sum (y - f.w)^2 / sigma^2 (Gaussian) or the
    // Bernoulli log-likelihood (logistic).
    private void PriorTerms(FoldInPrior prior, Span<double> precision, Span<double> precisionMean)
    {
        var p = _taskDim;
        precision.Clear();
        precisionMean.Clear();
        if (prior == FoldInPrior.Empirical && _p.TaskPrior is { } empirical)
        {
            empirical.Precision.CopyTo(precision);
            empirical.PrecisionTimesMean.CopyTo(precisionMean);
            return;
        }

        // Ridge: penalty lambda on the raw squared-error scale, i.e. lambda / sigma^2 in likelihood units.
        var scale = _p.Logistic ? 1 : 1 / NoiseFloor();
        for (var k = 0; k < p; k++)
        {
            var penalty = HasTaskBias && k == 0 ? _p.TaskBiasPenalty : _p.TaskFactorPenalty;
            precision[(k * p) + k] = Math.Max(penalty, 1e-12) * scale;
        }
    }

    private double NoiseFloor() => Math.Max(_p.NoiseVariance, 1e-300);

    private GaussianFold FoldGaussian(double[] features, double[] targets, ReadOnlySpan<double> precision, ReadOnlySpan<double> precisionMean)
    {
        var p = _taskDim;
        var noise = NoiseFloor();
        var a = new double[p * p];
        var w = new double[p];
        for (var t = 0; t < targets.Length; t++)
        {
            var f = features.AsSpan(t * p, p);
            for (var r = 0; r < p; r++)
            {
                w[r] += f[r] * targets[t] / noise;
                for (var c = 0; c < p; c++)
                {
                    a[(r * p) + c] += f[r] * f[c] / noise;
                }
            }
        }

        for (var r = 0; r < p; r++)
        {
            w[r] += precisionMean[r];
            for (var c = 0; c < p; c++)
            {
                a[(r * p) + c] += precision[(r * p) + c];
            }
        }

        if (p > 0 && !Cholesky.Factor(a, p))
        {
            throw new InvalidOperationException("Fold-in normal equations are not positive definite; the model's parameters are degenerate.");
        }

        Cholesky.Solve(a, p, w);
        Cholesky.Invert(a, p);
        return new GaussianFold(this, targets.Length, w, a);
    }

    private LogisticFold FoldLogistic(double[] features, double[] targets, ReadOnlySpan<int> examples, ReadOnlySpan<double> precision, ReadOnlySpan<double> precisionMean)
    {
        var p = _taskDim;
        var k = targets.Length;
        var w = new double[p];
        var priorMean = new double[p];
        if (p > 0)
        {
            // Start at the prior mean: solve P m = (P m).
            var pc = precision.ToArray();
            precisionMean.CopyTo(priorMean);
            if (Cholesky.Factor(pc, p))
            {
                Cholesky.Solve(pc, p, priorMean);
            }

            priorMean.CopyTo(w, 0);
        }

        var offsets = new double[k];
        for (var t = 0; t < k; t++)
        {
            offsets[t] = Offset(examples[t]);
        }

        var h = new double[p * p];
        var g = new double[p];
        var trial = new double[p];
        var current = LogisticObjective(features, targets, offsets, w, precision, priorMean);
        for (var iteration = 0; iteration < 100 && p > 0; iteration++)
        {
            // Newton direction for the penalised negative log-likelihood.
            Array.Clear(h);
            for (var r = 0; r < p; r++)
            {
                double s = 0;
                for (var c = 0; c < p; c++)
                {
                    s += precision[(r * p) + c] * (w[c] - priorMean[c]);
                    h[(r * p) + c] = precision[(r * p) + c];
                }

                g[r] = -s;
            }

            for (var t = 0; t < k; t++)
            {
                var f = features.AsSpan(t * p, p);
                var prob = Sigmoid(offsets[t] + Dot(f, w));
                var weight = Math.Max(prob * (1 - prob), 1e-12);
                for (var r = 0; r < p; r++)
                {
                    g[r] += (targets[t] - prob) * f[r];
                    for (var c = 0; c < p; c++)
                    {
                        h[(r * p) + c] += weight * f[r] * f[c];
                    }
                }
            }

            if (!Cholesky.Factor(h, p))
            {
                break;
            }

            Cholesky.Solve(h, p, g);

            // Backtracking: halve the step until the objective does not increase (Newton can overshoot where
            // p (1 - p) is tiny).
            var step = 1.0;
            double next;
            do
            {
                for (var r = 0; r < p; r++)
                {
                    trial[r] = w[r] + (step * g[r]);
                }

                next = LogisticObjective(features, targets, offsets, trial, precision, priorMean);
                step /= 2;
            }
            while (next > current && step > 1e-10);

            var change = current - next;
            if (next <= current)
            {
                trial.CopyTo(w, 0);
                current = next;
            }

            if (!(change > 1e-12 * Math.Max(1, Math.Abs(current))))
            {
                break;
            }
        }

        // Posterior covariance at the mode: inverse Hessian.
        Array.Clear(h);
        for (var r = 0; r < p; r++)
        {
            for (var c = 0; c < p; c++)
            {
                h[(r * p) + c] = precision[(r * p) + c];
            }
        }

        for (var t = 0; t < k; t++)
        {
            var f = features.AsSpan(t * p, p);
            var eta = offsets[t];
            for (var r = 0; r < p; r++)
            {
                eta += f[r] * w[r];
            }

            var weight = Math.Max(Sigmoid(eta) * (1 - Sigmoid(eta)), 1e-12);
            for (var r = 0; r < p; r++)
            {
                for (var c = 0; c < p; c++)
                {
                    h[(r * p) + c] += weight * f[r] * f[c];
                }
            }
        }

        if (p > 0 && Cholesky.Factor(h, p))
        {
            Cholesky.Invert(h, p);
        }

        return new LogisticFold(this, k, w, h);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    // Penalised negative log-likelihood of a logistic fold-in: sum_t [log(1 + e^eta) - y eta] + (w - m)^T P (w - m) / 2.
    private static double LogisticObjective(double[] features, double[] targets, double[] offsets, ReadOnlySpan<double> w, ReadOnlySpan<double> precision, ReadOnlySpan<double> priorMean)
    {
        var p = w.Length;
        double total = 0;
        for (var t = 0; t < targets.Length; t++)
        {
            var eta = offsets[t] + Dot(features.AsSpan(t * p, p), w);
            total += (eta > 0 ? eta + Math.Log(1 + Math.Exp(-eta)) : Math.Log(1 + Math.Exp(eta))) - (targets[t] * eta);
        }

        for (var r = 0; r < p; r++)
        {
            double s = 0;
            for (var c = 0; c < p; c++)
            {
                s += precision[(r * p) + c] * (w[c] - priorMean[c]);
            }

            total += 0.5 * (w[r] - priorMean[r]) * s;
        }

        return total;
    }

    private void PredictFolded(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, Span<double> mean, Span<double> std, bool addNoise)
    {
        var bias = HasTaskBias ? w[0] : 0;
        var factors = HasTaskBias ? w[1..] : w;

        // Logistic predictions need each example's variance even when no std is asked for: the probit-adjusted
        // probability depends on it, and the prediction must not depend on whether std was requested.
        if (_p.Logistic && std.Length == 0 && _taskDim > 0)
        {
            PredictFolded(w, covariance, mean, new double[mean.Length], addNoise);
            return;
        }

        LinearRow(factors, _p.GlobalMean + bias, mean, covariance, _taskDim == 0 ? default : std);
        if (std.Length != 0 && _taskDim == 0)
        {
            std.Clear();
        }

        if (_p.Logistic)
        {
            // Probit approximation of E[sigmoid(eta)] under eta ~ N(mean, var); std by the delta method.
            for (var j = 0; j < mean.Length; j++)
            {
                var variance = std.Length != 0 ? Math.Max(std[j], 0) : 0;
                var prob = Sigmoid(mean[j] / Math.Sqrt(1 + (Math.PI * variance / 8)));
                if (std.Length != 0)
                {
                    std[j] = prob * (1 - prob) * Math.Sqrt(variance);
                }

                mean[j] = prob;
            }
        }
        else if (std.Length != 0)
        {
            // sqrt(max(variance, 0) + noise), three vector passes (IEEE max, add and sqrt are exact per lane, so any
            // vector width gives the same bits).
            TensorPrimitives.Max(std, 0, std);
            if (addNoise && _exampleNoise is not null)
            {
                TensorPrimitives.Add(std, _exampleNoise, std);
            }
            else
            {
                TensorPrimitives.Add(std, addNoise ? _p.NoiseVariance : 0, std);
            }

            TensorPrimitives.Sqrt(std, std);
        }
    }

    /// <summary>The example side in single precision with the examples in <paramref name="order"/> (for <see cref="Erasure.RowScanner"/>); null for logistic models.</summary>
    internal SingleLayout? CreateSingleLayout(int[] order) =>
        _p.Logistic ? null : new SingleLayout(_p.ExampleFactors, _p.Rank, _p.ExampleBiases, ExampleNoiseVariance, order);

    // One example's mean and std as PredictFolded computes them for a Gaussian fold: the row kernel's scalar form is
    // bit-identical to its vector body, and max, add and sqrt are exact per value.
    private (double Mean, double Std) PredictFoldedCell(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, int example)
    {
        Span<double> mean = stackalloc double[1];
        Span<double> variance = stackalloc double[1];
        var withVariance = _taskDim > 0;
        RowPrediction.Evaluate(_p.ExampleFactors, ExampleCount, _p.Rank, HasTaskBias ? w[1..] : w, _p.ExampleBiases, _p.GlobalMean + (HasTaskBias ? w[0] : 0),
            example, mean, HasTaskBias, covariance, withVariance ? variance : default);
        var quadratic = withVariance ? Math.Max(variance[0], 0) : 0;
        return (mean[0], Math.Sqrt(quadratic + ExampleNoiseVariance(example)));
    }

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

    internal static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    // Variance of a new task's mean residual over a set of examples.
    private double MeanResidualVariance(ReadOnlySpan<int> examples)
    {
        var size = examples.Length;
        if (_exampleNoise is null)
        {
            return _p.NoiseVariance / size;
        }

        var n = ExampleCount;
        var total = _isotropicNoise / size;
        for (var k = 0; k < _p.ResidualRank; k++)
        {
            var w = _p.ResidualFactors.AsSpan(k * n, n);
            double sum = 0;
            foreach (var j in examples)
            {
                sum += (float)w[j];
            }

            var mean = _p.ResidualScales[k] * sum / size;
            total += mean * mean;
        }

        return total;
    }

    // Average of x_j over a set of examples, with x_j = ([1], V_j): the features of the set's mean.
    private double[] MeanFeatures(ReadOnlySpan<int> examples)
    {
        var x = new double[_taskDim];
        var o = HasTaskBias ? 1 : 0;
        if (HasTaskBias)
        {
            x[0] = 1;
        }

        foreach (var j in examples)
        {
            for (var k = 0; k < _p.Rank; k++)
            {
                x[o + k] += _p.ExampleFactors[((long)k * ExampleCount) + j] / examples.Length;
            }
        }

        return x;
    }

    // What a group's average needs from the model, whatever the new task: the mean example features, the mean example bias
    // and the variance of the mean residual. O((r + q) n) to compute, so large groups are remembered (a service asks for
    // the same groups of a model with every request).
    private GroupMoments Moments(ReadOnlySpan<int> examples)
    {
        if (examples.Length < GroupCache.MinimumSize)
        {
            return ComputeMoments(examples);
        }

        return _groups.GetOrAdd(examples, ComputeMoments);
    }

    private GroupMoments ComputeMoments(ReadOnlySpan<int> examples)
    {
        double bias = 0;
        if (HasExampleBias)
        {
            foreach (var j in examples)
            {
                bias += _p.ExampleBiases[j];
            }

            bias /= examples.Length;
        }

        return new GroupMoments(MeanFeatures(examples), bias, MeanResidualVariance(examples));
    }

    /// <summary>A Gaussian fold-in: task parameters ([a], w) with their posterior covariance.</summary>
    internal sealed class GaussianFold(FactorModel model, int known, double[] w, double[] posteriorCovariance)
        : FoldedTask(model.ExampleCount, known, false)
    {
        /// <summary>The model the task was folded into.</summary>
        public FactorModel Model => model;

        /// <summary>Posterior mean of the task parameters: the task bias first when the model has one, then the r factors.</summary>
        public ReadOnlySpan<double> Parameters => w;

        /// <summary>Posterior covariance of <see cref="Parameters"/>, row-major.</summary>
        public ReadOnlySpan<double> Covariance => posteriorCovariance;

        /// <summary>Example <paramref name="example"/>'s mean and std, bit-identical to <see cref="FoldedTask.PredictRow(Span{double}, Span{double})"/>.</summary>
        public (double Mean, double Std) PredictCell(int example) => model.PredictFoldedCell(w, posteriorCovariance, example);

        protected override void PredictRowCore(Span<double> mean, Span<double> std) =>
            model.PredictFolded(w, posteriorCovariance, mean, std, addNoise: true);

        // The group mean is linear in w: mean = mu + mean(b) + xbar . w, variance = xbar^T C xbar plus the variance of the
        // group's mean residual (sigma^2 / n, or with residual components sum_k mean(W_k)^2 + iso / n).
        protected override (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
        {
            var moments = model.Moments(examples);
            var x = moments.Features;
            var mean = model.GlobalMean + moments.ExampleBias;
            for (var a = 0; a < x.Length; a++)
            {
                mean += x[a] * w[a];
            }

            return (mean, Quadratic(x) + moments.ResidualVariance);
        }

        internal override double ParameterVariance(ReadOnlySpan<int> examples) => Quadratic(model.Moments(examples).Features);

        // x^T C x, clamped at 0 against rounding.
        private double Quadratic(double[] x)
        {
            var p = x.Length;
            double quad = 0;
            for (var a = 0; a < p; a++)
            {
                for (var b = 0; b < p; b++)
                {
                    quad += x[a] * posteriorCovariance[(a * p) + b] * x[b];
                }
            }

            return Math.Max(quad, 0);
        }
    }

    private sealed class LogisticFold(FactorModel model, int known, double[] w, double[] posteriorCovariance)
        : FoldedTask(model.ExampleCount, known, true)
    {
        protected override void PredictRowCore(Span<double> mean, Span<double> std) =>
            model.PredictFolded(w, posteriorCovariance, mean, std, addNoise: false);

        // Delta method: the share forgotten p-bar has gradient mean_j p_j (1 - p_j) x_j in w, so its parameter variance is
        // g^T C g; the realised share adds Bernoulli noise mean_j p_j (1 - p_j) / n.
        protected override (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
        {
            var mean = new double[model.ExampleCount];
            PredictRowCore(mean, default);
            var p = w.Length;
            var g = new double[p];
            var x = new double[p];
            double share = 0, bernoulli = 0;
            foreach (var j in examples)
            {
                var slope = mean[j] * (1 - mean[j]);
                share += mean[j] / examples.Length;
                bernoulli += slope / examples.Length / examples.Length;
                model.ExampleFeatures(j, x);
                for (var k = 0; k < p; k++)
                {
                    g[k] += slope * x[k] / examples.Length;
                }
            }

            double quad = 0;
            for (var a = 0; a < p; a++)
            {
                for (var b = 0; b < p; b++)
                {
                    quad += g[a] * posteriorCovariance[(a * p) + b] * g[b];
                }
            }

            return (share, Math.Max(quad, 0) + bernoulli);
        }
    }
}
