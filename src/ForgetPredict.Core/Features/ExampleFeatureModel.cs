using System.Globalization;
using System.Numerics.Tensors;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Features;

/// <summary>Settings of <see cref="ExampleFeatureModel.Fit"/>.</summary>
public sealed record ExampleFeatureOptions
{
    /// <summary>Worker threads for the passes over the examples, or -1 for all cores. Results are bit-identical for every value.</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>The default options.</summary>
    public static ExampleFeatureOptions Default { get; } = new();

    /// <summary>Throws when a setting is out of range, naming it and its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        Parallelism.Validate(MaxThreads, nameof(MaxThreads));
    }
}

/// <summary>
/// Cold columns: upstream examples never measured on any task (new pre-training data) get their example parameters
/// (b_j, V_j) from their features, by ridge regression on the measured examples' fitted parameters. Every feature block is
/// standardised and weighs the same (a column constant over the measured examples is left out: it carries no information, so
/// it does not count in its block's width); the ridge strength of each parameter is chosen by closed-form leave-one-out
/// cross-validation over the measured examples, and its leave-one-out error variance widens the predictive interval.
/// </summary>
/// <remarks>Cost of the fit: O(N d^2 + d^3) for N measured examples and d encoded columns. Immutable.</remarks>
public sealed class ExampleFeatureModel
{
    private static readonly double[] s_lambdas = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

    /// <summary>The ridge strengths tried, relative to the mean diagonal of the features' Gram matrix with the intercept column.</summary>
    internal static IReadOnlyList<double> RelativeStrengths => s_lambdas;

    private readonly FactorModel _model;
    private readonly FeatureView[] _views;
    private readonly double[] _scales;        // per view 1 / sqrt(width)
    private readonly int _width;
    private readonly double[] _weights;      // (d + 1) x q, the intercept last; q = (example bias ? 1 : 0) + rank
    private readonly double[] _errorVariance; // q: leave-one-out error variance of each predicted parameter

    private ExampleFeatureModel(FactorModel model, FeatureView[] views, int width, double[] weights, double[] errorVariance)
    {
        _model = model;
        _views = views;
        Views = Array.AsReadOnly(views);
        _scales = FeatureView.BalancedScales(views);
        _width = width;
        _weights = weights;
        _errorVariance = errorVariance;
    }

    /// <summary>Per example parameter (b first when the model has example biases, then V[0..r)) the share of its variance the features explain.</summary>
    public IReadOnlyList<double> ExplainedShare { get; private init; } = [];

    /// <summary>The views of the feature blocks, in the order the regression uses them: every one must be given for new examples.</summary>
    public IReadOnlyList<FeatureView> Views { get; }

    /// <summary>
    /// The views of the blocks whose every column had one value over the measured examples (a categorical column with one
    /// level): they carry no information, so the regression leaves them out and a new example need not give them. Each keeps
    /// its columns and their training values (<see cref="FeatureView.Shift"/>), so a new example that differs there (a new
    /// source) can be warned about. Empty when every block varies.
    /// </summary>
    public IReadOnlyList<FeatureView> ConstantViews { get; private init; } = [];

    /// <summary>The parts a model file stores (the model itself is stored beside them): copies, so changing them never changes the model.</summary>
    public ExampleFeatureModelParts Parts => new()
    {
        Views = Views,
        ConstantViews = ConstantViews,
        Weights = [.. _weights],
        ErrorVariance = [.. _errorVariance],
        ExplainedShare = [.. ExplainedShare],
    };

