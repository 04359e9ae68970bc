using System.Globalization;
using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

// Folding a new task in: the Gaussian (Bayesian linear regression) and logistic (Laplace) posteriors of its parameters, and
// the predicted row with its uncertainty.
public sealed partial class FactorModel
{
    /// <inheritdoc />
    public FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options = null) => FoldIn(examples, values, options, checkScale: true);

    // The fold-in; checkScale refuses values beyond FoldInScale.Limit of the model's scale (off for values of the model's own
    // data, see FoldInScale.Unchecked).
    internal FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options, bool checkScale)
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

        if (checkScale)
        {
            FoldInScale.CheckValid(this, examples, values);
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
            ? FoldLogistic(features, targets, examples, precision, precisionMean, options?.TaskPrior is not null)
            : FoldGaussian(features, targets, precision, precisionMean, options?.TaskPrior is not null);
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

        // Ridge: penalty lambda on the raw squared-error scale, i.e. lambda / sigma^2 in likelihood units; centred on 0, or
        // for an empirical prior that could not be estimated (fewer than two measured training tasks) on the tasks' mean.
        var scale = _p.Logistic ? 1 : 1 / NoiseFloor();
        for (var k = 0; k < p; k++)
        {
            precision[(k * p) + k] = RidgePenalty(k) * scale;
            if (prior == FoldInPrior.Empirical && _fallbackMean is { } centre)
            {
                precisionMean[k] = precision[(k * p) + k] * centre[k];
            }
        }
    }

    // The ridge penalty on task parameter k, floored so that an unpenalised fit (0) keeps the fold-in's system positive
    // definite. The bias penalty counts cells (unit-free). A factor penalty weighs u_k^2 against squared errors, so it has
    // the units of the example factors squared (a cell's worth of them): the data's units for mf and rank1, whose U and V
    // share them, none for the profile model, whose example factors are unit-free profiles. Its floor is therefore 1e-12 of
    // the largest example factor squared, in the model's own units: an absolute 1e-12 had taken over below a data scale of
    // about 1e-11 (rank1's new task predicted 0 at 1e-30), and one relative to the noise level, in the data's units, above a
    // scale of 1e13 for the profile model (its fold-in's penalty grew with the data: auto's ridge rows moved by 10%). With
    // every example factor 0 (the factor predicts nothing) the floor falls back to the noise level, which keeps it finite.
    internal double RidgePenalty(int k) => HasTaskBias && k == 0
        ? Math.Max(_p.TaskBiasPenalty, 1e-12)
        : Math.Max(_p.TaskFactorPenalty, _factorUnit > 0 ? 1e-12 * _factorUnit : 1e-12 * (_p.Logistic ? 1 : Math.Sqrt(NoiseFloor())));

    private double NoiseFloor() => Math.Max(_p.NoiseVariance, 1e-300);

    private GaussianFold FoldGaussian(double[] features, double[] targets, ReadOnlySpan<double> precision, ReadOnlySpan<double> precisionMean, bool givenPrior)
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

        if (!AllFinite(a) || !AllFinite(w))
        {
            throw OutOfScale(string.Create(CultureInfo.InvariantCulture, $"the fold-in's normal equations overflow (noise variance {_p.NoiseVariance:G3})"));
        }

        if (p > 0 && !Cholesky.Factor(a, p))
        {
            throw new InvalidOperationException("Fold-in normal equations are not positive definite; the model's parameters are degenerate.");
        }

        Cholesky.Solve(a, p, w);
        Cholesky.Invert(a, p);
        CheckParameters(w);
        return new GaussianFold(this, targets.Length, w, a, givenPrior);
    }

    // The new task's parameters move its predictions by at most max|w| times the features' bound: beyond ModelBounds.Limit
    // (or not finite) the measured values cannot be in the units of the model's data.
    private void CheckParameters(ReadOnlySpan<double> w)
    {
        var largest = w.IsEmpty ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(w));
        if (!(largest * _featureBound <= ModelBounds.Limit))
        {
            throw OutOfScale(string.Create(CultureInfo.InvariantCulture, $"the new task's parameters reach {largest:G3}"));
        }
    }

    // Named as FoldIn's parameter: the values are what is wrong.
    private static ArgumentException OutOfScale(string what, string paramName = "values") => new(
        $"The measured values are too far from what the model expects ({what}); give them in the units of the data the model was fitted on.", paramName);

    private LogisticFold FoldLogistic(double[] features, double[] targets, ReadOnlySpan<int> examples, ReadOnlySpan<double> precision, ReadOnlySpan<double> precisionMean, bool givenPrior)
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
                var prob = LogitNormal.Sigmoid(offsets[t] + Dot(f, w));
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

            var weight = Math.Max(LogitNormal.Sigmoid(eta) * (1 - LogitNormal.Sigmoid(eta)), 1e-12);
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

        CheckParameters(w);
        return new LogisticFold(this, k, w, h, givenPrior);
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

    // Examples start .. start + mean.Length - 1 of the folded row: every operation is per example, so a block gives the
    // same bits as the whole row.
    private void PredictFolded(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, int start, Span<double> mean, Span<double> std, bool addNoise)
    {
        var bias = HasTaskBias ? w[0] : 0;
        var factors = HasTaskBias ? w[1..] : w;

        // Logistic predictions need each example's variance even when no std is asked for: the probit-adjusted
        // probability depends on it, and the prediction must not depend on whether std was requested.
        if (_p.Logistic && std.Length == 0 && _taskDim > 0)
        {
            PredictFolded(w, covariance, start, mean, new double[mean.Length], addNoise);
            return;
        }

        if (!_p.Logistic && std.Length != 0 && _taskDim > 0)
        {
            // The variance finished as sqrt(max(variance, 0) + noise) in the kernel's own pass.
            RowPrediction.EvaluateStd(_p.ExampleFactors, ExampleCount, _p.Rank, factors, _p.ExampleBiases, _p.GlobalMean + bias, start, mean, HasTaskBias, covariance, std,
                addNoise && _exampleNoise is not null ? _exampleNoise : default, addNoise && _exampleNoise is null ? _p.NoiseVariance : 0);
            WidenUnmeasured(w, covariance, start, std, variances: false);
            return;
        }

        RowPrediction.Evaluate(_p.ExampleFactors, ExampleCount, _p.Rank, factors, _p.ExampleBiases, _p.GlobalMean + bias, start, mean, HasTaskBias, covariance,
            _taskDim == 0 ? default : std);
        if (std.Length != 0 && _taskDim == 0)
        {
            std.Clear();
        }

        if (_p.Logistic)
        {
            if (std.Length != 0)
            {
                WidenUnmeasured(w, covariance, start, std, variances: true);
            }

            // Probit approximation of E[sigmoid(eta)] under eta ~ N(mean, var); the std is sigmoid(eta)'s own under that
            // normal (at most 0.5; the delta method p (1 - p) sqrt(var) it tends to for a small var had reached 10.99).
            for (var j = 0; j < mean.Length; j++)
            {
                var variance = std.Length != 0 ? Math.Max(std[j], 0) : 0;
                var prob = LogitNormal.Sigmoid(mean[j] / Math.Sqrt(1 + (Math.PI * variance / 8)));
                if (std.Length != 0)
                {
                    std[j] = LogitNormal.Std(mean[j], variance);
                }

                mean[j] = prob;
            }
        }
        else if (std.Length != 0)
        {
            // No task parameters (the others took EvaluateStd above): the std is the noise's alone, sqrt(0 + noise).
            if (addNoise && _exampleNoise is not null)
            {
                TensorPrimitives.Sqrt(_exampleNoise.AsSpan(start, std.Length), std);
            }
            else
            {
                std.Fill(Math.Sqrt(addNoise ? _p.NoiseVariance : 0));
            }

            WidenUnmeasured(w, covariance, start, std, variances: false);
        }
    }

    // What a group's average over the model's examples needs besides the task's parameters w: the mean of their features x_j
    // (with a leading 1 when the model has a task bias), their mean example bias, and the part of the mean's variance that is
    // not the parameters' (x^T C x): the mean residual's variance, and each unmeasured example's own, independent miss
    // (extra / n^2 each). GaussianFold.AverageCore and ExampleFeatureModel.Average (groups with new examples) both read it.
    // Features is the group cache's array: read it, never write it.
    internal (double[] Features, double ExampleBias, double ResidualVariance, double UnmeasuredVariance) GroupParts(ReadOnlySpan<int> examples, ReadOnlySpan<double> w,
        ReadOnlySpan<double> covariance)
    {
        var moments = Moments(examples);
        var unmeasured = moments.Unmeasured == 0 ? 0 : moments.Unmeasured * UnmeasuredVariance(w, covariance) / ((double)examples.Length * examples.Length);
        return (moments.Features, moments.ExampleBias, moments.ResidualVariance, unmeasured);
    }

    // The variance an unmeasured example adds to a new task's prediction: its parameters are the measured examples' average
    // (or an example feature model's prediction), so its contribution c . e_j (c = ([1], task factors w_f), e_j = ([b_j], V_j))
    // misses by c^T S c for the spread S of the parameters around that (the measured examples', or the prediction's
    // leave-one-out error), plus tr(S_VV C_ff) for the task factors' own uncertainty. 0 without unmeasured examples.
    internal double UnmeasuredVariance(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance)
    {
        if (_spread.Length == 0)
        {
            return 0;
        }

        var eb = HasExampleBias ? 1 : 0;
        var tb = HasTaskBias ? 1 : 0;
        var q = eb + _p.Rank;
        Span<double> c = stackalloc double[q];
        if (eb == 1)
        {
            c[0] = 1;
        }

        for (var k = 0; k < _p.Rank; k++)
        {
            c[eb + k] = w.IsEmpty ? 0 : w[tb + k];
        }

        double variance = 0;
        for (var a = 0; a < q; a++)
        {
            for (var b = 0; b < q; b++)
            {
                variance += c[a] * _spread[(a * q) + b] * c[b];
            }
        }

        if (!covariance.IsEmpty)
        {
            for (var k = 0; k < _p.Rank; k++)
            {
                for (var l = 0; l < _p.Rank; l++)
                {
                    variance += _spread[((eb + k) * q) + eb + l] * covariance[((tb + k) * _taskDim) + tb + l];
                }
            }
        }

        return Math.Max(variance, 0);
    }

    // Adds the unmeasured examples' extra variance to the block start .. start + values.Length - 1: to variances, or to stds
    // as sqrt(std^2 + extra). Only the (few) unmeasured examples of the block are touched.
    private void WidenUnmeasured(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, int start, Span<double> values, bool variances)
    {
        var unmeasured = _p.UnmeasuredExamples;
        if (_spread.Length == 0 || values.IsEmpty)
        {
            return;
        }

        var from = Array.BinarySearch(unmeasured, start);
        from = from < 0 ? ~from : from;
        if (from >= unmeasured.Length || unmeasured[from] >= start + values.Length)
        {
            return;
        }

        var extra = UnmeasuredVariance(w, covariance);
        for (var u = from; u < unmeasured.Length && unmeasured[u] < start + values.Length; u++)
        {
            ref var value = ref values[unmeasured[u] - start];
            value = variances ? value + extra : Math.Sqrt((value * value) + extra);
        }
    }

    // Examples' means and stds as PredictFolded computes them for a Gaussian fold, without a block's set-up per example: the
    // row kernel's scalar form is bit-identical to its vector body, and max, add and sqrt are exact per value.
    private void PredictFoldedCells(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, ReadOnlySpan<int> examples, Span<double> mean, Span<double> std)
    {
        RowPrediction.EvaluateCells(_p.ExampleFactors, ExampleCount, _p.Rank, HasTaskBias ? w[1..] : w, _p.ExampleBiases, _p.GlobalMean + (HasTaskBias ? w[0] : 0),
            examples, mean, HasTaskBias, covariance, _taskDim == 0 ? default : std);
        if (std.Length == 0)
        {
            return;
        }

        if (_taskDim == 0)
        {
            std.Clear();
        }

        for (var t = 0; t < std.Length; t++)
        {
            std[t] = RowPrediction.Std(std[t], ExampleNoiseVariance(examples[t]));
            if (_spread.Length != 0 && Array.BinarySearch(_p.UnmeasuredExamples, examples[t]) >= 0)
            {
                WidenUnmeasured(w, covariance, examples[t], std.Slice(t, 1), variances: false);
            }
        }
    }

    // One example's mean and std as PredictFolded computes them for a Gaussian fold.
    private (double Mean, double Std) PredictFoldedCell(ReadOnlySpan<double> w, ReadOnlySpan<double> covariance, int example)
    {
        Span<double> mean = stackalloc double[1];
        Span<double> std = stackalloc double[1];
        PredictFoldedCells(w, covariance, [example], mean, std);
        return (mean[0], std[0]);
    }

    /// <summary>A Gaussian fold-in: task parameters ([a], w) with their posterior covariance.</summary>
    private sealed class GaussianFold(FactorModel model, int known, double[] w, double[] posteriorCovariance, bool givenPrior)
        : FoldedTask(model.ExampleIds, known, false, givenPrior), ILinearGaussianTask
    {
        /// <summary>The model the task was folded into.</summary>
        public FactorModel Model => model;

        /// <summary>Posterior mean of the task parameters: the task bias first when the model has one, then the r factors.</summary>
        public ReadOnlySpan<double> Parameters => w;

        /// <summary>Posterior covariance of <see cref="Parameters"/>, row-major.</summary>
        public ReadOnlySpan<double> Covariance => posteriorCovariance;

        /// <summary>Example <paramref name="example"/>'s mean and std, bit-identical to <see cref="FoldedTask.PredictRow(Span{double}, Span{double})"/>.</summary>
        public (double Mean, double Std) PredictCell(int example) => model.PredictFoldedCell(w, posteriorCovariance, example);

        internal override ILinearGaussianTask LinearGaussian => this;

        protected override void PredictRowCore(Span<double> mean, Span<double> std) =>
            model.PredictFolded(w, posteriorCovariance, 0, mean, std, addNoise: true);

        internal override bool PredictBlock(int start, Span<double> mean, Span<double> std)
        {
            model.PredictFolded(w, posteriorCovariance, start, mean, std, addNoise: true);
            return true;
        }

        internal override void PredictCellsCore(ReadOnlySpan<int> examples, Span<double> mean, Span<double> std) =>
            model.PredictFoldedCells(w, posteriorCovariance, examples, mean, std);

        // The group mean is linear in w: mean = mu + mean(b) + xbar . w, variance = xbar^T C xbar plus the variance of the
        // group's mean residual (sigma^2 / n, or with residual components sum_k mean(W_k)^2 + iso / n).
        protected override (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
        {
            var (x, bias, residual, unmeasured) = model.GroupParts(examples, w, posteriorCovariance);
            var mean = model.GlobalMean + bias;
            for (var a = 0; a < x.Length; a++)
            {
                mean += x[a] * w[a];
            }

            return (mean, Quadratic(x) + residual + unmeasured);
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

    private sealed class LogisticFold(FactorModel model, int known, double[] w, double[] posteriorCovariance, bool givenPrior)
        : FoldedTask(model.ExampleIds, known, true, givenPrior)
    {
        protected override void PredictRowCore(Span<double> mean, Span<double> std) =>
            model.PredictFolded(w, posteriorCovariance, 0, mean, std, addNoise: false);

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
