using System.Globalization;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Options of <see cref="EnsembleFitter"/>.</summary>
public sealed record EnsembleOptions : FitOptions
{
    /// <summary>The members, by catalog name with their default settings: continuous methods that are not ensembles themselves
    /// (task-mean, example-mean, additive, rank1, mf, knn) or "profile" (<see cref="ProfileFitter"/>).</summary>
    public IReadOnlyList<string> Members { get => _members!; init => _members = ValueList<string>.Of(value); }

    // A value list: two options with the same members are equal and print them (the list is copied in).
    private readonly ValueList<string>? _members = ValueList<string>.Of(["additive", "mf", "knn", "profile"]);

    /// <summary>How the weights are learned: the task at hand simulated inside the training rows.</summary>
    public CrossValidationOptions CrossValidation { get; init; } = new();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Members);
        ArgumentNullException.ThrowIfNull(CrossValidation);
        if (Members.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Members), "An ensemble needs at least one member (e.g. additive, mf, knn, profile).");
        }

        // An ensemble's members are saved as factor or KNN models: one that makes an ensemble itself (auto, ensemble) could
        // be fitted but not read back.
        foreach (var member in Members)
        {
            if (member != "profile" && (member is null || !ModelCatalog.Names.Contains(member) || ModelCatalog.IsBinaryMethod(member) || ModelCatalog.MethodOf(member) == ModelMethod.Ensemble))
            {
                throw new ArgumentOutOfRangeException(nameof(Members), string.Join(",", Members), string.Create(CultureInfo.InvariantCulture,
                    $"Member '{member ?? "null"}' cannot be in an ensemble: members are continuous methods that are not ensembles themselves (task-mean, example-mean, additive, rank1, mf, knn) or profile."));
            }
        }

        CrossValidation.Validate();
    }
}

/// <summary>
/// Fits a stacked ensemble: non-negative weights on the members' fold-in predictions, learned by
/// <see cref="TaskCrossValidation"/> so that they are the weights that best predicted held-out training tasks from the same
/// number of known cells; then every member is refitted on all rows.
/// </summary>
public sealed class EnsembleFitter(EnsembleOptions? options = null) : IForgettingFitter
{
    private readonly EnsembleOptions _o = FactorFits.Validated(options ?? new EnsembleOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Ensemble;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var candidates = _o.Members.Select(name => new Candidate(name, name == "profile"
            ? new ProfileFitter(new ProfileOptions { MaxThreads = _o.MaxThreads })
            : ModelCatalog.CreateFitter(name, new ModelSettings { MaxThreads = _o.MaxThreads }))).ToArray();
        var cv = TaskCrossValidation.Run(matrix, candidates, _o.CrossValidation with { MaxThreads = _o.MaxThreads }, cancellationToken);
        return EnsembleModel.Stack(matrix, candidates, cv, cancellationToken);
    }
}

/// <summary>A stacked ensemble: the weighted sum of its members' predictions (see <see cref="EnsembleFitter"/>).</summary>
/// <remarks>The predictive std is the weighted sum of the members' stds (their errors are strongly correlated), scaled so
/// that it matched the cross-validated errors on average, and never below <see cref="StdFloor"/>. Immutable; safe for
/// concurrent use.</remarks>
public sealed class EnsembleModel : IForgettingModel
{
    private readonly IForgettingModel[] _members;
    private readonly double[] _weights;

    private EnsembleModel(IForgettingModel[] members, string[] names, double[] weights, double stdScale, double cvRmse, double stdFloor)
    {
        // The arrays are the model's own; callers get read-only views of them, so no cast can change the model.
        _members = members;
        _weights = weights;
        Members = Array.AsReadOnly(members);
        MemberNames = Array.AsReadOnly(names);
        Weights = Array.AsReadOnly(weights);
        StdScale = stdScale;
        StdFloor = stdFloor;
        CrossValidatedRmse = cvRmse;
        StdBound = stdFloor;
        for (var c = 0; c < members.Length; c++)
        {
            var (mean, std) = ModelBounds.Of(members[c]);
            MeanBound += weights[c] * mean;
            StdBound += weights[c] * stdScale * std;
        }

        ModelBounds.Check(MeanBound, StdBound, () => string.Create(CultureInfo.InvariantCulture, $"weights {string.Join(", ", weights.Select(w => w.ToString("G3", CultureInfo.InvariantCulture)))}, std scale {stdScale:G3}"), nameof(weights));
    }

