using System.Globalization;
using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>How the KNN-baseline measures similarity between two tasks over the examples both observed.</summary>
public enum KnnSimilarity
{
    /// <summary>1 / (1 + mean squared difference of the raw values): the reference setting (Surprise's "msd").</summary>
    Msd,

    /// <summary>Pearson correlation of the baseline residuals, shrunk toward 0 by (n - 1) / (n - 1 + shrinkage) for n shared cells.</summary>
    PearsonBaseline,
}

/// <summary>Options of <see cref="KnnFitter"/>.</summary>
public sealed record KnnOptions : FitOptions
{
    /// <summary>Number of most similar tasks averaged per cell (the reference uses 40).</summary>
    public int Neighbors { get; init; } = Defaults.Neighbors;

    /// <summary>Similarity between tasks.</summary>
    public KnnSimilarity Similarity { get; init; } = KnnSimilarity.PearsonBaseline;

    /// <summary>Shrinkage of <see cref="KnnSimilarity.PearsonBaseline"/>, in shared cells.</summary>
    public double Shrinkage { get; init; } = Defaults.SimilarityShrinkage;

    /// <summary>Exponent applied to positive similarities before weighting (case amplification; 1 = plain weights).</summary>
    public double Amplification { get; init; } = Defaults.SimilarityAmplification;

    /// <summary>Options of the additive baseline mu + a_i + b_j.</summary>
    public AdditiveOptions Baseline { get; init; } = new();

    /// <summary>
    /// Prior strength of a new task's interpolation weights, or 0 (the default) for the normalised similarities. When positive,
    /// a fold-in whose nearest neighbours observed every example solves their weights jointly from the known cells, as Bell and
    /// Koren's interpolation weights: a ridge regression of the task's baseline residuals on the neighbours', shrunk toward the
    /// normalised similarities with penalty InterpolationPrior x known cells x the baseline's noise variance (so the prior
    /// weighs like that many cells' worth of data per weight, whatever k). Training rows keep the similarity weights.
    /// </summary>
    public double InterpolationPrior { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Neighbors, 1, 100_000, nameof(Neighbors));
        NonNegative(Shrinkage, nameof(Shrinkage));
        NonNegative(Amplification, nameof(Amplification));
        NonNegative(InterpolationPrior, nameof(InterpolationPrior));
        if (!Enum.IsDefined(Similarity))
        {
            throw new ArgumentOutOfRangeException(nameof(Similarity), Similarity, "Unknown similarity.");
        }

        ArgumentNullException.ThrowIfNull(Baseline);
        Baseline.Validate();
    }
}

/// <summary>Fits the KNN-baseline: the additive baseline plus the similarity-weighted mean residual of the most similar tasks.</summary>
/// <remarks>
/// <para>Prediction for (i, j): <c>mu + a_i + b_j + sum_n s_in r_nj / sum_n s_in</c> over the <c>Neighbors</c> tasks n with the
/// largest positive similarity s_in among those that observed example j, where r_nj = z_nj - (mu + a_n + b_j) (Koren's
/// KNN-baseline, as in Surprise's KNNBaseline with tasks as users).</para>
/// <para>Cost: the task-task similarity matrix is O(M^2 N) at fit time; a predicted row is O(N Neighbors). The model keeps
/// the training matrix (it needs the neighbours' residuals). Deterministic.</para>
/// </remarks>
public sealed class KnnFitter(KnnOptions? options = null) : IForgettingFitter
{
    private readonly KnnOptions _options = FactorFits.Validated(options ?? new KnnOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Knn;

    /// <summary>The validated options.</summary>
    public KnnOptions Options => _options;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => FitKnn(matrix, cancellationToken);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public KnnModel FitKnn(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        var baseline = new AdditiveFitter(_options.Baseline with { MaxThreads = _options.MaxThreads, ResidualRank = 0 }).FitAdditive(matrix, cancellationToken);
        return KnnModel.Create(matrix, baseline, _options, cancellationToken);
    }
}

/// <summary>A fitted KNN-baseline model (see <see cref="KnnFitter"/>).</summary>
/// <remarks>Immutable; safe for concurrent use. Fold-in: the new task's bias comes from the baseline's fold-in, its
/// similarity to each training task from its known cells, and then the same weighted neighbour average.</remarks>
public sealed class KnnModel : IForgettingModel
{
    private readonly double[] _similarity; // M x M
    private readonly int[][] _order;       // per task: other tasks by decreasing similarity (positive only)
    private readonly bool[] _complete;     // per task: no missing cells
    private readonly int[][]? _gaps;       // per task: its missing cells' examples, ascending (only with few missing cells)
    private readonly double[] _exampleOffset; // mu + b_j

    // gaps: TaskGaps(training).
    private KnnModel(ForgettingMatrix training, FactorModel baseline, KnnOptions options, double[] similarity, int[][]? gaps)
    {
        Training = training;
        Baseline = baseline;
        Options = options;
        _similarity = similarity;
        var m = training.TaskCount;
        _complete = new bool[m];
        for (var i = 0; i < m; i++)
        {
            _complete[i] = !TensorPrimitives.IsNaNAny(training.Row(i));
        }

        _gaps = gaps;
        _exampleOffset = new double[training.ExampleCount];
        TensorPrimitives.Add(baseline.ExampleBiases, baseline.GlobalMean, _exampleOffset);
        _order = new int[m][];
        var parallel = Parallelism.Options(options.MaxThreads);
        Parallel.For(0, m, parallel, i => _order[i] = Order(similarity.AsSpan(i * m, m), exclude: i));

        // A neighbour's residual z - (mu + a + b) is at most float's range plus the baseline's bound; similarity weights are
        // normalised, so a cell adds at most that to the baseline, and its spread is at most that too.
        var residual = float.MaxValue + baseline.MeanBound;
        MeanBound = baseline.MeanBound + residual;
        StdBound = baseline.StdBound + residual;
    }