    /// <summary>Rebuilds an example feature model of <paramref name="model"/> from its stored parts, checking every size.</summary>
    /// <exception cref="ArgumentException">A size disagrees with the views or the model, or a value is not finite.</exception>
    public static ExampleFeatureModel Restore(FactorModel model, ExampleFeatureModelParts parts)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parts);
        var q = (model.HasExampleBias ? 1 : 0) + model.Rank;
        var width = parts.Views.Sum(v => v.EncodedWidth);
        if (parts.Views.Count == 0 || parts.Views.Any(v => v.EncodedWidth == 0) || parts.Weights.Length != (width + 1) * q || parts.ErrorVariance.Length != q || parts.ExplainedShare.Length != q
            || !TensorPrimitives.IsFiniteAll<double>(parts.Weights) || parts.ErrorVariance.Any(v => !(v >= 0) || double.IsInfinity(v)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Example feature model parts are inconsistent ({parts.Views.Count} views of width {width}, none of which may have every column constant, {parts.Weights.Length} weights, {parts.ErrorVariance.Length} variances, {q} example parameters)."), nameof(parts));
        }

        FeatureView.CheckConstantViews(parts.ConstantViews, parts.Views, nameof(parts));
        return new ExampleFeatureModel(model, [.. parts.Views], width, [.. parts.Weights], [.. parts.ErrorVariance])
        {
            ExplainedShare = Array.AsReadOnly<double>([.. parts.ExplainedShare]),
            ConstantViews = Array.AsReadOnly<FeatureView>([.. parts.ConstantViews]),
        };
    }

    /// <summary>
    /// Fits the regression of <paramref name="model"/>'s example parameters on <paramref name="features"/> (aligned by example id),
    /// over the examples some training task measured (the model's unmeasured ones have no fitted parameters to learn from).
    /// </summary>
    /// <param name="model">A fitted Gaussian factor model.</param>
    /// <param name="features">Features of the model's examples (aligned by id; extra ids are ignored).</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <exception cref="ArgumentException">The model is logistic or an example has no features.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static ExampleFeatureModel Fit(FactorModel model, FeatureSet features, ExampleFeatureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        options?.Validate();
        if (model.PredictsProbability)
        {
            throw new ArgumentException("Example features apply to Gaussian factor models; this model is logistic.", nameof(model));
        }

        var aligned = features.AlignTo(model.ExampleIds);
        var measured = UnmeasuredColumns.Measured(model.UnmeasuredExamples, model.ExampleCount);
        if (measured.Length < model.ExampleCount)
        {
            aligned = aligned.Select(measured);
        }

        // A block whose every column is constant over the measured examples carries no information: left out of the regression,
        // as if not given (a view leaves out its constant columns itself), but kept to warn about a new example that differs there.
        var given = FeatureView.AsGiven(aligned.Blocks);
        var informative = Enumerable.Range(0, given.Length).Where(b => given[b].EncodedWidth > 0).ToArray();
        if (informative.Length == 0)
        {
            throw new ArgumentException(
                $"Every example feature column ({string.Join(", ", given.SelectMany(v => v.Columns).Take(8))}{(given.Sum(v => v.Columns.Count) > 8 ? ", ..." : string.Empty)}) has the same value for every measured example, so the features cannot tell examples apart; give features that vary.",
                nameof(features));
        }

        var views = informative.Select(b => given[b]).ToArray();
        FeatureBlock[] blocks = [.. informative.Select(b => aligned.Blocks[b])];
        var n = measured.Length;
        var width = views.Sum(v => v.EncodedWidth);
        var q = (model.HasExampleBias ? 1 : 0) + model.Rank;
        var targets = new double[q * n];
        var all = model.ExampleCount;
        for (var k = 0; k < q; k++)
        {
            var source = model.HasExampleBias && k == 0 ? model.ExampleBiases : model.ExampleFactors.Slice((k - (model.HasExampleBias ? 1 : 0)) * all, all);
            var target = targets.AsSpan(k * n, n);
            if (n == all)
            {
                source.CopyTo(target);
            }
            else
            {
                for (var j = 0; j < n; j++)
                {
                    target[j] = source[measured[j]];
                }
            }
        }

        var targetMeans = new double[q];
        var total = new double[q];
        for (var k = 0; k < q; k++)
        {
            var y = targets.AsSpan(k * n, n);
            targetMeans[k] = TensorPrimitives.Sum<double>(y) / n;
            for (var j = 0; j < n; j++)
            {
                total[k] += (y[j] - targetMeans[k]) * (y[j] - targetMeans[k]) / n;
            }
        }

        // The intercept is not penalised, so the ridge on the centred features x_j - mu gives the same weights, and the
        // leverage of example j is 1/n + s_j^T (L + lambda)^-1 s_j with C = Q L Q^T the centred Gram matrix and s_j = Q^T (x_j - mu):
        // one eigen-decomposition and one pass over the examples serve every strength.
        var rows = new ChunkedRows(views, blocks, n, (options ?? ExampleFeatureOptions.Default).MaxThreads);
        var mu = rows.Mean();
        var (gram, xty) = rows.CentredGram(mu, targets, targetMeans, q);
        var eigen = SymmetricEigen.Decompose(gram, width, computeVectors: true);
        var values = eigen.Values.Select(v => Math.Max(v, 0)).ToArray();
        var basis = eigen.Vectors!;
        var t = new double[q * width];   // Q^T X^T y per parameter
        for (var k = 0; k < q; k++)
        {
            for (var b = 0; b < width; b++)
            {
                TensorPrimitives.MultiplyAdd<double>(basis.AsSpan(b * width, width), xty[(k * width) + b], t.AsSpan(k * width, width), t.AsSpan(k * width, width));
            }
        }

        // The strengths are relative to the mean diagonal of the uncentred Gram matrix with its intercept column.
        var scale = (Enumerable.Range(0, width).Sum(a => gram[a * (width + 1)]) + (n * TensorPrimitives.Dot<double>(mu, mu)) + n) / (width + 1);
        var lambdas = s_lambdas.Select(relative => relative * scale).ToArray();
        var errors = rows.LeaveOneOutErrors(mu, basis, values, t, targets, targetMeans, q, lambdas);

        var weights = new double[(width + 1) * q];
        var errorVariance = new double[q];
        var explained = new double[q];
        var w = new double[width];
        for (var k = 0; k < q; k++)
        {
            var best = -1;
            for (var l = 0; l < lambdas.Length; l++)
            {
                if (double.IsFinite(errors[(k * lambdas.Length) + l]) && (best < 0 || errors[(k * lambdas.Length) + l] < errors[(k * lambdas.Length) + best]))
                {
                    best = l;
                }
            }

            if (best < 0)
            {
                // No strength gave a finite error: the parameter's mean, with its whole variance as the error.
                weights[(width * q) + k] = targetMeans[k];
                errorVariance[k] = total[k];
                continue;
            }

            // w = Q (L + lambda)^-1 t; the intercept makes the prediction at the mean features the parameter's mean.
            Array.Clear(w);
            for (var a = 0; a < width; a++)
            {
                var shrunk = t[(k * width) + a] / (values[a] + lambdas[best]);
                for (var b = 0; b < width; b++)
                {
                    w[b] += basis[(b * width) + a] * shrunk;
                }
            }

            for (var a = 0; a < width; a++)
            {
                weights[(a * q) + k] = w[a];
            }

            weights[(width * q) + k] = targetMeans[k] - TensorPrimitives.Dot<double>(mu, w);
            errorVariance[k] = errors[(k * lambdas.Length) + best] / n;
            explained[k] = total[k] > 0 ? Math.Max(0, 1 - (errorVariance[k] / total[k])) : 0;
        }

        return new ExampleFeatureModel(model, views, width, weights, errorVariance)
        {
            ExplainedShare = Array.AsReadOnly(explained),
            ConstantViews = Array.AsReadOnly(given.Where(v => v.EncodedWidth == 0).ToArray()),
        };
    }

    /// <summary>
    /// Predicts a folded task's forgetting on new examples from their features: mean mu + b_j + w . V_j with the predicted
    /// (b_j, V_j), and a standard deviation that adds the parameters' leave-one-out error and the task's parameter uncertainty to
    /// the cell noise.
    /// </summary>
    /// <param name="task">A task folded into the model this feature model was fitted for.</param>
    /// <param name="features">The new examples' features (the same blocks and columns as at fit time).</param>
    /// <param name="mean">Receives one prediction per new example.</param>
    /// <param name="std">Receives the predictive standard deviations, or empty.</param>
    /// <exception cref="ArgumentException">The task is not of this model, the features do not match, or a span has the wrong length.</exception>
    public void PredictNewExamples(FoldedTask task, FeatureSet features, Span<double> mean, Span<double> std)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(features);
        if (task.LinearGaussian is not { } fold || !ReferenceEquals(fold.Model, _model))
        {
            throw new ArgumentException("The task was not folded into the model this example feature model was fitted for.", nameof(task));
        }

        if (mean.Length != features.Count || (std.Length != 0 && std.Length != features.Count))
        {
            throw new ArgumentException("Give one destination cell per new example.", nameof(mean));
        }

        var blocks = FeatureView.AlignAll(_views, features, "example");
        var bias = _model.HasExampleBias ? 1 : 0;
        var taskBias = _model.HasTaskBias ? 1 : 0;
        var w = fold.Parameters.ToArray();
        var c = fold.Covariance.ToArray();
        var p = w.Length;
        var row = new double[_width + 1];
        var parameters = new double[_errorVariance.Length];
        var xj = new double[p];
        for (var j = 0; j < features.Count; j++)
        {
            mean[j] = Predict(blocks, j, w, row, parameters, xj);
            if (std.Length != 0)
            {
                // Noise + parameter uncertainty x^T C x + the predicted example parameters' error, weighted by E[w^2].
                var variance = _model.NoiseVariance + (bias == 1 ? _errorVariance[0] : 0);
                for (var a = 0; a < p; a++)
                {
                    for (var b = 0; b < p; b++)
                    {
                        variance += xj[a] * c[(a * p) + b] * xj[b];
                    }
                }

                for (var k = 0; k < _model.Rank; k++)
                {
                    var wk = w[taskBias + k];
                    variance += _errorVariance[bias + k] * ((wk * wk) + c[((taskBias + k) * p) + taskBias + k]);
                }

                std[j] = Math.Sqrt(Math.Max(variance, 0));
            }
        }
    }

    /// <summary>
    /// The expected average forgetting of a group made of some of the model's examples and some new examples (cold columns), and
    /// the variance of that average: <see cref="FoldedTask.Average"/> extended to new examples, each taken as
    /// <see cref="PredictNewExamples"/> predicts it. The task's parameters are shared by every member, so their uncertainty enters
    /// once, through the mean of the members' features (the new examples' predicted V_j among them); the cell noise is
    /// independent across cells, so each new example adds the noise variance / n^2, as an unmeasured example of the model does;
    /// the new examples' parameter errors (the features' leave-one-out error) are not assumed independent, since the regression
    /// says nothing of how they correlate (new examples of one source, a level the model never saw, share one miss): their
    /// standard deviations add, the largest variance any correlation allows. So a group of new examples is never surer of its
    /// mean than of its average member's parameters, however many it holds, and its interval is wider than its measured
    /// examples' alone.
    /// </summary>
    /// <param name="task">A task folded into the model this feature model was fitted for.</param>
    /// <param name="members">The group's examples of the model (ascending indices; may be empty).</param>
    /// <param name="features">The new examples' features (those of <see cref="PredictNewExamples"/>).</param>
    /// <param name="newMembers">The group's new examples: rows of <paramref name="features"/> (may be empty, not both).</param>
    /// <returns>The group's mean forgetting, (sum of its members' predictions) / n, and the variance of that mean.</returns>
    /// <exception cref="ArgumentException">The task is not of this model, the features do not match, a member or row is out of
    /// range, or the group is empty.</exception>
    public (double Mean, double Variance) Average(FoldedTask task, ReadOnlySpan<int> members, FeatureSet features, ReadOnlySpan<int> newMembers)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(features);
        if (task.LinearGaussian is not { } fold || !ReferenceEquals(fold.Model, _model))
        {
            throw new ArgumentException("The task was not folded into the model this example feature model was fitted for.", nameof(task));
        }

        if (members.IsEmpty && newMembers.IsEmpty)
        {
            throw new ArgumentException("Average over an empty set of examples.", nameof(members));
        }

        foreach (var j in members)
        {
            if ((uint)j >= (uint)_model.ExampleCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Example index {j} is outside 0..{_model.ExampleCount - 1}."), nameof(members));
            }
        }

        foreach (var j in newMembers)
        {
            if ((uint)j >= (uint)features.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"New example row {j} is outside 0..{features.Count - 1}."), nameof(newMembers));
            }
        }

        var w = fold.Parameters.ToArray();
        var c = fold.Covariance.ToArray();
        var p = w.Length;
        var (m, k) = (members.Length, newMembers.Length);
        double n = m + k;

        // Sums over the members: of the features x_j (their mean's x^T C x is the shared part), of the predictions, of the
        // variances that are independent across examples, and of the new examples' parameter errors' standard deviations.
        var x = new double[p];
        double sum = 0, independent = 0, errorStd = 0;
        if (m > 0)
        {
            var (measuredX, bias, residual, unmeasured) = _model.GroupParts(members, w, c);
            var measuredMean = _model.GlobalMean + bias;
            for (var a = 0; a < p; a++)
            {
                measuredMean += measuredX[a] * w[a];
                x[a] = m * measuredX[a];
            }

            sum = m * measuredMean;
            independent = (double)m * m * (residual + unmeasured);
        }

        if (k > 0)
        {
            var blocks = FeatureView.AlignAll(_views, features, "example");
            var row = new double[_width + 1];
            var parameters = new double[_errorVariance.Length];
            var xj = new double[p];
            var error = (_model.HasExampleBias ? _errorVariance[0] : 0) + FactorError(w, c);
            foreach (var j in newMembers)
            {
                sum += Predict(blocks, j, w, row, parameters, xj);
                for (var a = 0; a < p; a++)
                {
                    x[a] += xj[a];
                }

                independent += _model.NoiseVariance;
                errorStd += Math.Sqrt(Math.Max(error, 0));
            }
        }

        double quad = 0;
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b < p; b++)
            {
                quad += x[a] * c[(a * p) + b] * x[b];
            }
        }

        return (sum / n, (Math.Max(quad, 0) + independent + (errorStd * errorStd)) / (n * n));
    }

    // New example j's forgetting for task parameters w: mu + b_j + x_j . w, with its predicted parameters in parameters (b first
    // when the model has example biases, then V_j) and its fold-in features x_j = ([1], V_j) in xj; row is scratch.
    private double Predict(IReadOnlyList<FeatureBlock> blocks, int j, double[] w, double[] row, double[] parameters, double[] xj)
    {
        var q = _errorVariance.Length;
        var bias = _model.HasExampleBias ? 1 : 0;
        var taskBias = _model.HasTaskBias ? 1 : 0;
        Encode(_views, _scales, blocks, j, row);
        for (var k = 0; k < q; k++)
        {
            double s = 0;
            for (var a = 0; a < row.Length; a++)
            {
                s += row[a] * _weights[(a * q) + k];
            }

            parameters[k] = s;
        }

        if (taskBias == 1)
        {
            xj[0] = 1;
        }

        for (var k = 0; k < _model.Rank; k++)
        {
            xj[taskBias + k] = parameters[bias + k];
        }

        var m = _model.GlobalMean + (bias == 1 ? parameters[0] : 0);
        for (var a = 0; a < w.Length; a++)
        {
            m += xj[a] * w[a];
        }

        return m;
    }

    // The predicted factors' error as a new task sees it: sum_k errorVariance(V_k) E[w_k^2], E[w_k^2] = w_k^2 + C_kk (the same
    // for every new example: the leave-one-out error is one variance per parameter).
    private double FactorError(double[] w, double[] c)
    {
        var bias = _model.HasExampleBias ? 1 : 0;
        var taskBias = _model.HasTaskBias ? 1 : 0;
        var p = w.Length;
        double error = 0;
        for (var k = 0; k < _model.Rank; k++)
        {
            var wk = w[taskBias + k];
            error += _errorVariance[bias + k] * ((wk * wk) + c[((taskBias + k) * p) + taskBias + k]);
        }

        return error;
    }

    /// <summary>
    /// The feature of row <paramref name="row"/> of <paramref name="features"/> that lies farthest from the measured examples'
    /// values, in their standard deviations on the view's scale (the largest standardised value over every view's columns): the
    /// feature to name when a new example's prediction is an extrapolation or overflows.
    /// </summary>
    /// <returns>The view (block) and column, the feature's raw value and its distance in standard deviations (infinite when it overflows).</returns>
    /// <exception cref="ArgumentException">The features do not match the fit's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of <paramref name="features"/>.</exception>
    public (string View, string Column, double Value, double Deviations) Farthest(FeatureSet features, int row)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, features.Count);
        var farthest = (View: _views[0].BlockName, Column: _views[0].Columns[0], Value: double.NaN, Deviations: -1.0);
        var blocks = FeatureView.AlignAll(_views, features, "example");
        for (var v = 0; v < _views.Length; v++)
        {
            var view = _views[v];
            var raw = blocks[v].Row(row);
            var encoded = new double[view.EncodedWidth];
            view.Encode(raw, encoded);
            for (var e = 0; e < encoded.Length; e++)
            {
                // Encoded columns only: a constant column is not read, so it is never the one to name.
                var c = view.ColumnOf(e);
                var deviations = Math.Abs(encoded[e]);
                if (deviations > farthest.Deviations || (double.IsNaN(deviations) && farthest.Deviations < double.PositiveInfinity))
                {
                    farthest = (view.BlockName, view.Columns[c], raw[c], double.IsNaN(deviations) ? double.PositiveInfinity : deviations);
                }
            }
        }

        return farthest;
    }

    /// <summary>
    /// The model with its unmeasured examples (<see cref="FactorModel.UnmeasuredExamples"/>) predicted from their features:
    /// their parameters (b_j, V_j) this regression's predictions, and their spread (the variance a new task's prediction there
    /// adds) the parameters' leave-one-out error instead of the measured examples' whole spread; with this feature model
    /// restored onto it. This model and its factor model are returned as they are when no example is unmeasured.
    /// </summary>
    /// <param name="features">Features of the model's examples, the unmeasured ones included (the same blocks as at fit time).</param>
    /// <exception cref="ArgumentException">The features miss an unmeasured example or do not match the fit's.</exception>
    public (FactorModel Model, ExampleFeatureModel Features) PredictUnmeasured(FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var unmeasured = _model.UnmeasuredExamples;
        if (unmeasured.Count == 0)
        {
            return (_model, this);
        }

        var selected = features.AlignTo(IdList.From(unmeasured.Select(j => _model.ExampleIds[j])));
        var blocks = FeatureView.AlignAll(_views, selected, "example");
        var parameters = _model.ToParameters();
        var n = _model.ExampleCount;
        var q = _errorVariance.Length;
        var bias = _model.HasExampleBias ? 1 : 0;
        var row = new double[_width + 1];
        for (var t = 0; t < unmeasured.Count; t++)
        {
            Encode(_views, _scales, blocks, t, row);
            for (var k = 0; k < q; k++)
            {
                double value = 0;
                for (var a = 0; a < row.Length; a++)
                {
                    value += row[a] * _weights[(a * q) + k];
                }

                if (bias == 1 && k == 0)
                {
                    parameters.ExampleBiases[unmeasured[t]] = value;
                }
                else
                {
                    parameters.ExampleFactors[((long)(k - bias) * n) + unmeasured[t]] = value;
                }
            }
        }

        var spread = new double[q * q];
        for (var k = 0; k < q; k++)
        {
            spread[(k * q) + k] = _errorVariance[k];
        }

        var model = FactorModel.Create(parameters with { UnmeasuredSpread = spread });
        return (model, Restore(model, Parts));
    }

    // One example's standardised features, each block scaled by 1 / sqrt(width) so every block weighs the same, then 1 (intercept).
    private static void Encode(FeatureView[] views, double[] scales, IReadOnlyList<FeatureBlock> blocks, int row, Span<double> destination)
    {
        FeatureView.EncodeConcatenated(views, blocks, row, scales, destination);
        destination[^1] = 1;
    }
}

/// <summary>Everything that defines an <see cref="ExampleFeatureModel"/> besides its factor model: what a model file stores.</summary>
/// <remarks>q is the number of example parameters ((example bias ? 1 : 0) + rank), d the views' total width.</remarks>
public sealed record ExampleFeatureModelParts
{
    /// <summary>The views of the feature blocks, in order.</summary>
    public required IReadOnlyList<FeatureView> Views { get; init; }

    /// <summary>
    /// The views of the blocks left out because every column was constant over the measured examples (see
    /// <see cref="ExampleFeatureModel.ConstantViews"/>); empty when there are none (and in files written before they were kept).
    /// </summary>
    public IReadOnlyList<FeatureView> ConstantViews { get; init; } = [];

    /// <summary>Ridge weights ((d + 1) x q, the intercept last).</summary>
    public required double[] Weights { get; init; }

    /// <summary>Leave-one-out error variance of each predicted parameter (q).</summary>
    public required double[] ErrorVariance { get; init; }

    /// <summary>Share of each parameter's variance the features explain (q).</summary>
    public required double[] ExplainedShare { get; init; }
}