    /// <summary>A bound on |prediction| (see <see cref="ModelBounds"/>): the members' bounds, weighted.</summary>
    internal double MeanBound { get; }

    /// <summary>A bound on a new task's predictive std: the members' bounds, weighted and scaled.</summary>
    internal double StdBound { get; }

    /// <summary>The members with a positive weight, fitted on every training row (a read-only view).</summary>
    public IReadOnlyList<IForgettingModel> Members { get; }

    /// <summary>Their names (a read-only view).</summary>
    public IReadOnlyList<string> MemberNames { get; }

    /// <summary>Their non-negative weights (a read-only view).</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Factor on the weighted member std that calibrated it on the cross-validated errors.</summary>
    public double StdScale { get; }

    /// <summary>
    /// The least predictive std of any prediction, from the data's own spread: the root of three scored cells' worth of the
    /// training cells' mean squared deviation from their example means, shared over the cross-validation's scored cells (the
    /// rule of three: no miss among n scored cells bounds the rate of one to 3/n). The cross-validated errors calibrate
    /// <see cref="StdScale"/>, but they can all be about 0 when the scored tasks are exactly predictable and the few that vary
    /// sit in a fold left out: a matrix of ones with a single 0 gave stds of 4e-8, so that its own row read as millions of
    /// stds off. Scaling the data by c scales the floor by c. On real matrices it is far below every std (charlm-b: 9e-4
    /// against stds of 0.1 and more), so it changes none of their predictions. 0 for models saved before it existed.
    /// </summary>
    public double StdFloor { get; }

    /// <summary>The ensemble's cross-validated RMSE.</summary>
    public double CrossValidatedRmse { get; }

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Ensemble;

    /// <inheritdoc />
    public int TaskCount => Members[0].TaskCount;

    /// <inheritdoc />
    public int ExampleCount => Members[0].ExampleCount;

    /// <inheritdoc />
    public IdList TaskIds => Members[0].TaskIds;

    /// <inheritdoc />
    public IdList ExampleIds => Members[0].ExampleIds;

    /// <inheritdoc />
    public bool PredictsProbability => false;

    /// <summary>What the ensemble is, e.g. "0.62 mf + 0.38 knn".</summary>
    public string Describe() => string.Join(" + ", MemberNames.Select((n, i) => string.Create(CultureInfo.InvariantCulture, $"{Weights[i]:0.00} {n}")));

    /// <summary>
    /// Least-squares weights of the cross-validated predictions, non-negative and summing to one (exact: every subset of
    /// members is solved on that constraint and the best feasible one kept; members are few). Unconstrained in their sum,
    /// the weights had learned to expand the predictions of members fitted on two thirds of the training tasks (sums of
    /// 1.06-1.2 on matrices of 8-20 tasks), which overshot once the members were refitted on them all: such runs lost more
    /// than 1% to the best single method in half of the cases. A convex combination cannot.
    /// </summary>
    public static double[] StackingWeights(TaskCrossValidation cv)
    {
        ArgumentNullException.ThrowIfNull(cv);
        var k = cv.Predictions.Length;
        var gram = new double[k * k];
        var rhs = new double[k];
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                double s = 0;
                for (var i = 0; i < cv.Truth.Length; i++)
                {
                    s += cv.Predictions[a][i] * cv.Predictions[b][i];
                }

                gram[(a * k) + b] = gram[(b * k) + a] = s;
            }

            double t = 0;
            for (var i = 0; i < cv.Truth.Length; i++)
            {
                t += cv.Predictions[a][i] * cv.Truth[i];
            }