    // The same fitted model with other options that leave the neighbours as they are (the interpolation prior): every fitted
    // part is shared, none recomputed.
    private KnnModel(KnnModel fitted, KnnOptions options)
    {
        Training = fitted.Training;
        Baseline = fitted.Baseline;
        Options = options;
        _similarity = fitted._similarity;
        _complete = fitted._complete;
        _gaps = fitted._gaps;
        _exampleOffset = fitted._exampleOffset;
        _order = fitted._order;
        MeanBound = fitted.MeanBound;
        StdBound = fitted.StdBound;
    }

    /// <summary>A bound on |prediction| (see <see cref="ModelBounds"/>): the baseline's plus the largest residual.</summary>
    internal double MeanBound { get; }

    /// <summary>A bound on a new task's predictive std: the baseline's plus the largest residual.</summary>
    internal double StdBound { get; }

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Knn;

    /// <inheritdoc />
    public int TaskCount => Training.TaskCount;

    /// <inheritdoc />
    public int ExampleCount => Training.ExampleCount;

    /// <inheritdoc />
    public IdList TaskIds => Training.TaskIds;

    /// <inheritdoc />
    public IdList ExampleIds => Training.ExampleIds;

    /// <inheritdoc />
    public bool PredictsProbability => false;

    /// <summary>The training matrix whose residuals the neighbours contribute.</summary>
    public ForgettingMatrix Training { get; }

    /// <summary>The additive baseline mu + a_i + b_j.</summary>
    public FactorModel Baseline { get; }

    /// <summary>The options the model was fitted with.</summary>
    public KnnOptions Options { get; }

    /// <summary>Task-task similarities (M x M, row-major; the diagonal is 1).</summary>
    public ReadOnlySpan<double> Similarity => _similarity;

    /// <summary>Rebuilds a model from its training matrix, baseline and options (computes the similarities).</summary>
    /// <param name="training">The training matrix.</param>
    /// <param name="baseline">Its additive baseline.</param>
    /// <param name="options">The neighbourhood settings.</param>
    /// <param name="cancellationToken">Stops the similarity pass between tasks.</param>
    /// <exception cref="ArgumentException">The baseline is not an additive model with task and example biases (mu + a_i + b_j), or its
    /// shape or ids differ from the matrix's.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static KnnModel Create(ForgettingMatrix training, FactorModel baseline, KnnOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckBaseline(training, baseline);

        var m = training.TaskCount;
        if (training.MissingCount == 0)
        {
            return new KnnModel(training, baseline, options, CompleteSimilarity(training, baseline, options, cancellationToken), null);
        }

        if (TaskGaps(training) is { } gaps)
        {
            return new KnnModel(training, baseline, options, FewGapsSimilarity(training, baseline, options, gaps, cancellationToken), gaps);
        }

        var similarity = new double[m * m];
        var parallel = Parallelism.Options(options.MaxThreads, cancellationToken);
        Parallel.For(0, m, parallel, a =>
        {
            var ca = baseline.GlobalMean + baseline.TaskBiases[a];
            for (var b = a; b < m; b++)
            {
                var s = a == b ? 1 : TaskSimilarity(training.Row(a), ca, training.Row(b), baseline.GlobalMean + baseline.TaskBiases[b], baseline.ExampleBiases, options);
                similarity[(a * m) + b] = s;
                similarity[(b * m) + a] = s;
            }
        });
        return new KnnModel(training, baseline, options, similarity, null);
    }

