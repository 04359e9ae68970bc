using System.Globalization;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Features;

/// <summary>Settings of <see cref="TaskFeatureModel.Fit"/>.</summary>
public sealed record TaskFeatureOptions
{
    /// <summary>
    /// Relative reduction of a component's leave-one-out error below which its features are not used (the component keeps the
    /// model's own prior): guards against choosing noise among many candidates. Default: max(0.1, 1 / sqrt(M)).
    /// </summary>
    public double? MinimumGain { get; init; }

    /// <summary>Worker threads for the candidates, or -1 for all cores. Results are bit-identical for every value.</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>The default options.</summary>
    public static TaskFeatureOptions Default { get; } = new();

    /// <summary>Throws when a setting is out of range, naming it and its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        Parallelism.Validate(MaxThreads, nameof(MaxThreads));

        if (MinimumGain is { } gain && !(gain >= 0 && gain < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumGain), gain, "MinimumGain must be at least 0 and below 1.");
        }
    }
}

/// <summary>Everything that defines a <see cref="TaskFeatureModel"/> that uses features: what a model file stores.</summary>
/// <remarks>Arrays are row-major; p is the task parameter dimension, M the number of training tasks, d the view's width.</remarks>
public sealed record TaskFeatureModelParts
{
    /// <summary>
    /// The chosen views of the features: one file's view, or several files' concatenated (each weighted to count the same,
    /// see <see cref="TaskFeatureModel.Views"/>).
    /// </summary>
    public required IReadOnlyList<FeatureView> Views { get; init; }

    /// <summary>
    /// The views of the blocks left out because every column was constant over the training tasks (see
    /// <see cref="TaskFeatureModel.ConstantViews"/>); empty when there are none (and in files written before they were kept).
    /// </summary>
    public IReadOnlyList<FeatureView> ConstantViews { get; init; } = [];

    /// <summary>Bandwidth of the Gaussian kernel in standardised units; 0 for the linear kernel.</summary>
    public required double Bandwidth { get; init; }

    /// <summary>The training tasks' encoded features (M x d).</summary>
    public required double[] TrainEncoded { get; init; }

    /// <summary>Kernel ridge weights in component space (M x p).</summary>
    public required double[] Alpha { get; init; }

    /// <summary>The model's prior mean (p).</summary>
    public required double[] PriorMean { get; init; }

    /// <summary>The principal directions of the model's prior (p x p, columns are directions).</summary>
    public required double[] Basis { get; init; }

    /// <summary>Per component the feature prior's variance (p).</summary>
    public required double[] FeatureVariances { get; init; }

    /// <summary>Per component the model's own prior variance (p).</summary>
    public required double[] OwnVariances { get; init; }

    /// <summary>
    /// Per component the kernel ridge penalty (p; 0 where the features are not used), or empty for a model whose prior variance
    /// does not follow the distance from the training tasks (files written before it did).
    /// </summary>
    public double[] Penalties { get; init; } = [];

    /// <summary>Per component the scale of the distance-dependent prior variance (as long as <see cref="Penalties"/>).</summary>
    public double[] Spread { get; init; } = [];

    /// <summary>The model's own prior.</summary>
    public required GaussianPrior Fallback { get; init; }

    /// <summary>The fit report (its candidate list may be empty after a round trip).</summary>
    public required TaskFeatureReport Report { get; init; }
}

/// <summary>One candidate kernel of the feature model and how well it did in leave-one-out cross-validation.</summary>
/// <param name="Description">The view (or views joined by " + ") and kernel, e.g. "tasks.csv (log), rbf 2" or "tasks.csv (log) + task_emb.npy, linear".</param>
/// <param name="RelativeError">Leave-one-out error of the predicted rows relative to the model's own prior (1 = no better; lower is better).</param>
public sealed record FeatureCandidate(string Description, double RelativeError);

/// <summary>What a task feature model learned: which features mattered and how much.</summary>
/// <param name="UsesFeatures">False when no candidate beat the model's own prior: the features carry no signal and the prior is unchanged.</param>
/// <param name="Chosen">The chosen candidate's description ("none" when unused).</param>
/// <param name="RelativeError">Leave-one-out error of the rows predicted with the chosen features relative to without (the cell-scale RMSE ratio is its square root).</param>
/// <param name="ComponentGains">Per principal component of the task parameters (largest first): the share of its variance the features explain (0 where unused).</param>
/// <param name="Candidates">Every candidate, best first.</param>
public sealed record TaskFeatureReport(bool UsesFeatures, string Chosen, double RelativeError, IReadOnlyList<double> ComponentGains, IReadOnlyList<FeatureCandidate> Candidates);