            rhs[a] = t;
        }

        // A subset with more members must do better by more than rounding (relative to the truth's sum of squares): an exact
        // mixture of two members had also been matched, to the last bits, by the three with a weight of 2e-13 on the third.
        var truthSquares = 0d;
        foreach (var t in cv.Truth)
        {
            truthSquares += t * t;
        }

        var best = new double[k];
        var bestLoss = double.PositiveInfinity;
        var bestCount = 0;
        for (var mask = 1; mask < 1 << k; mask++)
        {
            var members = Enumerable.Range(0, k).Where(c => (mask & (1 << c)) != 0).ToArray();
            var p = members.Length;
            var sub = new double[p * p];
            var subRhs = new double[p];
            for (var a = 0; a < p; a++)
            {
                subRhs[a] = rhs[members[a]];
                for (var b = 0; b < p; b++)
                {
                    sub[(a * p) + b] = gram[(members[a] * k) + members[b]] + (a == b ? 1e-12 * gram[(members[a] * k) + members[a]] : 0);
                }
            }

            if (!Cholesky.Factor(sub, p))
            {
                continue;
            }

            // The subset's optimum on the plane sum(w) = 1: w = G^-1 (r - lambda 1), lambda = (1' G^-1 r - 1) / (1' G^-1 1).
            var ones = new double[p];
            Array.Fill(ones, 1.0);
            Cholesky.Solve(sub, p, subRhs);
            Cholesky.Solve(sub, p, ones);
            var lambda = (subRhs.Sum() - 1) / ones.Sum();
            for (var a = 0; a < p; a++)
            {
                subRhs[a] -= lambda * ones[a];
            }

            if (subRhs.Any(w => !(w >= 0)))
            {
                continue;
            }

            // The squared error up to a constant: w' G w - 2 w' r.
            var loss = 0d;
            for (var a = 0; a < p; a++)
            {
                loss -= 2 * subRhs[a] * rhs[members[a]];
                for (var b = 0; b < p; b++)
                {
                    loss += subRhs[a] * gram[(members[a] * k) + members[b]] * subRhs[b];
                }
            }

            if (p <= bestCount ? loss < bestLoss : loss < bestLoss - (1e-12 * truthSquares))
            {
                bestLoss = loss;
                bestCount = p;
                Array.Clear(best);
                for (var a = 0; a < p; a++)
                {
                    best[members[a]] = subRhs[a];
                }
            }
        }

        return best;
    }

    /// <summary>The stacking weights of <paramref name="cv"/>, the ensemble's cross-validated RMSE, and the factor that calibrates
    /// the weighted member std on the cross-validated errors.</summary>
    public static (double[] Weights, double Rmse, double StdScale) Weigh(TaskCrossValidation cv)
    {
        var weights = StackingWeights(cv);
        var (rmse, stdScale) = Score(cv, weights);
        return (weights, rmse, stdScale);
    }

    // The RMSE of the weighted predictions and the factor that calibrates the weighted std on their errors.
    private static (double Rmse, double StdScale) Score(TaskCrossValidation cv, double[] weights)
    {
        double squared = 0, variance = 0;
        for (var i = 0; i < cv.Truth.Length; i++)
        {
            double p = 0, s = 0;
            for (var c = 0; c < weights.Length; c++)
            {
                p += weights[c] * cv.Predictions[c][i];
                s += weights[c] * cv.Stds[c][i];
            }

            squared += (p - cv.Truth[i]) * (p - cv.Truth[i]);
            variance += s * s;
        }

        return (Math.Sqrt(squared / cv.Truth.Length), variance > 0 ? Math.Sqrt(squared / variance) : 1);
    }

    /// <summary>Learns the weights from <paramref name="cv"/> and refits the members with positive weight on <paramref name="matrix"/>.
    /// When no member earns a positive weight (a degenerate scoring, e.g. every scored cell and every prediction 0), the
    /// member with the lowest cross-validated RMSE (the first of equals) is the ensemble, with weight 1.</summary>
    /// <param name="matrix">The training rows the members are refitted on.</param>
    /// <param name="candidates">The candidates, in the order of <paramref name="cv"/>'s predictions.</param>
    /// <param name="cv">Their cross-validated predictions.</param>
    /// <param name="cancellationToken">Stops the members' refits.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EnsembleModel Stack(ForgettingMatrix matrix, IReadOnlyList<Candidate> candidates, TaskCrossValidation cv, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(cv);
        var (weights, rmse, scale) = Weigh(cv);
        if (!weights.Any(w => w > 0))
        {
            weights = new double[weights.Length];
            weights[Enumerable.Range(0, weights.Length).MinBy(cv.Rmse)] = 1;
            (rmse, scale) = Score(cv, weights);
        }

        var used = Enumerable.Range(0, weights.Length).Where(c => weights[c] > 0).ToArray();
        var members = used.Select(c => candidates[c].Final.Fit(matrix, cancellationToken)).ToArray();
        var floor = Math.Sqrt(3 * ExampleSpread(matrix) / Math.Max(cv.Truth.Length, 1));
        return new EnsembleModel(members, [.. used.Select(c => candidates[c].Name)], [.. used.Select(c => weights[c])], scale, rmse, floor);
    }

    /// <summary>The mean squared deviation of the observed cells of <paramref name="matrix"/> from their example's mean (0 when
    /// none is observed): the spread the example-mean model leaves.</summary>
    internal static double ExampleSpread(ForgettingMatrix matrix)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var sums = new double[n];
        var counts = new long[n];
        for (var i = 0; i < m; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    sums[j] += row[j];
                    counts[j]++;
                }
            }
        }

        double squares = 0;
        long observed = 0;
        for (var i = 0; i < m; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    var d = row[j] - (sums[j] / counts[j]);
                    squares += d * d;
                    observed++;
                }
            }
        }

        return observed == 0 ? 0 : squares / observed;
    }

    /// <summary>Rebuilds a saved ensemble from its fitted members (model files use this).</summary>
    /// <param name="members">The fitted members.</param>
    /// <param name="names">Their names.</param>
    /// <param name="weights">Their weights.</param>
    /// <param name="stdScale">The std calibration (<see cref="StdScale"/>).</param>
    /// <param name="cvRmse">The cross-validated RMSE.</param>
    /// <param name="stdFloor">The least predictive std (<see cref="StdFloor"/>); 0 for models saved before it existed.</param>
    /// <exception cref="ArgumentException">The parts disagree in count, shape or ids, a member is null, predicts probabilities
    /// or is an ensemble itself, a weight, the std scale or the std floor is negative or not finite, or the weights make
    /// predictions too large to hold.</exception>
    public static EnsembleModel Restore(IReadOnlyList<IForgettingModel> members, IReadOnlyList<string> names, IReadOnlyList<double> weights, double stdScale, double cvRmse, double stdFloor = 0)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(weights);
        if (members.Count == 0 || names.Count != members.Count || weights.Count != members.Count || members.Any(m => m is null) || names.Any(n => n is null)
            || members.Any(m => m.ExampleCount != members[0].ExampleCount || m.TaskCount != members[0].TaskCount || m.PredictsProbability))
        {
            throw new ArgumentException("Ensemble parts disagree: one name and weight per member, members of one shape predicting values (not probabilities).", nameof(members));
        }

        for (var c = 0; c < members.Count; c++)
        {
            if (members[c].Method == ModelMethod.Ensemble)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Ensemble member {c} ('{names[c]}') is an ensemble itself; stack its members instead."), nameof(members));
            }

            if (!IdList.Same(members[c].ExampleIds, members[0].ExampleIds) || !IdList.Same(members[c].TaskIds, members[0].TaskIds))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Ensemble member {c} ('{names[c]}') has other task or example ids than member 0 ('{names[0]}'); members must be fitted on one matrix."), nameof(members));
            }
        }

        if (weights.Any(w => !(w >= 0) || !double.IsFinite(w)) || !(stdScale >= 0) || !double.IsFinite(stdScale) || !(stdFloor >= 0) || !double.IsFinite(stdFloor))
        {
            throw new ArgumentException("Ensemble weights, std scale and std floor must be finite and non-negative.", nameof(weights));
        }

        return new EnsembleModel([.. members], [.. names], [.. weights], stdScale, cvRmse, stdFloor);
    }


    /// <inheritdoc />
    public double Predict(int task, int example)
    {
        double sum = 0;
        for (var c = 0; c < _members.Length; c++)
        {
            sum += _weights[c] * _members[c].Predict(task, example);
        }

        return sum;
    }

    /// <inheritdoc />
    public void PredictRow(int task, Span<double> destination)
    {
        var row = new double[destination.Length];
        destination.Clear();
        for (var c = 0; c < _members.Length; c++)
        {
            _members[c].PredictRow(task, row);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row, _weights[c], destination, destination);
        }
    }

    /// <inheritdoc />
    public FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options = null) => FoldIn(examples, values, options, checkScale: true);

    // The fold-in; checkScale refuses values beyond FoldInScale.Limit of the ensemble's scale (its members' own are not asked).
    internal FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options, bool checkScale)
    {
        FoldedTask.ValidateKnown(examples, values, ExampleCount);
        if (checkScale)
        {
            FoldInScale.CheckValid(this, examples, values);
        }

        var folds = new FoldedTask[_members.Length];
        for (var c = 0; c < folds.Length; c++)
        {
            folds[c] = FoldInScale.Unchecked(_members[c], examples, values, options);
        }

        return new EnsembleFold(this, examples.Length, folds);
    }

    private sealed class EnsembleFold(EnsembleModel model, int known, FoldedTask[] folds) : FoldedTask(model.ExampleIds, known, false, folds.Any(f => f.FromTaskPrior))
    {
        // Member by member over blocks of examples that stay in cache, when every member can predict a block: no row-sized
        // temporaries, and each block's member predictions are summed while hot. The same operations per example as the
        // whole-row path below, so the same bits.
        protected override void PredictRowCore(Span<double> mean, Span<double> std)
        {
            Span<double> memberMean = stackalloc double[BlockSize];
            Span<double> memberStd = std.IsEmpty ? default : stackalloc double[BlockSize];
            for (var start = 0; start < mean.Length; start += BlockSize)
            {
                var length = Math.Min(BlockSize, mean.Length - start);
                if (!SumBlock(start, mean.Slice(start, length), std.IsEmpty ? default : std.Slice(start, length), memberMean[..length], memberStd.IsEmpty ? default : memberStd[..length]))
                {
                    // Whether a member predicts blocks does not change along the row: this happens on the first block.
                    PredictWholeRows(mean, std);
                    return;
                }
            }
        }

        // A block (or one example, for PredictCells) of an ensemble inside another ensemble or a cross-validation.
        internal override bool PredictBlock(int start, Span<double> mean, Span<double> std)
        {
            Span<double> memberMean = stackalloc double[mean.Length];
            Span<double> memberStd = std.IsEmpty ? default : stackalloc double[mean.Length];
            return SumBlock(start, mean, std, memberMean, memberStd);
        }

        // The weighted sum of the members' predictions of one block, member by member; false when a member predicts only whole rows.
        private bool SumBlock(int start, Span<double> blockMean, Span<double> blockStd, Span<double> memberMean, Span<double> memberStd)
        {
            blockMean.Clear();
            blockStd.Clear();
            for (var c = 0; c < folds.Length; c++)
            {
                if (!folds[c].PredictBlock(start, memberMean, memberStd))
                {
                    return false;
                }

                var w = model._weights[c];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(memberMean, w, blockMean, blockMean);
                if (!blockStd.IsEmpty)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(memberStd, w * model.StdScale, blockStd, blockStd);
                }
            }

            Floor(blockStd);
            return true;
        }

        private void PredictWholeRows(Span<double> mean, Span<double> std)
        {
            var n = model.ExampleCount;
            var memberMean = new double[n];
            var memberStd = new double[n];
            mean.Clear();
            std.Clear();
            for (var c = 0; c < folds.Length; c++)
            {
                var w = model._weights[c];
                folds[c].PredictRow(memberMean, std.IsEmpty ? default : memberStd);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(memberMean, w, mean, mean);
                if (!std.IsEmpty)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(memberStd, w * model.StdScale, std, std);
                }
            }

            Floor(std);
        }

        // No std below the model's floor (a no-op, bit for bit, where every std is above it).
        private void Floor(Span<double> std)
        {
            if (model.StdFloor > 0 && !std.IsEmpty)
            {
                System.Numerics.Tensors.TensorPrimitives.Max(std, model.StdFloor, std);
            }
        }

        protected override (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
        {
            double mean = 0, std = 0;
            for (var c = 0; c < folds.Length; c++)
            {
                var (m, v) = folds[c].Average(examples);
                mean += model._weights[c] * m;
                std += model._weights[c] * model.StdScale * Math.Sqrt(v);
            }

            std = Math.Max(std, model.StdFloor);
            return (mean, std * std);
        }
    }
}