    /// <summary>Rebuilds a model from saved parts without recomputing the similarities (model files use this).</summary>
    /// <exception cref="ArgumentException">The baseline is not an additive model with task and example biases, a part's shape or
    /// ids disagree, or a similarity is not a number in [-1, 1].</exception>
    public static KnnModel Restore(ForgettingMatrix training, FactorModel baseline, KnnOptions options, double[] similarity)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(similarity);
        options.Validate();
        CheckBaseline(training, baseline);
        var m = training.TaskCount;
        if (similarity.LongLength != (long)m * m)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{similarity.LongLength} similarities for {m} tasks; the model needs {(long)m * m} ({m} x {m})."), nameof(similarity));
        }

        for (var t = 0; t < similarity.Length; t++)
        {
            // Every similarity is a correlation or an inverse distance raised to a power: a number in [-1, 1] (the slack
            // is rounding). A larger one would weigh one neighbour's residual beyond any data's scale.
            if (!(Math.Abs(similarity[t]) <= 1 + 1e-9))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The similarity of tasks {t / Math.Max(m, 1)} and {t % Math.Max(m, 1)} is {similarity[t]}; similarities are numbers in [-1, 1]."), nameof(similarity));
            }
        }

        return new KnnModel(training, baseline, options, similarity, TaskGaps(training));
    }

    // The baseline the neighbours' residuals are taken from: mu + a_i + b_j over the training matrix's tasks and examples.
    private static void CheckBaseline(ForgettingMatrix training, FactorModel baseline)
    {
        if (baseline.Method != ModelMethod.Additive || !baseline.HasTaskBias || !baseline.HasExampleBias || baseline.Rank != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The baseline must be an additive model with task and example biases (mu + a_i + b_j); this one is {ModelCatalog.NameOf(baseline.Method)}{(baseline.HasTaskBias ? string.Empty : " without task biases")}{(baseline.HasExampleBias ? string.Empty : " without example biases")}."), nameof(baseline));
        }

        if (baseline.TaskCount != training.TaskCount || baseline.ExampleCount != training.ExampleCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The baseline is {baseline.TaskCount}x{baseline.ExampleCount}; the training matrix is {training.TaskCount}x{training.ExampleCount}."), nameof(baseline));
        }

        if (!IdList.Same(baseline.TaskIds, training.TaskIds) || !IdList.Same(baseline.ExampleIds, training.ExampleIds))
        {
            throw new ArgumentException("The baseline's task or example ids differ from the training matrix's; fit it on the same matrix.", nameof(baseline));
        }
    }

    /// <inheritdoc />
    public double Predict(int task, int example)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, TaskCount);
        ArgumentOutOfRangeException.ThrowIfNegative(example);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(example, ExampleCount);
        var (mean, _) = Neighbourhood(_order[task], _similarity.AsSpan(task * TaskCount, TaskCount), example);
        return Baseline.Predict(task, example) + mean;
    }

    /// <inheritdoc />
    public void PredictRow(int task, Span<double> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, TaskCount);
        Baseline.PredictRow(task, destination);
        AddNeighbourhood(_order[task], _similarity.AsSpan(task * TaskCount, TaskCount), destination, default);
    }

    /// <inheritdoc />
    public FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options = null) => FoldIn(examples, values, options, checkScale: true);

    // The fold-in; checkScale refuses values beyond FoldInScale.Limit of this model's scale (the baseline's own is not asked).
    internal FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options, bool checkScale)
    {
        FoldedTask.ValidateKnown(examples, values, ExampleCount);
        if (checkScale)
        {
            FoldInScale.CheckValid(this, examples, values);
        }

        var baseFold = Baseline.FoldIn(examples, values, options, checkScale: false);
        var m = TaskCount;
        var similarity = new double[m];
        var known = examples.ToArray();
        var knownValues = values.ToArray();

        // The new task's baseline offset mu + a_T: the folded row minus b_j at any example (the first, predicted alone).
        Span<double> first = stackalloc double[1];
        if (!baseFold.PredictBlock(0, first, default))
        {
            first[0] = baseFold.PredictRow()[0];
        }

        var offset = first[0] - (Baseline.HasExampleBias ? Baseline.ExampleBiases[0] : 0);
        for (var n = 0; n < m; n++)
        {
            similarity[n] = KnownSimilarity(known, knownValues, offset, n);
        }

        var order = Order(similarity, exclude: -1);
        var interpolation = Options.InterpolationPrior > 0 && known.Length > 0 && HasCompleteNeighbourhood(order)
            ? InterpolationWeights(known, knownValues, offset, similarity, order)
            : null;
        return new KnnFold(this, known.Length, baseFold, similarity, order, interpolation);
    }

    /// <summary>The same fitted model with another <see cref="KnnOptions.InterpolationPrior"/> (shares every fitted part).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="prior"/> is negative or not finite.</exception>
    public KnnModel WithInterpolationPrior(double prior)
    {
        var options = Options with { InterpolationPrior = prior };
        options.Validate();
        return new KnnModel(this, options);
    }

    // The new task's weights on its k nearest neighbours (who observed every example): the w minimising
    // sum_l (y_l - sum_t w_t r_tl)^2 + lambda sum_t (w_t - w0_t)^2 over the known cells l, where y_l is the task's residual from its
    // baseline fold-in (offset + b_l), r_tl neighbour t's baseline residual, w0 the normalised similarities and lambda = prior x
    // known x noise variance. Null when the system is singular (then the similarity weights serve).
    private double[]? InterpolationWeights(int[] known, double[] values, double offset, double[] similarity, int[] order)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        var exampleBias = Baseline.ExampleBiases;
        double total = 0;
        for (var t = 0; t < k; t++)
        {
            total += similarity[order[t]];
        }

        // The normal equations, accumulated cell by cell (no known x k design matrix): G = sum_l r_l r_l' + lambda I and
        // w = lambda w0 + sum_l r_l y_l, with r_l the neighbours' residuals at cell l. Small k lives on the stack.
        var lambda = Options.InterpolationPrior * known.Length * Baseline.NoiseVariance;
        Span<double> gram = k <= 48 ? stackalloc double[k * k] : new double[k * k];
        Span<double> residual = k <= 256 ? stackalloc double[k] : new double[k];
        gram.Clear();
        var weights = new double[k];
        for (var t = 0; t < k; t++)
        {
            weights[t] = lambda * similarity[order[t]] / total;
        }

        for (var l = 0; l < known.Length; l++)
        {
            var j = known[l];
            var target = values[l] - (offset + (Baseline.HasExampleBias ? exampleBias[j] : 0));
            for (var t = 0; t < k; t++)
            {
                residual[t] = Training[order[t], j] - _exampleOffset[j] - Baseline.TaskBiases[order[t]];
                weights[t] += residual[t] * target;
            }

            for (var a = 0; a < k; a++)
            {
                for (var b = 0; b <= a; b++)
                {
                    gram[(a * k) + b] += residual[a] * residual[b];
                }
            }
        }

        for (var a = 0; a < k; a++)
        {
            gram[(a * k) + a] += lambda;
            for (var b = 0; b < a; b++)
            {
                gram[(b * k) + a] = gram[(a * k) + b];
            }
        }

        if (!Cholesky.Factor(gram, k))
        {
            return null;
        }

        Cholesky.Solve(gram, k, weights);
        return weights;
    }

    // Every pair of tasks shares every example: the pairwise sums are Gram matrices, computed blockwise (cache-friendly,
    // vectorised) instead of pair by pair. Same definitions as PairStats. Each pair's similarity is computed once, from its
    // Gram entry and the two diagonal ones, into the Gram matrix itself (the same bits for (a, b) and (b, a)).
    private static double[] CompleteSimilarity(ForgettingMatrix training, FactorModel baseline, KnnOptions options, CancellationToken cancellationToken)
    {
        int m = training.TaskCount, n = training.ExampleCount;
        var msd = options.Similarity == KnnSimilarity.Msd;
        var rowShift = RowShifts(baseline, msd);
        var gram = msd
            ? GramMatrix.Rows(training, default, default, options.MaxThreads, cancellationToken)
            : GramMatrix.Rows(training, rowShift, baseline.ExampleBiases, options.MaxThreads, cancellationToken);
        var diagonal = new double[m];
        for (var i = 0; i < m; i++)
        {
            diagonal[i] = gram[((long)i * m) + i];
        }

        var sums = new double[m];
        var parallel = Parallelism.Options(options.MaxThreads, cancellationToken);
        if (!msd)
        {
            Parallel.For(0, m, parallel, () => new double[n], (i, _, buffer) =>
            {
                Residuals.Masked(training.Row(i), baseline.ExampleBiases, rowShift[i], buffer);
                sums[i] = TensorPrimitives.Sum<double>(buffer);
                return buffer;
            }, _ => { });
        }

        // Row a reads its entries past the diagonal and writes each pair's similarity to both of its places; no other row reads
        // those places, so the rows run in parallel.
        Parallel.For(0, m, parallel, a =>
        {
            gram[((long)a * m) + a] = 1;
            for (var b = a + 1; b < m; b++)
            {
                var cross = gram[((long)a * m) + b];
                double value;
                if (msd)
                {
                    var meanSquare = Math.Max(diagonal[a] + diagonal[b] - (2 * cross), 0) / n;
                    value = Math.Pow(1 / (1 + meanSquare), options.Amplification);
                }
                else
                {
                    value = new PairStats(n, sums[a], sums[b], diagonal[a], diagonal[b], cross).Similarity(options);
                }

                gram[((long)a * m) + b] = gram[((long)b * m) + a] = value;
            }
        });
        return gram;
    }

    // What the Gram paths subtract from each task's row: nothing for MSD, which compares raw values; mu + a_i for Pearson,
    // which compares the baseline residuals z - (mu + a_i) - b_j (the b_j are the column shifts).
    private static double[] RowShifts(FactorModel baseline, bool msd)
    {
        var shifts = new double[baseline.TaskCount];
        for (var i = 0; !msd && i < shifts.Length; i++)
        {
            shifts[i] = baseline.GlobalMean + baseline.TaskBiases[i];
        }

        return shifts;
    }

    /// <summary>
    /// Matrices with at most one cell in this many missing take <see cref="FewGapsSimilarity"/>; more take the pair-by-pair
    /// sums, whose cost does not grow with the gaps.
    /// </summary>
    internal const int FewGapsShare = 50;

    // Each task's missing cells' examples, ascending, when the matrix has missing cells but at most one in FewGapsShare (then
    // they are few enough to keep: the similarities are corrected at them, and a neighbourhood that misses a few examples
    // walks only there); otherwise null.
    private static int[][]? TaskGaps(ForgettingMatrix training)
    {
        int m = training.TaskCount, n = training.ExampleCount;
        if (training.MissingCount == 0 || training.MissingCount > (long)m * n / FewGapsShare)
        {
            return null;
        }

        var gaps = new int[m][];
        for (var i = 0; i < m; i++)
        {
            var row = training.Row(i);
            var gap = new List<int>();
            for (var j = 0; j < n; j++)
            {
                if (float.IsNaN(row[j]))
                {
                    gap.Add(j);
                }
            }

            gaps[i] = [.. gap];
        }

        return gaps;
    }

    // A matrix with few missing cells: each pair's sums over the examples both observed are the sums over every example with
    // missing cells as 0 (row sums and the Gram matrix, as for a complete matrix), less each task's values at the other's
    // missing cells. The same definitions as PairStats, to rounding; the corrections cost the number of tasks times the
    // number of missing cells.
    private static double[] FewGapsSimilarity(ForgettingMatrix training, FactorModel baseline, KnnOptions options, int[][] gaps, CancellationToken cancellationToken)
    {
        int m = training.TaskCount, n = training.ExampleCount;
        var msd = options.Similarity == KnnSimilarity.Msd;
        var rowShift = RowShifts(baseline, msd);
        var columnShift = msd ? [] : baseline.ExampleBiases.ToArray();
        var gram = GramMatrix.Rows(training, rowShift, columnShift, options.MaxThreads, cancellationToken);
        var sums = new double[m];
        var squares = new double[m];
        var parallel = Parallelism.Options(options.MaxThreads, cancellationToken);
        Parallel.For(0, m, parallel, () => new double[n], (i, _, buffer) =>
        {
            Residuals.Masked(training.Row(i), columnShift, rowShift[i], buffer);
            sums[i] = TensorPrimitives.Sum<double>(buffer);
            squares[i] = TensorPrimitives.SumOfSquares<double>(buffer);
            return buffer;
        }, _ => { });

        // Task a's value at example j, as the Gram pass read it (0 where a missed it).
        double Value(int a, int j)
        {
            var z = training[a, j];
            return float.IsNaN(z) ? 0 : z - (columnShift.Length == 0 ? 0 : columnShift[j]) - rowShift[a];
        }

        // Row a reads its Gram entries past the diagonal and writes each pair's similarity to both of its places in the Gram
        // matrix itself; no other row reads those places.
        var similarity = gram;
        Parallel.For(0, m, parallel, a =>
        {
            similarity[((long)a * m) + a] = 1;
            for (var b = a + 1; b < m; b++)
            {
                // a's sums over b's gaps and b's over a's; the examples both missed, counted once.
                double sumA = sums[a], squareA = squares[a], sumB = sums[b], squareB = squares[b];
                foreach (var j in gaps[b])
                {
                    var v = Value(a, j);
                    sumA -= v;
                    squareA -= v * v;
                }

                foreach (var j in gaps[a])
                {
                    var v = Value(b, j);
                    sumB -= v;
                    squareB -= v * v;
                }

                var count = n - gaps[a].Length - gaps[b].Length + CommonCount(gaps[a], gaps[b]);
                var cross = gram[((long)a * m) + b];
                var stats = new PairStats(count, Math.Max(squareA + squareB - (2 * cross), 0), sumA, sumB, squareA, squareB, cross);
                similarity[((long)a * m) + b] = similarity[((long)b * m) + a] = stats.Similarity(options);
            }
        });
        return similarity;
    }

    // The number of values two ascending arrays share.
    private static int CommonCount(int[] x, int[] y)
    {
        int i = 0, k = 0, common = 0;
        while (i < x.Length && k < y.Length)
        {
            if (x[i] == y[k])
            {
                common++;
                i++;
                k++;
            }
            else if (x[i] < y[k])
            {
                i++;
            }
            else
            {
                k++;
            }
        }

        return common;
    }

    private double KnownSimilarity(int[] known, double[] values, double offset, int task)
    {
        var row = Training.Row(task);
        var other = Baseline.GlobalMean + Baseline.TaskBiases[task];
        var b = Baseline.ExampleBiases;
        var stats = default(PairStats);
        for (var t = 0; t < known.Length; t++)
        {
            var z = row[known[t]];
            if (!float.IsNaN(z))
            {
                stats.Add(values[t], offset + b[known[t]], z, other + b[known[t]]);
            }
        }

        return stats.Similarity(Options);
    }

    private static double TaskSimilarity(ReadOnlySpan<float> a, double ca, ReadOnlySpan<float> b, double cb, ReadOnlySpan<double> exampleBias, KnnOptions options)
    {
        var stats = default(PairStats);
        for (var j = 0; j < a.Length; j++)
        {
            float x = a[j], y = b[j];
            if (!float.IsNaN(x) && !float.IsNaN(y))
            {
                stats.Add(x, ca + exampleBias[j], y, cb + exampleBias[j]);
            }
        }

        return stats.Similarity(options);
    }

    // The tasks other than `exclude` with a positive similarity, most similar first, equal similarities by task index. Sorted
    // as primitive keys (the negated similarities) with the indices alongside, then each run of equal keys put back in index
    // order: the order the comparison "similarity descending, then index" defines, several times faster than sorting with it.
    internal static int[] Order(ReadOnlySpan<double> similarity, int exclude)
    {
        var count = 0;
        for (var n = 0; n < similarity.Length; n++)
        {
            count += n != exclude && similarity[n] > 0 ? 1 : 0;
        }

        var keys = new double[count];
        var order = new int[count];
        count = 0;
        for (var n = 0; n < similarity.Length; n++)
        {
            if (n != exclude && similarity[n] > 0)
            {
                keys[count] = -similarity[n];
                order[count++] = n;
            }
        }

        Array.Sort(keys, order);
        for (var start = 0; start < count;)
        {
            var end = start + 1;
            while (end < count && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(order, start, end - start);
            }

            start = end;
        }

        return order;
    }

    // Weighted mean and weighted variance of the residuals of the first Neighbors tasks (in order) that observed example j.
    private (double Mean, double Variance) Neighbourhood(int[] order, ReadOnlySpan<double> similarity, int example)
    {
        var moments = default(NeighbourMoments);
        var b = _exampleOffset[example];
        foreach (var n in order)
        {
            var z = Training[n, example];
            if (!float.IsNaN(z) && moments.Add(similarity[n], z - b - Baseline.TaskBiases[n], Options.Neighbors))
            {
                break;
            }
        }

        return moments.Result();
    }

    // True when the first Neighbors tasks in order observed every example (then they are every example's neighbours).
    private bool NeighboursComplete(int[] order)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        for (var t = 0; t < k; t++)
        {
            if (!_complete[order[t]])
            {
                return false;
            }
        }

        return true;
    }

    private void AddNeighbourhood(int[] order, ReadOnlySpan<double> similarity, Span<double> destination, Span<double> std)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        if (k == 0)
        {
            AddGappyNeighbourhood(order, similarity, default, destination, std);
            return;
        }

        if (NeighboursComplete(order))
        {
            // Every neighbour observed every example: the same k neighbours serve every column, so the weighted mean (and
            // second moment) of their residual rows is one vectorised pass.
            AddCompleteNeighbourhood(order, similarity, 0, destination, std);
            return;
        }

        if (_gaps is null)
        {
            AddGappyNeighbourhood(order, similarity, default, destination, std);
            return;
        }

        // The k nearest neighbours missed a few examples: the vectorised pass serves every example they all observed (where
        // the walk would stop at them too), and each example one of them missed walks on to the next neighbours that observed
        // it. The pass writes NaN there, so those examples' running values are kept and restored first.
        var gaps = NeighbourGaps(order, k);
        var kept = new double[gaps.Length];
        for (var t = 0; t < gaps.Length; t++)
        {
            kept[t] = destination[gaps[t]];
        }

        AddCompleteNeighbourhood(order, similarity, 0, destination, std);
        var walked = new double[gaps.Length];
        var walkedStd = std.IsEmpty ? [] : new double[gaps.Length];
        kept.CopyTo(walked, 0);
        AddGappyNeighbourhood(order, similarity, gaps, walked, walkedStd);
        for (var t = 0; t < gaps.Length; t++)
        {
            destination[gaps[t]] = walked[t];
            if (!std.IsEmpty)
            {
                std[gaps[t]] = walkedStd[t];
            }
        }
    }

    // The examples that at least one of the first k tasks in order missed, ascending.
    private int[] NeighbourGaps(int[] order, int k)
    {
        var taskGaps = _gaps!;
        var total = 0;
        for (var t = 0; t < k; t++)
        {
            total += taskGaps[order[t]].Length;
        }

        var gaps = new int[total];
        total = 0;
        for (var t = 0; t < k; t++)
        {
            taskGaps[order[t]].CopyTo(gaps, total);
            total += taskGaps[order[t]].Length;
        }

        Array.Sort(gaps);
        var distinct = 0;
        for (var c = 0; c < gaps.Length; c++)
        {
            if (c == 0 || gaps[c] != gaps[c - 1])
            {
                gaps[distinct++] = gaps[c];
            }
        }

        return gaps[..distinct];
    }

    // The examples of the row each take the neighbourhood's vectorised pass (every one of the first k neighbours observed
    // them) or walk on past the neighbours that missed them, as the whole row does: cell predictions for any examples.
    private void AddNeighbourhoodCells(int[] order, ReadOnlySpan<double> similarity, ReadOnlySpan<int> examples, Span<double> destination, Span<double> std, double[]? interpolation)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        if (k == 0)
        {
            AddGappyNeighbourhood(order, similarity, examples, destination, std);
            return;
        }

        if (NeighboursComplete(order))
        {
            AddCompleteNeighbourhoodCells(order, similarity, examples, destination, std, interpolation);
            return;
        }

        if (_gaps is null)
        {
            AddGappyNeighbourhood(order, similarity, examples, destination, std);
            return;
        }

        var gaps = NeighbourGaps(order, k);
        var walked = new List<int>();
        var passed = new List<int>();
        for (var t = 0; t < examples.Length; t++)
        {
            (Array.BinarySearch(gaps, examples[t]) >= 0 ? walked : passed).Add(t);
        }

        foreach (var (positions, walk) in new[] { (passed, false), (walked, true) })
        {
            var cells = new int[positions.Count];
            var mean = new double[positions.Count];
            for (var c = 0; c < cells.Length; c++)
            {
                cells[c] = examples[positions[c]];
                mean[c] = destination[positions[c]];
            }

            var spread = std.IsEmpty ? [] : new double[cells.Length];
            if (walk)
            {
                AddGappyNeighbourhood(order, similarity, cells, mean, spread);
            }
            else
            {
                AddCompleteNeighbourhoodCells(order, similarity, cells, mean, spread, interpolation);
            }

            for (var c = 0; c < cells.Length; c++)
            {
                destination[positions[c]] = mean[c];
                if (!std.IsEmpty)
                {
                    std[positions[c]] = spread[c];
                }
            }
        }
    }

    // True when the k nearest neighbours exist and observed every example: then the row can be evaluated block by block.
    private bool HasCompleteNeighbourhood(int[] order) => Math.Min(Options.Neighbors, order.Length) > 0 && NeighboursComplete(order);

    // The neighbourhood example by example, when some of the nearest neighbours missed cells (or there is none): each example's
    // first Neighbors tasks in order that observed it. examples: those examples (destination[t] and std[t] for examples[t]), or
    // empty for every example of the row in order. Each example's value is the same bits either way.
    private void AddGappyNeighbourhood(int[] order, ReadOnlySpan<double> similarity, ReadOnlySpan<int> examples, Span<double> destination, Span<double> std)
    {
        // An example no neighbour observed is the baseline's alone; one no training task observed (unmeasured) adds the
        // baseline's spread of example biases, as the additive model's own prediction does there.
        var unmeasured = Baseline.Parameters.UnmeasuredExamples;
        var spread = unmeasured.Length == 0 ? 0 : Baseline.UnmeasuredVariance(default, default);
        var whole = examples.IsEmpty;
        for (var t = 0; t < destination.Length; t++)
        {
            var j = whole ? t : examples[t];
            var (cellMean, variance) = Neighbourhood(order, similarity, j);
            destination[t] += cellMean;
            if (std.Length != 0)
            {
                std[t] = !double.IsNaN(variance) ? Math.Sqrt(variance)
                    : Math.Sqrt(Baseline.NoiseVariance + (spread > 0 && Array.BinarySearch(unmeasured, j) >= 0 ? spread : 0));
            }
        }
    }

    // Examples start .. start + destination.Length - 1 of a complete neighbourhood: the neighbours' similarity-weighted mean
    // residual is added to destination and their spread written to std (when not empty). Every operation is per example, so
    // a block gives the same bits as the whole row. With interpolation weights (one per neighbour), the mean is their weighted
    // sum of residuals instead; the spread stays the similarity-weighted one (interpolation weights need not be positive or sum
    // to 1), in the same pass over the rows.
    private void AddCompleteNeighbourhood(int[] order, ReadOnlySpan<double> similarity, int start, Span<double> destination, Span<double> std, double[]? interpolation = null)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        Span<double> bias = k <= 256 ? stackalloc double[k] : new double[k];
        Span<double> weights = k <= 256 ? stackalloc double[k] : new double[k];
        NeighbourWeights(order, similarity, bias, weights);

        // The offset mu + b_j from the baseline's example biases, which its fold has just read for the same examples (the same
        // bits as _exampleOffset, one array less to stream).
        var withBiases = Baseline.ExampleBiases.Length == ExampleCount;
        var offset = withBiases ? Baseline.ExampleBiases.Slice(start, destination.Length) : _exampleOffset.AsSpan(start, destination.Length);
        NeighbourKernel.Accumulate(Training.Values, ExampleCount, order.AsSpan(0, k), bias, weights, offset, withBiases ? Baseline.GlobalMean : 0, start, destination, std, interpolation);
    }

    // AddCompleteNeighbourhood for the examples `examples` instead of a range: the same values, example by example.
    private void AddCompleteNeighbourhoodCells(int[] order, ReadOnlySpan<double> similarity, ReadOnlySpan<int> examples, Span<double> destination, Span<double> std, double[]? interpolation)
    {
        var k = Math.Min(Options.Neighbors, order.Length);
        Span<double> bias = k <= 256 ? stackalloc double[k] : new double[k];
        Span<double> weights = k <= 256 ? stackalloc double[k] : new double[k];
        NeighbourWeights(order, similarity, bias, weights);
        var withBiases = Baseline.ExampleBiases.Length == ExampleCount;
        NeighbourKernel.AccumulateCells(Training.Values, ExampleCount, order.AsSpan(0, k), bias, weights, withBiases ? Baseline.ExampleBiases : _exampleOffset,
            withBiases ? Baseline.GlobalMean : 0, examples, destination, std, interpolation);
    }

    // The k nearest neighbours' task biases and similarity weights normalised to sum to 1 (k = bias.Length).
    private void NeighbourWeights(int[] order, ReadOnlySpan<double> similarity, Span<double> bias, Span<double> weights)
    {
        double weight = 0;
        for (var t = 0; t < bias.Length; t++)
        {
            weight += similarity[order[t]];
        }

        for (var t = 0; t < bias.Length; t++)
        {
            bias[t] = Baseline.TaskBiases[order[t]];
            weights[t] = similarity[order[t]] / weight;
        }
    }

    /// <summary>Running sums for the similarity of two tasks over their shared observed examples.</summary>
    private struct PairStats
    {
        public PairStats(int count, double ra, double rb, double raa, double rbb, double rab)
            : this(count, 0, ra, rb, raa, rbb, rab)
        {
        }

        public PairStats(int count, double sumSquaredDifference, double ra, double rb, double raa, double rbb, double rab)
        {
            _count = count;
            _sumSquaredDifference = sumSquaredDifference;
            _ra = ra;
            _rb = rb;
            _raa = raa;
            _rbb = rbb;
            _rab = rab;
        }

        private int _count;
        private double _sumSquaredDifference;
        private double _ra;
        private double _rb;
        private double _raa;
        private double _rbb;
        private double _rab;

        public void Add(double x, double baselineX, double y, double baselineY)
        {
            _count++;
            var d = x - y;
            _sumSquaredDifference += d * d;
            var rx = x - baselineX;
            var ry = y - baselineY;
            _ra += rx;
            _rb += ry;
            _raa += rx * rx;
            _rbb += ry * ry;
            _rab += rx * ry;
        }

        public readonly double Similarity(KnnOptions options)
        {
            if (_count == 0)
            {
                return 0;
            }

            if (options.Similarity == KnnSimilarity.Msd)
            {
                return Math.Pow(1 / (1 + (_sumSquaredDifference / _count)), options.Amplification);
            }

            // Pearson correlation of baseline residuals (centred on their means over the shared cells), shrunk.
            var n = (double)_count;
            var cov = _rab - (_ra * _rb / n);
            var va = _raa - (_ra * _ra / n);
            var vb = _rbb - (_rb * _rb / n);
            // A variance that is rounding left over from cancelling sums (residuals that are one constant: every example
            // alike) is none; and rounding can put a correlation just past +-1 (-1.055 had made a saved model unloadable).
            if (!(va > 1e-12 * _raa) || !(vb > 1e-12 * _rbb) || n < 2)
            {
                return 0;
            }

            var rho = Math.Clamp(cov / Math.Sqrt(va * vb), -1, 1);
            var shrunk = (n - 1) / (n - 1 + options.Shrinkage) * rho;
            return shrunk > 0 ? Math.Pow(shrunk, options.Amplification) : shrunk;
        }
    }

    // The new task's group-mean residual, estimated like a cell: the similarity-weighted mean and variance, over its nearest
    // neighbours that observed any member, of each neighbour's mean residual over the members it observed.
    private (double Mean, double Variance) GroupNeighbourhood(int[] order, ReadOnlySpan<double> similarity, ReadOnlySpan<int> examples)
    {
        var moments = default(NeighbourMoments);
        foreach (var t in order)
        {
            var row = Training.Row(t);
            var bias = Baseline.TaskBiases[t];
            double total = 0;
            var count = 0;
            foreach (var j in examples)
            {
                var z = row[j];
                if (!float.IsNaN(z))
                {
                    total += z - _exampleOffset[j] - bias;
                    count++;
                }
            }

            if (count == 0)
            {
                continue;
            }

            if (moments.Add(similarity[t], total / count, Options.Neighbors))
            {
                break;
            }
        }

        return moments.Result();
    }

    // Similarity-weighted mean and variance of the neighbours' residuals, over the first `limit` neighbours that have one.
    private struct NeighbourMoments
    {
        private double _weight, _sum, _sumSq;
        private int _found;

        // Adds one neighbour's residual; true when the limit is reached.
        public bool Add(double similarity, double residual, int limit)
        {
            _weight += similarity;
            _sum += similarity * residual;
            _sumSq += similarity * residual * residual;
            return ++_found == limit;
        }

        // (mean, variance), or (0, NaN) when no neighbour had a residual.
        public readonly (double Mean, double Variance) Result()
        {
            if (_weight == 0)
            {
                return (0, double.NaN);
            }

            var mean = _sum / _weight;
            return (mean, Math.Max((_sumSq / _weight) - (mean * mean), 0));
        }
    }

    // The neighbours' group-mean residual under interpolation weights: sum_t w_t x (neighbour t's mean residual over the group),
    // the average of the cells' interpolated residuals (every neighbour observed every example).
    private double InterpolatedGroupResidual(int[] order, double[] weights, ReadOnlySpan<int> examples)
    {
        double sum = 0;
        for (var t = 0; t < weights.Length; t++)
        {
            var row = Training.Row(order[t]);
            var bias = Baseline.TaskBiases[order[t]];
            double total = 0;
            foreach (var j in examples)
            {
                total += row[j] - _exampleOffset[j] - bias;
            }

            sum += weights[t] * (total / examples.Length);
        }

        return sum;
    }

    // interpolation: the new task's interpolation weights on its nearest neighbours (complete neighbourhoods only), or null for
    // the similarity weights.
    private sealed class KnnFold(KnnModel model, int known, FoldedTask baseline, double[] similarity, int[] order, double[]? interpolation)
        : FoldedTask(model.ExampleIds, known, false, baseline.FromTaskPrior)
    {
        // The new task's bias is uncertain and shared by every example: its variance adds to every cell and every group.
        private readonly double _biasVariance = baseline.ParameterVariance([0]);

        protected override void PredictRowCore(Span<double> mean, Span<double> std)
        {
            baseline.PredictRow(mean);
            if (interpolation is null)
            {
                model.AddNeighbourhood(order, similarity, mean, std);
            }
            else
            {
                model.AddCompleteNeighbourhood(order, similarity, 0, mean, std, interpolation);
            }

            AddBiasVariance(std);
        }

        // The same operations as PredictRowCore on a block, when the neighbours observed every example.
        internal override bool PredictBlock(int start, Span<double> mean, Span<double> std)
        {
            if (!model.HasCompleteNeighbourhood(order) || !baseline.PredictBlock(start, mean, default))
            {
                return false;
            }

            model.AddCompleteNeighbourhood(order, similarity, start, mean, std, interpolation);
            AddBiasVariance(std);
            return true;
        }

        // The same operations as PredictRowCore, example by example (the vectorised pass or the walk, as the whole row takes
        // them for each example; interpolation weights exist only for complete neighbourhoods).
        internal override void PredictCellsCore(ReadOnlySpan<int> examples, Span<double> mean, Span<double> std)
        {
            if (examples.IsEmpty)
            {
                return;
            }

            baseline.PredictCellsCore(examples, mean, default);
            model.AddNeighbourhoodCells(order, similarity, examples, mean, std, interpolation);
            AddBiasVariance(std);
        }

        // std = sqrt(std^2 + bias variance), in three vector passes (exact per lane, so the same bits at any width).
        private void AddBiasVariance(Span<double> std)
        {
            TensorPrimitives.Multiply(std, std, std);
            TensorPrimitives.Add(std, _biasVariance, std);
            TensorPrimitives.Sqrt(std, std);
        }

        // The group's mean forgetting: the baseline's group mean plus the neighbours' weighted group-mean residual; its
        // variance: the bias variance plus how much the neighbours disagree on the group's mean residual (the group-level
        // analogue of a cell's neighbourhood variance, so residuals that move together across examples are not averaged away).
        protected override (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
        {
            var (baseMean, baseVariance) = baseline.Average(examples);
            var (residual, variance) = model.GroupNeighbourhood(order, similarity, examples);
            if (double.IsNaN(variance))
            {
                return (baseMean, baseVariance);
            }

            if (interpolation is not null)
            {
                residual = model.InterpolatedGroupResidual(order, interpolation, examples);
            }

            if (!model.NeighboursComplete(order))
            {
                // Neighbours with missing cells: the mean is the average of the cell predictions, exactly as PredictRow gives them.
                var row = new double[model.ExampleCount];
                PredictRowCore(row, default);
                residual = 0;
                foreach (var j in examples)
                {
                    residual += row[j] / examples.Length;
                }

                return (residual, variance + _biasVariance);
            }

            return (baseMean + residual, variance + _biasVariance);
        }
    }
}