/// <summary>
/// A prior for a new task's parameters (a_T, U_T) from its features: kernel ridge regression (a Gaussian process with the
/// model's prior as its mean) fitted on the training tasks' parameters, with the feature view, kernel and strength chosen
/// by closed-form leave-one-out cross-validation, separately for each principal component of the parameters. Components the
/// features do not predict keep the model's own prior, so with uninformative features the prior is the model's own.
/// </summary>
/// <remarks>
/// <para>The candidate views are each feature block alone (numeric blocks as given or on a log scale) and, given several
/// blocks, all of them together (as given, and with numeric blocks on a log scale): the blocks' encoded columns
/// concatenated, each block scaled by sqrt(D / (B w_b)) (B blocks of widths w_b, D their total width) so that every block
/// weighs the same in the kernel whatever its width, and the whole keeps a single view's scale. A task's forgetting often
/// depends on its settings and its data together (how far a learning rate moves the model differs by the kind of text);
/// the combination lets one kernel see both. Every subset of the blocks as a candidate was tried and dropped: with ~14
/// training tasks per fold of the ensemble's cross-validation the extra choices were overfitted.</para>
/// <para>The prior's covariance is the leave-one-out error covariance of the features' predictions (honest: measured on
/// tasks the regression did not see), per component scaled by the Gaussian process's predictive variance at the new task
/// relative to its leave-one-out variances at the training tasks: a task whose features lie among the training tasks' gets
/// about the leave-one-out error, one unlike any of them (a learning rate never tried, another kind of data) a wider prior.
/// Folding in k measured cells then updates it as usual, so predictions improve from k = 0 and the features' weight falls
/// as cells accumulate.</para>
/// <para>Cost of a prior: one kernel row over the M training tasks (O(M d) for d encoded columns), O(M^2) for its variance
/// (after one O(M^3) eigendecomposition of the training tasks' kernel matrix, on the first prior) and O(M p + p^3).</para>
/// <threadsafety>Immutable; safe for concurrent use.</threadsafety>
/// </remarks>
public sealed class TaskFeatureModel
{
    private static readonly double[] s_bandwidths = [0.5, 1, 2];
    private static readonly double[] s_lambdas = [1e-3, 1e-2, 1e-1, 1, 10, 100];
    private static readonly double[] s_widenings = [2, 4, 8, 16, 64];

    private readonly FeatureView[] _views;
    private readonly double[] _viewWeights;     // per view: its scale in the concatenation (1 for a single view)
    private readonly int _width;                // the views' total width
    private readonly double[] _trainEncoded;   // M x width of the chosen views
    private readonly double[] _alpha;          // M x p (component space)
    private readonly double[] _priorMean;      // p
    private readonly double[] _basis;          // p x p (columns = components)
    private readonly GaussianPrior _fallback;
    private readonly double[] _covariance;
    private readonly double[] _featureVariances;   // per component: the leave-one-out variance where features are used, else the model's own
    private readonly double[] _ownVariances;       // per component: the model's own prior variance
    private readonly double[] _lambdas;            // per component: the kernel ridge penalty (0 where features are not used); empty without spread
    private readonly double[] _spread;             // per component: sigma_c^2 of the distance-dependent variance (see Spread); empty in older files
    private readonly Lazy<(double[] Values, double[] Vectors)> _gramEigen;

    private TaskFeatureModel(FeatureView[] views, KernelSpec kernel, double[] trainEncoded, double[] alpha, double[] priorMean, double[] basis, double[] featureVariances,
        double[] ownVariances, GaussianPrior fallback, TaskFeatureReport report, int taskCount, double[] lambdas, double[] spread,
        (double[] Values, double[] Vectors)? gramEigen = null)
    {
        _featureVariances = featureVariances;
        _ownVariances = ownVariances;
        _lambdas = lambdas;
        _spread = spread;
        _covariance = views.Length == 0 ? fallback.Covariance.ToArray() : Covariance(basis, featureVariances, ownVariances, 1);
        _views = views;
        Views = Array.AsReadOnly(views);
        _viewWeights = ViewWeights(views);
        _width = views.Sum(v => v.EncodedWidth);
        Kernel = kernel;
        _trainEncoded = trainEncoded;
        _alpha = alpha;
        _priorMean = priorMean;
        _basis = basis;
        _fallback = fallback;
        Report = report;
        TaskCount = taskCount;
        var width = _width;
        _gramEigen = gramEigen is { } known ? new(known) : new(() => GramEigen(KernelSpec.Grams([kernel], trainEncoded, taskCount, width)[0], taskCount));
    }

    /// <summary>
    /// The chosen views of the features (one, or several concatenated), or empty when the features carry no signal. A query's
    /// features must hold a block like each of them.
    /// </summary>
    public IReadOnlyList<FeatureView> Views { get; }

    /// <summary>
    /// The views of the blocks whose every column had one value over the training tasks (every task of one family): they
    /// carry no information, so no candidate uses them and a query need not give them. Each keeps its columns and their
    /// training values (<see cref="FeatureView.Shift"/>), so a task that differs there (another family) can be warned about.
    /// Empty when every block varies.
    /// </summary>
    public IReadOnlyList<FeatureView> ConstantViews { get; private init; } = [];

    /// <summary>The chosen kernel.</summary>
    internal KernelSpec Kernel { get; }

    /// <summary>Number of training tasks.</summary>
    public int TaskCount { get; }

    /// <summary>Dimension of the task parameter vector.</summary>
    public int Dimension => _priorMean.Length;

    /// <summary>What the fit learned.</summary>
    public TaskFeatureReport Report { get; }

    /// <summary>True when the features changed the prior.</summary>
    public bool UsesFeatures => _views.Length > 0;

    /// <summary>The parts a model file stores, or null when the model does not use features (nothing to store).</summary>
    public TaskFeatureModelParts? Parts => _views.Length == 0 ? null : new TaskFeatureModelParts
    {
        // Copies: changing the parts never changes the model.
        Views = Views,
        ConstantViews = ConstantViews,
        Bandwidth = Kernel.Bandwidth,
        TrainEncoded = [.. _trainEncoded],
        Alpha = [.. _alpha],
        PriorMean = [.. _priorMean],
        Basis = [.. _basis],
        FeatureVariances = [.. _featureVariances],
        OwnVariances = [.. _ownVariances],
        Penalties = [.. _lambdas],
        Spread = [.. _spread],
        Fallback = _fallback,
        Report = Report,
    };

    /// <summary>Rebuilds a feature model from its stored parts, checking every size.</summary>
    /// <exception cref="ArgumentException">A size disagrees or a value is not finite.</exception>
    public static TaskFeatureModel Restore(TaskFeatureModelParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(parts.Views);
        var p = parts.Fallback.Dimension;
        var d = parts.Views.Sum(v => v.EncodedWidth);
        var m = parts.TrainEncoded.Length / Math.Max(d, 1);
        if (parts.Views.Count == 0 || parts.Views.Any(v => v.EncodedWidth == 0) || parts.PriorMean.Length != p || parts.Basis.Length != p * p || parts.FeatureVariances.Length != p || parts.OwnVariances.Length != p
            || parts.TrainEncoded.Length != m * d || parts.Alpha.Length != m * p || m < 2 || !(parts.Bandwidth >= 0)
            || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(parts.TrainEncoded) || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(parts.Alpha)
            || parts.FeatureVariances.Concat(parts.OwnVariances).Concat(parts.Basis).Concat(parts.PriorMean).Any(v => !double.IsFinite(v))
            || parts.Penalties.Length != parts.Spread.Length || (parts.Penalties.Length != 0 && parts.Penalties.Length != p)
            || parts.Penalties.Concat(parts.Spread).Any(v => !(v >= 0 && double.IsFinite(v))))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Task feature model parts are inconsistent (p = {p}, {parts.Views.Count} views of width {d} (none may be 0: a view with every column constant is not used), {parts.TrainEncoded.Length} encoded values, {parts.Alpha.Length} weights, {parts.Penalties.Length} penalties and {parts.Spread.Length} spreads, which must be finite and not negative)."), nameof(parts));
        }

        FeatureView.CheckConstantViews(parts.ConstantViews, parts.Views, nameof(parts));
        return new TaskFeatureModel([.. parts.Views], new KernelSpec(parts.Bandwidth), [.. parts.TrainEncoded], [.. parts.Alpha], [.. parts.PriorMean], [.. parts.Basis], [.. parts.FeatureVariances],
            [.. parts.OwnVariances], parts.Fallback, parts.Report, m, [.. parts.Penalties], [.. parts.Spread])
        {
            ConstantViews = Array.AsReadOnly<FeatureView>([.. parts.ConstantViews]),
        };
    }

    /// <summary>
    /// Fits the feature model of <paramref name="model"/> from the features of its training tasks.
    /// </summary>
    /// <param name="model">A fitted Gaussian factor model with a task prior.</param>
    /// <param name="features">Features of the model's training tasks (aligned by id; extra ids are ignored).</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <exception cref="ArgumentException">The model is logistic or has no task prior, or a training task has no features.</exception>
    public static TaskFeatureModel Fit(FactorModel model, FeatureSet features, TaskFeatureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        if (model.PredictsProbability)
        {
            throw new ArgumentException("Task features apply to Gaussian factor models (additive, rank1, mf, task-mean); this model is logistic.", nameof(model));
        }

        if (model.TaskPrior is not { } prior)
        {
            throw new ArgumentException("The model has no task prior (it needs at least two training tasks), so task features cannot refine it.", nameof(model));
        }

        options?.Validate();
        var parallel = Parallelism.Options(options?.MaxThreads ?? -1);
        var aligned = features.AlignTo(model.TaskIds);
        var m = model.TaskCount;
        var p = prior.Dimension;
        var theta = TaskParameters(model);

        // Principal components that do not depend on the units of the data: the factor model splits the scale of U_i V_j
        // between the two sides as its penalties have it (each grows as the square root of the data's scale, the bias as the
        // scale), so components of the raw parameters mixed the bias and the factors differently at different scales.
        var units = CellUnits(model);
        var scaled = new double[p * p];
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b < p; b++)
            {
                scaled[(a * p) + b] = units[a] * prior.Covariance[(a * p) + b] * units[b];
            }
        }

        var eigen = SymmetricEigen.Decompose(scaled, p, computeVectors: true);
        var components = eigen.Vectors!;
        var basis = new double[p * p];     // reconstruction: theta - mean = basis z
        for (var k = 0; k < p; k++)
        {
            for (var c = 0; c < p; c++)
            {
                basis[(k * p) + c] = components[(k * p) + c] / units[k];
            }
        }

        var z = new double[m * p];
        for (var i = 0; i < m; i++)
        {
            for (var c = 0; c < p; c++)
            {
                double s = 0;
                for (var k = 0; k < p; k++)
                {
                    s += (theta[(i * p) + k] - prior.Mean[k]) * units[k] * components[(k * p) + c];
                }

                z[(i * p) + c] = s;
            }
        }

        var metric = ComponentMetric(model, basis, p);
        var minimumGain = options?.MinimumGain ?? Math.Max(0.1, 1 / Math.Sqrt(m));

        // Plain leave-one-out: the mean of the other tasks, i.e. z_i * m / (m - 1) (z is centred on the sample mean).
        var plain = new double[m * p];
        for (var t = 0; t < plain.Length; t++)
        {
            plain[t] = z[t] * m / (m - 1.0);
        }

        var plainError = CellError(plain, metric, m, p);
        // Every (view, kernel) candidate is evaluated independently, in parallel; the choice is then made in candidate order,
        // so the result does not depend on the thread count.
        var kernels = KernelSpec.All(s_bandwidths).ToArray();
        var views = CandidateViews(aligned.Blocks).ToArray();
        var constantViews = Array.AsReadOnly(FeatureView.AsGiven(aligned.Blocks).Where(v => v.EncodedWidth == 0).ToArray());
        var encodings = new double[views.Length][];
        var grams = new double[views.Length][][];
        Parallel.For(0, views.Length, parallel, v =>
        {
            encodings[v] = EncodeAll(views[v].Views, views[v].Blocks, m);
            grams[v] = KernelSpec.Grams(kernels, encodings[v], m, views[v].Views.Sum(w => w.EncodedWidth));
        });
        var choices = new Choice[views.Length * kernels.Length];
        Parallel.For(0, choices.Length, parallel, t => choices[t] = Evaluate(grams[t / kernels.Length][t % kernels.Length], z, plain, metric, m, p, minimumGain));

        var candidates = new List<FeatureCandidate>();
        Choice? best = null;
        for (var t = 0; t < choices.Length; t++)
        {
            var (candidateViews, kernel, choice) = (views[t / kernels.Length].Views, kernels[t % kernels.Length], choices[t]);
            var description = string.Join(" + ", candidateViews.Select(v => v.Description));
            var relative = plainError > 0 ? choice.Error / plainError : 1;
            candidates.Add(new FeatureCandidate($"{description}, {kernel}", relative));
            if (choice.Error < plainError && (best is null || choice.Error < best.Error))
            {
                best = choice with { Views = candidateViews, Kernel = kernel, Encoded = encodings[t / kernels.Length], Description = description, Gram = grams[t / kernels.Length][t % kernels.Length] };
            }
        }

        var ordered = candidates.OrderBy(c => c.RelativeError).ToArray();
        if (best is null)
        {
            var none = new TaskFeatureReport(false, "none", 1, new double[p], ordered);
            return new TaskFeatureModel([], KernelSpec.Linear, [], [], prior.Mean.ToArray(), basis, [], [], prior, none, m, [], []) { ConstantViews = constantViews };
        }

        // Prior covariance: per component the leave-one-out error variance of its prediction, or the model's own variance.
        var variances = new double[p];
        var gains = new double[p];
        for (var c = 0; c < p; c++)
        {
            var own = Math.Max(eigen.Values[c], 0);
            if (best.Lambdas[c] > 0)
            {
                double s = 0;
                for (var i = 0; i < m; i++)
                {
                    s += best.Loo[(i * p) + c] * best.Loo[(i * p) + c];
                }

                variances[c] = s / m;
                gains[c] = own > 0 ? Math.Max(0, 1 - (variances[c] / own)) : 0;
            }
            else
            {
                variances[c] = own;
            }
        }

        var report = new TaskFeatureReport(true, $"{best.Description}, {best.Kernel}", best.Error / plainError, gains, ordered);
        var ownVariances = eigen.Values.Select(v => Math.Max(v, 0)).ToArray();
        var gramEigen = GramEigen(best.Gram!, m);
        var spread = Spread(gramEigen, best.Loo, best.Lambdas, m, p);
        return new TaskFeatureModel(best.Views!, best.Kernel!, best.Encoded!, best.Alpha, prior.Mean.ToArray(), basis, variances, ownVariances, prior, report, m, best.Lambdas, spread, gramEigen)
        {
            ConstantViews = constantViews,
        };
    }

    /// <summary>
    /// The prior of a new task's parameters from its features: <paramref name="features"/> must hold a block named like each
    /// chosen view's (other blocks are ignored) with one row, or be selected with <paramref name="row"/>.
    /// </summary>
    /// <remarks>
    /// Each component's variance grows with the task's distance from the training tasks in the features (the Gaussian process's
    /// predictive variance of the kernel ridge regression, scaled so that over the training tasks it matches the leave-one-out
    /// errors): a task like the training ones gets about the leave-one-out error, one unlike any of them a wider prior.
    /// </remarks>
    /// <exception cref="ArgumentException">The features lack a block the model uses, or its columns differ.</exception>
    public GaussianPrior Prior(FeatureSet features, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (_views.Length == 0)
        {
            return _fallback;
        }

        var (mean, variances) = MeanAndVariances(features, row);
        return PriorAt(mean, variances);
    }

    /// <summary>The prior for an encoded feature row.</summary>
    internal GaussianPrior PriorOfEncoded(ReadOnlySpan<double> encoded)
    {
        if (_views.Length == 0)
        {
            return _fallback;
        }

        var (mean, variances) = MeanAndVariances(encoded);
        return PriorAt(mean, variances);
    }

    private (double[] Mean, double[]? Variances) MeanAndVariances(FeatureSet features, int row)
    {
        var blocks = FeatureView.AlignAll(_views, features, "task");
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, features.Count);
        Span<double> encoded = _width <= 1024 ? stackalloc double[_width] : new double[_width];
        FeatureView.EncodeConcatenated(_views, blocks, row, _viewWeights, encoded);
        return MeanAndVariances(encoded);
    }

    // The prior mean of an encoded row, and its per-component variances (null where the model has no spread: a file written
    // before the variances followed the distance, whose prior keeps the leave-one-out variances everywhere).
    private (double[] Mean, double[]? Variances) MeanAndVariances(ReadOnlySpan<double> encoded)
    {
        var m = TaskCount;
        var p = Dimension;
        var width = _width;
        Span<double> component = stackalloc double[p];
        var kernelRow = new double[m];
        for (var i = 0; i < m; i++)
        {
            var k = kernelRow[i] = Kernel.Value(encoded, _trainEncoded.AsSpan(i * width, width)) + KernelSpec.Constant;
            for (var c = 0; c < p; c++)
            {
                component[c] += k * _alpha[(i * p) + c];
            }
        }

        var mean = new double[p];
        for (var a = 0; a < p; a++)
        {
            double s = _priorMean[a];
            for (var c = 0; c < p; c++)
            {
                s += _basis[(a * p) + c] * component[c];
            }

            mean[a] = s;
        }

        return (mean, _spread.Length == 0 ? null : VariancesAt(encoded, kernelRow));
    }

    // The prior at a task: its mean, and its per-component variances (null: the leave-one-out variances everywhere).
    private GaussianPrior PriorAt(double[] mean, double[]? variances) =>
        new(mean, variances is null ? _covariance : Covariance(_basis, variances, _ownVariances, 1));

    // Per component sigma_c^2 = mean_i e_i^2 [H_c^-1]_ii, H_c = K + C + lambda_c I: e_i the leave-one-out error of task i and
    // 1 / [H_c^-1]_ii the Gaussian process's predictive variance factor there, so sigma_c^2 times a new task's factor
    // (VariancesAt) averages to the leave-one-out error over the training tasks and grows away from them. 0 where unused.
    // [H_c^-1]_ii = sum_j V_ij^2 / (e_j + lambda_c) from the eigendecomposition of K + C that the queries use too.
    private static double[] Spread((double[] Values, double[] Vectors) eigen, double[] loo, double[] lambdas, int m, int p)
    {
        var (values, vectors) = eigen;
        var spread = new double[p];
        for (var c = 0; c < p; c++)
        {
            if (lambdas[c] <= 0)
            {
                continue;
            }

            double s = 0;
            for (var i = 0; i < m; i++)
            {
                double inverse = 0;
                for (var j = 0; j < m; j++)
                {
                    var v = vectors[(i * m) + j];
                    inverse += v * v / (Math.Max(values[j], 0) + lambdas[c]);
                }

                s += loo[(i * p) + c] * loo[(i * p) + c] * inverse;
            }

            spread[c] = s / m;
        }

        return spread;
    }

    // Per component the prior variance at an encoded row: sigma_c^2 (lambda_c + k(x, x) + C - h^T (K + C + lambda_c I)^-1 h),
    // h the row's kernel values (with C) against the training tasks, through one eigendecomposition of K + C for every
    // component's penalty; the model's leave-one-out variance where a component does not use features.
    private double[] VariancesAt(ReadOnlySpan<double> encoded, ReadOnlySpan<double> kernelRow)
    {
        var m = TaskCount;
        var (values, vectors) = _gramEigen.Value;
        var projection = new double[m];
        for (var i = 0; i < m; i++)
        {
            var h = kernelRow[i];
            var row = vectors.AsSpan(i * m, m);
            for (var j = 0; j < m; j++)
            {
                projection[j] += row[j] * h;
            }
        }

        var self = Kernel.Value(encoded, encoded) + KernelSpec.Constant;
        var result = (double[])_featureVariances.Clone();
        for (var c = 0; c < result.Length; c++)
        {
            var lambda = _lambdas[c];
            if (lambda <= 0)
            {
                continue;
            }

            double explained = 0;
            for (var j = 0; j < m; j++)
            {
                explained += projection[j] * projection[j] / (Math.Max(values[j], 0) + lambda);
            }

            // A Gaussian kernel's prediction far from every training task falls back to the intercept, the model's own prior
            // mean: its variance is then the model's own, not the fallback's many times over. A linear kernel extrapolates,
            // and so does its variance. Past overflow (a setting of 1e160 on a linear view), the leave-one-out variance.
            var variance = _spread[c] * (lambda + Math.Max(0, self - explained));
            result[c] = !double.IsFinite(variance) ? _featureVariances[c]
                : Kernel.Bandwidth > 0 ? Math.Min(variance, Math.Max(_ownVariances[c], _featureVariances[c]))
                : variance;
        }

        return result;
    }

    // The eigendecomposition of the training tasks' kernel matrix K + C (from K, m x m).
    private static (double[] Values, double[] Vectors) GramEigen(double[] gram, int m)
    {
        var withConstant = new double[m * m];
        for (var t = 0; t < withConstant.Length; t++)
        {
            withConstant[t] = gram[t] + KernelSpec.Constant;
        }

        var eigen = SymmetricEigen.Decompose(withConstant, m, computeVectors: true);
        return (eigen.Values, eigen.Vectors!);
    }

    /// <summary>
    /// The prior for a new task with measured cells: the feature prior, widened (up to the model's own variance in each component)
    /// or replaced by the model's own prior when the measured cells disagree with it: of these candidates, the one under which the
    /// measured cells are most likely (the marginal likelihood of the cells, an empirical-Bayes choice per task). With no cell,
    /// <see cref="Prior(FeatureSet, int)"/>.
    /// </summary>
    /// <param name="features">The task's features.</param>
    /// <param name="row">The task's row in <paramref name="features"/>.</param>
    /// <param name="model">The model this feature model was fitted for.</param>
    /// <param name="examples">The measured examples.</param>
    /// <param name="values">Their values.</param>
    /// <exception cref="ArgumentException">The features lack the block the model uses, or the measured cells are invalid.</exception>
    public GaussianPrior Prior(FeatureSet features, int row, FactorModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        if (_views.Length == 0)
        {
            return _fallback;
        }

        var (mean, atTask) = MeanAndVariances(features, row);
        var featureVariances = atTask ?? _featureVariances;
        var prior = PriorAt(mean, atTask);
        if (examples.Length == 0)
        {
            return prior;
        }

        FoldedTask.ValidateKnown(examples, values, model.ExampleCount);
        var p = Dimension;
        if ((model.HasTaskBias ? 1 : 0) + model.Rank != p || model.TaskCount != TaskCount)
        {
            throw new ArgumentException("This task feature model was fitted for another model (its task parameters differ); use the model it was fitted with.", nameof(model));
        }

        var noise = Math.Max(model.NoiseVariance, 1e-300);
        var gram = new double[p * p];
        var x = new double[p];
        var targets = new double[examples.Length];
        var design = new double[examples.Length * p];
        for (var t = 0; t < examples.Length; t++)
        {
            model.ExampleFeatures(examples[t], x);
            x.CopyTo(design, t * p);
            targets[t] = values[t] - model.Offset(examples[t]);
            for (var a = 0; a < p; a++)
            {
                for (var b = 0; b < p; b++)
                {
                    gram[(a * p) + b] += x[a] * x[b] / noise;
                }
            }
        }

        var best = prior;
        var bestEvidence = Evidence(prior.Mean, prior.Covariance, gram, design, targets, noise, p);
        foreach (var widening in s_widenings)
        {
            var candidate = new GaussianPrior(prior.Mean, Covariance(_basis, featureVariances, _ownVariances, widening));
            var evidence = Evidence(candidate.Mean, candidate.Covariance, gram, design, targets, noise, p);
            if (evidence > bestEvidence)
            {
                (best, bestEvidence) = (candidate, evidence);
            }
        }

        return Evidence(_fallback.Mean, _fallback.Covariance, gram, design, targets, noise, p) > bestEvidence ? _fallback : best;
    }

    // Log marginal likelihood (up to a constant) of the targets y ~ N(X m, X S X^T + s2 I), by Woodbury with A = S^-1 + X^T X / s2:
    // -(r^T r / s2 - g^T A^-1 g + log det A + log det S) / 2 with r = y - X m, g = X^T r / s2 (the k log s2 term is common to all).
    private static double Evidence(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance, double[] gram, double[] x, double[] y, double noise, int p)
    {
        var s = covariance.ToArray();
        if (!Cholesky.Factor(s, p))
        {
            return double.NegativeInfinity;
        }

        double logDetS = 0;
        for (var a = 0; a < p; a++)
        {
            logDetS += 2 * Math.Log(s[(a * p) + a]);
        }

        Cholesky.Invert(s, p);
        var g = new double[p];
        double rr = 0;
        for (var t = 0; t < y.Length; t++)
        {
            var r = y[t];
            for (var a = 0; a < p; a++)
            {
                r -= x[(t * p) + a] * mean[a];
            }

            rr += r * r / noise;
            for (var a = 0; a < p; a++)
            {
                g[a] += x[(t * p) + a] * r / noise;
            }
        }

        for (var t = 0; t < s.Length; t++)
        {
            s[t] += gram[t];
        }

        if (!Cholesky.Factor(s, p))
        {
            return double.NegativeInfinity;
        }

        double logDetA = 0;
        for (var a = 0; a < p; a++)
        {
            logDetA += 2 * Math.Log(s[(a * p) + a]);
        }

        var solved = (double[])g.Clone();
        Cholesky.Solve(s, p, solved);
        double quadratic = 0;
        for (var a = 0; a < p; a++)
        {
            quadratic += g[a] * solved[a];
        }

        return -0.5 * (rr - quadratic + logDetA + logDetS);
    }

    // Q diag(v_c) Q^T with v_c = min(widening * feature variance, own variance) where features are used, plus a tiny floor.
    private static double[] Covariance(double[] basis, double[] featureVariances, double[] ownVariances, double widening)
    {
        var p = featureVariances.Length;
        var variances = new double[p];
        for (var c = 0; c < p; c++)
        {
            variances[c] = Math.Min(widening * featureVariances[c], Math.Max(ownVariances[c], featureVariances[c]));
        }

        var floor = Math.Max(variances.Average(), 1e-300) * 1e-6;
        var covariance = new double[p * p];
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                double sum = 0;
                for (var c = 0; c < p; c++)
                {
                    sum += basis[(a * p) + c] * (variances[c] + floor) * basis[(b * p) + c];
                }

                covariance[(a * p) + b] = sum;
                covariance[(b * p) + a] = sum;
            }
        }

        return covariance;
    }

    // Per task parameter, its unit in the principal components: the factors as they are, and the bias divided by the square
    // root of the data's scale, which puts it in the factors' units (each side of U_i V_j carries the square root of the
    // scale, the bias all of it). The scale is the RMS of the training tasks' fitted cells, mean_j (mu + b_j)^2 + mean_i a_i^2
    // + sum_k mean_i U_ik^2 mean_j V_kj^2 without the cross terms. The components are then those of the parameters of the
    // matrix in units where its typical cell is about 1, whatever units it came in.
    private static double[] CellUnits(FactorModel model)
    {
        var units = new double[(model.HasTaskBias ? 1 : 0) + model.Rank];
        units.AsSpan().Fill(1);
        if (model.HasTaskBias && model.Rank > 0)
        {
            int m = model.TaskCount, n = model.ExampleCount, r = model.Rank;
            double square = 0;
            for (var j = 0; j < n; j++)
            {
                square += model.Offset(j) * model.Offset(j) / n;
            }

            square += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(model.TaskBiases) / m;
            for (var k = 0; k < r; k++)
            {
                double tasks = 0;
                for (var i = 0; i < m; i++)
                {
                    tasks += model.TaskFactors[(i * r) + k] * model.TaskFactors[(i * r) + k];
                }

                square += tasks / m * System.Numerics.Tensors.TensorPrimitives.SumOfSquares(model.ExampleFactors.Slice(k * n, n)) / n;
            }

            var scale = Math.Sqrt(square);
            units[0] = scale > 0 && double.IsFinite(scale) ? 1 / Math.Sqrt(scale) : 1;
        }

        return units;
    }

    /// <summary>The training tasks' parameter vectors (M x p): (a_i, U_i) as the fold-in orders them.</summary>
    internal static double[] TaskParameters(FactorModel model)
    {
        var m = model.TaskCount;
        var r = model.Rank;
        var bias = model.HasTaskBias ? 1 : 0;
        var p = bias + r;
        var theta = new double[m * p];
        for (var i = 0; i < m; i++)
        {
            if (bias == 1)
            {
                theta[i * p] = model.TaskBiases[i];
            }

            for (var k = 0; k < r; k++)
            {
                theta[(i * p) + bias + k] = model.TaskFactors[(i * r) + k];
            }
        }

        return theta;
    }

    // G = Q^T (F F^T / N) Q: the squared error of a cell, averaged over examples, per pair of components (F = ([1], V_j)).
    private static double[] ComponentMetric(FactorModel model, double[] basis, int p)
    {
        var n = model.ExampleCount;
        var bias = model.HasTaskBias ? 1 : 0;
        var gram = new double[p * p];
        var factors = model.ExampleFactors;
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                double s;
                if (a < bias)
                {
                    s = 1;
                }
                else if (b < bias)
                {
                    s = System.Numerics.Tensors.TensorPrimitives.Sum(factors.Slice((a - bias) * n, n)) / n;
                }
                else
                {
                    s = System.Numerics.Tensors.TensorPrimitives.Dot(factors.Slice((a - bias) * n, n), factors.Slice((b - bias) * n, n)) / n;
                }

                gram[(a * p) + b] = s;
                gram[(b * p) + a] = s;
            }
        }

        var metric = new double[p * p];
        for (var c = 0; c < p; c++)
        {
            for (var d = 0; d < p; d++)
            {
                double s = 0;
                for (var a = 0; a < p; a++)
                {
                    for (var b = 0; b < p; b++)
                    {
                        s += basis[(a * p) + c] * gram[(a * p) + b] * basis[(b * p) + d];
                    }
                }

                metric[(c * p) + d] = s;
            }
        }

        return metric;
    }

    private static double CellError(double[] residuals, double[] metric, int m, int p)
    {
        double total = 0;
        for (var i = 0; i < m; i++)
        {
            for (var c = 0; c < p; c++)
            {
                var rc = residuals[(i * p) + c];
                for (var d = 0; d < p; d++)
                {
                    total += rc * metric[(c * p) + d] * residuals[(i * p) + d];
                }
            }
        }

        return total / m;
    }

    // For one Gram matrix: per component the ridge strength with the smallest leave-one-out error, used only when it beats
    // the plain prior by the minimum gain; the cell-scale error of the resulting predictions.
    private static Choice Evaluate(double[] gram, double[] z, double[] plain, double[] metric, int m, int p, double minimumGain)
    {
        var loo = (double[])plain.Clone();
        var alpha = new double[m * p];
        var lambdas = new double[p];
        var bestError = new double[p];
        for (var c = 0; c < p; c++)
        {
            double s = 0;
            for (var i = 0; i < m; i++)
            {
                s += plain[(i * p) + c] * plain[(i * p) + c];
            }

            bestError[c] = s * (1 - minimumGain);
        }

        var scale = 0.0;
        for (var i = 0; i < m; i++)
        {
            scale += gram[(i * m) + i] / m;
        }

        scale = Math.Max(scale, 1e-12);
        var h = new double[m * m];
        var y = new double[m];
        foreach (var relative in s_lambdas)
        {
            var lambda = relative * scale;
            for (var t = 0; t < h.Length; t++)
            {
                h[t] = gram[t] + KernelSpec.Constant;
            }

            for (var i = 0; i < m; i++)
            {
                h[(i * m) + i] += lambda;
            }

            if (!Cholesky.Factor(h, m))
            {
                continue;
            }

            Cholesky.Invert(h, m);
            for (var c = 0; c < p; c++)
            {
                for (var i = 0; i < m; i++)
                {
                    double s = 0;
                    for (var j = 0; j < m; j++)
                    {
                        s += h[(i * m) + j] * z[(j * p) + c];
                    }

                    y[i] = s;
                }

                double error = 0;
                for (var i = 0; i < m; i++)
                {
                    var e = y[i] / h[(i * m) + i];
                    error += e * e;
                }

                if (error < bestError[c])
                {
                    bestError[c] = error;
                    lambdas[c] = lambda;
                    for (var i = 0; i < m; i++)
                    {
                        loo[(i * p) + c] = y[i] / h[(i * m) + i];
                        alpha[(i * p) + c] = y[i];
                    }
                }
            }
        }

        return new Choice(CellError(loo, metric, m, p), loo, alpha, lambdas);
    }

    // The candidate view sets: each block's views alone, then (given several blocks) all blocks together, once with every view
    // as given and once with numeric blocks on a log scale where they allow it. A block whose every column is constant over the
    // training tasks carries no information and is left out, as if it had not been given (the model keeps its view in
    // ConstantViews, to warn about a query that differs there).
    private static IEnumerable<(FeatureView[] Views, FeatureBlock[] Blocks)> CandidateViews(IReadOnlyList<FeatureBlock> given)
    {
        var informative = given.Select(b => (Block: b, Views: FeatureView.Candidates(b).ToArray())).Where(b => b.Views[0].EncodedWidth > 0).ToArray();
        var blocks = informative.Select(b => b.Block).ToArray();
        var perBlock = informative.Select(b => b.Views).ToArray();
        for (var b = 0; b < perBlock.Length; b++)
        {
            foreach (var view in perBlock[b])
            {
                yield return ([view], [blocks[b]]);
            }
        }

        var count = blocks.Length;
        if (count < 2)
        {
            yield break;
        }

        FeatureBlock[] all = [.. blocks];
        yield return ([.. perBlock.Select(views => views[0])], all);
        if (perBlock.Any(views => views.Length > 1))
        {
            yield return ([.. perBlock.Select(views => views[^1])], all);
        }
    }

    // Per view its scale in a concatenation: sqrt(D / (B w_b)), so each of B blocks contributes about D / B to a row's squared
    // norm (D in all, like one standardised view of width D); 1 for a single view. The widths are the encoded ones: a column
    // constant over the training tasks counts in neither D nor w_b.
    private static double[] ViewWeights(FeatureView[] views)
    {
        if (views.Length <= 1)
        {
            return [.. views.Select(_ => 1.0)];
        }

        double total = views.Sum(v => v.EncodedWidth);
        return [.. views.Select(v => Math.Sqrt(total / (views.Length * (double)v.EncodedWidth)))];
    }

    // Every training task's features in the views (M x total width), view b encoding blocks[b].
    private static double[] EncodeAll(FeatureView[] views, FeatureBlock[] blocks, int count)
    {
        var width = views.Sum(v => v.EncodedWidth);
        var weights = ViewWeights(views);
        var result = new double[count * width];
        for (var i = 0; i < count; i++)
        {
            FeatureView.EncodeConcatenated(views, blocks, i, weights, result.AsSpan(i * width, width));
        }

        return result;
    }

    private sealed record Choice(double Error, double[] Loo, double[] Alpha, double[] Lambdas)
    {
        public FeatureView[]? Views { get; init; }

        public string? Description { get; init; }

        public KernelSpec? Kernel { get; init; }

        public double[]? Encoded { get; init; }

        public double[]? Gram { get; init; }
    }
}

/// <summary>A kernel between encoded feature rows: linear (x . y / d) or Gaussian exp(-|x - y|^2 / (2 d h^2)).</summary>
/// <param name="Bandwidth">Bandwidth h of the Gaussian kernel in standardised units; 0 for the linear kernel.</param>
internal sealed record KernelSpec(double Bandwidth)
{
    /// <summary>The constant added to every kernel value: an intercept, penalised like the rest.</summary>
    public const double Constant = 1;

    /// <summary>The linear kernel.</summary>
    public static KernelSpec Linear { get; } = new(0);

    /// <summary>The linear kernel and a Gaussian kernel per bandwidth.</summary>
    public static IEnumerable<KernelSpec> All(double[] bandwidths) => [Linear, .. bandwidths.Select(h => new KernelSpec(h))];

    /// <summary>The kernel between two encoded rows.</summary>
    public double Value(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var d = x.Length;
        if (Bandwidth == 0)
        {
            return System.Numerics.Tensors.TensorPrimitives.Dot(x, y) / d;
        }

        var squared = 0.0;
        for (var k = 0; k < d; k++)
        {
            var diff = x[k] - y[k];
            squared += diff * diff;
        }

        return Math.Exp(-squared / (2 * d * Bandwidth * Bandwidth));
    }

    /// <summary>
    /// The m x m Gram matrix of encoded rows (m x width, row-major) for each of <paramref name="kernels"/>: the squared distances
    /// are summed once for all the Gaussian kernels (each entry as <see cref="Value"/> gives it, bit for bit).
    /// </summary>
    public static double[][] Grams(IReadOnlyList<KernelSpec> kernels, double[] encoded, int m, int width)
    {
        var squared = kernels.Any(k => k.Bandwidth != 0) ? new double[m * m] : [];
        if (squared.Length > 0)
        {
            for (var i = 0; i < m; i++)
            {
                var x = encoded.AsSpan(i * width, width);
                for (var j = 0; j < i; j++)
                {
                    var y = encoded.AsSpan(j * width, width);
                    var sum = 0.0;
                    for (var k = 0; k < width; k++)
                    {
                        var diff = x[k] - y[k];
                        sum += diff * diff;
                    }

                    squared[(i * m) + j] = squared[(j * m) + i] = sum;
                }
            }
        }

        var result = new double[kernels.Count][];
        for (var c = 0; c < kernels.Count; c++)
        {
            var kernel = kernels[c];
            var gram = result[c] = new double[m * m];
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    var v = kernel.Bandwidth == 0
                        ? kernel.Value(encoded.AsSpan(i * width, width), encoded.AsSpan(j * width, width))
                        : Math.Exp(-squared[(i * m) + j] / (2 * width * kernel.Bandwidth * kernel.Bandwidth));
                    gram[(i * m) + j] = gram[(j * m) + i] = v;
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => Bandwidth == 0 ? "linear" : string.Create(CultureInfo.InvariantCulture, $"rbf {Bandwidth:0.##}");
}
