using ForgetPredict.Core.Evaluation;

namespace ForgetPredict.Core.Models;

/// <summary>A candidate model of a cross-validated choice: a name for reports and the fitters that make it.</summary>
/// <param name="Name">Name shown in reports (e.g. "mf rank 4").</param>
/// <param name="Fitter">Fits the candidate inside the cross-validation.</param>
/// <param name="Refit">Fits the chosen candidate on every row, or null for <paramref name="Fitter"/> (a cheaper fitter can
/// serve the cross-validation when only its predicted means are scored, e.g. without residual components).</param>
public sealed record Candidate(string Name, IForgettingFitter Fitter, IForgettingFitter? Refit = null)
{
    /// <summary>The fitter of the final model.</summary>
    public IForgettingFitter Final => Refit ?? Fitter;
}

/// <summary>
/// Folds a held-out task in from its known cells and writes the predictions and predictive stds of the scored cells
/// (<see cref="FoldedTask.PredictCells"/> does it for any fold, with the whole row's bits).
/// </summary>
/// <param name="row">The task's row in the cross-validated matrix (its id names it, e.g. to look up its features).</param>
/// <param name="known">Its known examples.</param>
/// <param name="values">Their values.</param>
/// <param name="cells">The examples scored, in column order.</param>
/// <param name="mean">Destination of their predictions, one per scored example.</param>
/// <param name="std">Destination of their predictive stds, one per scored example.</param>
public delegate void HeldOutFoldIn(int row, int[] known, double[] values, int[] cells, Span<double> mean, Span<double> std);

/// <summary>Options of <see cref="TaskCrossValidation"/>: how the task at hand is simulated inside the training rows.</summary>
public sealed record CrossValidationOptions : FitOptions
{
    /// <summary>Known cells each held-out task reveals: the k the user will have.</summary>
    public int Known { get; init; } = Evaluation.EvaluationOptions.DefaultKnown;

    /// <summary>Groups of training tasks held out in turn (fewer when there are fewer tasks).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Reveal draws per held-out task.</summary>
    public int Draws { get; init; } = 2;

    /// <summary>Unrevealed cells scored per held-out task and draw (a seeded sample; all when the row has fewer).</summary>
    public int ScoredCells { get; init; } = 2000;

    /// <summary>
    /// Held-out tasks scored per fold: a fold holding more scores a seeded sample of this many of them (the candidates are
    /// still fitted on every other fold's tasks). Beyond a few hundred tasks more add little to the comparison of
    /// candidates but one fold-in each per candidate and draw.
    /// </summary>
    public int ScoredTasks { get; init; } = 200;

    /// <summary>Seed of the fold assignment, the reveals and the scored sample.</summary>
    public int Seed { get; init; } = Defaults.Seed;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Known, 0, int.MaxValue, nameof(Known));
        InRange(Folds, 2, 1000, nameof(Folds));
        InRange(Draws, 1, 100, nameof(Draws));
        InRange(ScoredCells, 1, int.MaxValue, nameof(ScoredCells));
        InRange(ScoredTasks, 1, int.MaxValue, nameof(ScoredTasks));
    }
}

/// <summary>
/// Held-out predictions of several candidates for the task at hand, simulated inside the training rows: training tasks are
/// held out fold by fold, each reveals <see cref="CrossValidationOptions.Known"/> of its cells, every candidate (fitted on
/// the other folds) folds it in, and the prediction of a sample of its unrevealed cells is kept beside the truth.
/// </summary>
/// <param name="Truth">True values of the scored cells.</param>
/// <param name="Predictions">Per candidate, the prediction of each scored cell.</param>
/// <param name="Stds">Per candidate, the predictive standard deviation of each scored cell.</param>
public sealed record TaskCrossValidation(double[] Truth, double[][] Predictions, double[][] Stds)
{
    /// <summary>Fewest tasks a cross-validation accepts (each fold must leave a few tasks to fit on).</summary>
    public const int MinimumTasks = 4;

    /// <summary>
    /// Scored held-out tasks (<see cref="CrossValidationOptions.ScoredTasks"/> per fold at most) with no more observed cells
    /// than <see cref="CrossValidationOptions.Known"/>: each revealed all its
    /// observed cells but one (a randomly drawn one, per draw) and was scored on that one, so that short rows are simulated as
    /// closely as they can be instead of leaving nothing to score. 0 when every row has more observed cells than that.
    /// </summary>
    public int ShortTasks { get; init; }

    /// <summary>
    /// Folds left out of the scoring because their training tasks (every task outside the fold) are constant, so no candidate
    /// can be fitted on them (the matrix as a whole is not constant: its varying tasks are all in those folds). 0 normally.
    /// </summary>
    public int SkippedFolds { get; init; }

    /// <summary>The same cross-validation restricted to the candidates <paramref name="candidates"/>, in that order.</summary>
    public TaskCrossValidation Select(IReadOnlyList<int> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return this with { Predictions = [.. candidates.Select(c => Predictions[c])], Stds = [.. candidates.Select(c => Stds[c])] };
    }

    /// <summary>Root mean squared error of candidate <paramref name="c"/>.</summary>
    public double Rmse(int c) => Math.Sqrt(Predictions[c].Select((p, i) => (p - Truth[i]) * (p - Truth[i])).Sum() / Truth.Length);

    /// <summary>Runs the cross-validation. Folds run in parallel; the result is the same for every thread count.</summary>
    /// <param name="matrix">The training rows.</param>
    /// <param name="candidates">The candidates, each fitted on every fold's training rows.</param>
    /// <param name="options">The simulated task.</param>
    /// <param name="cancellationToken">Stops the folds' fits (between solver sweeps) and the folds.</param>
    /// <exception cref="ArgumentException">The matrix has fewer than <see cref="MinimumTasks"/> tasks, is constant, or leaves
    /// nothing to score; or a candidate cannot be fitted on a fold's training tasks (the first such fold's error).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TaskCrossValidation Run(ForgettingMatrix matrix, IReadOnlyList<Candidate> candidates, CrossValidationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return Run(matrix, candidates.Count, train => [.. candidates.Select(c => FoldInOf(c.Fitter.Fit(train, cancellationToken)))], options, cancellationToken);
    }

    // The held-out task's cells are the matrix's own values: the fold-in skips the scale check (FoldInScale) and its cached row.
    /// <summary>A fitted model's held-out fold-in: the plain fold-in from the known cells, the scored cells predicted.</summary>
    internal static HeldOutFoldIn FoldInOf(IForgettingModel model) => (_, known, values, cells, mean, std) => FoldInScale.Unchecked(model, known, values, null).PredictCells(cells, mean, std);

    /// <summary>
    /// Runs the cross-validation for candidates that may need to know which task they fold in (e.g. to look up its features):
    /// <paramref name="prepare"/> fits every candidate on a fold's training rows and returns one fold-in per candidate.
    /// Folds run in parallel; the result is the same for every thread count.
    /// </summary>
    /// <param name="matrix">The training rows.</param>
    /// <param name="candidateCount">Number of candidates <paramref name="prepare"/> returns fold-ins for.</param>
    /// <param name="prepare">Fits the candidates on a fold's training rows (a subset of <paramref name="matrix"/>'s tasks).</param>
    /// <param name="options">The simulated task.</param>
    /// <param name="cancellationToken">Stops the cross-validation between folds and held-out tasks (pass it to the fits of
    /// <paramref name="prepare"/> too, to stop them between solver sweeps).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ArgumentException">The matrix has fewer than <see cref="MinimumTasks"/> tasks, its observed cells are
    /// all equal, every fold's training tasks are constant, no held-out task has a cell to score, or
    /// <paramref name="prepare"/> returns the wrong count. An exception of <paramref name="prepare"/> on a fold is rethrown
    /// as it is (not wrapped), the lowest fold's first, whatever the thread count.</exception>
    /// <remarks>A fold whose training tasks are constant (every observed cell equal) is left out of the scoring and counted in
    /// <see cref="SkippedFolds"/>: no candidate can learn from it, though the whole matrix varies.</remarks>
    public static TaskCrossValidation Run(ForgettingMatrix matrix, int candidateCount, Func<ForgettingMatrix, IReadOnlyList<HeldOutFoldIn>> prepare, CrossValidationOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(prepare);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(candidateCount);
        options.Validate();
        FactorFits.CheckFittable(matrix);
        var m = matrix.TaskCount;
        if (m < MinimumTasks)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Cross-validated fits (auto, ensemble) need at least {MinimumTasks} tasks to hold some out; they were given {m} (in an evaluation, the training tasks). Choose another method, e.g. mf, or add tasks."), nameof(matrix));
        }

        // A constant matrix gets the same message as a single fit of it (every fold would be constant too). A cell beyond the
        // outlier limit is refused once, here, against the whole matrix's typical magnitude: a fold holding mostly small
        // tasks had refused a cell the whole matrix passed, quoting the fold's typical magnitude.
        DataScale.ThrowIfConstant(matrix);
        matrix = DataScale.CheckOutliers(matrix, options.MaxThreads);
        var folds = Math.Min(options.Folds, m);
        var observedCells = new int[m];
        for (var i = 0; i < m; i++)
        {
            observedCells[i] = matrix.ExampleCount - (int)Numerics.ValueScan.Scan(matrix.Row(i)).MissingCount;
        }

        var order = Enumerable.Range(0, m).ToArray();
        new Random(options.Seed).Shuffle(order);
        var perFold = new (double[] Truth, double[][] Predictions, double[][] Stds, int ShortTasks)[folds];
        var skipped = new bool[folds];
        var failures = new Exception?[folds];
        var parallel = Numerics.Parallelism.Options(options.MaxThreads, cancellationToken);
        Parallel.For(0, folds, parallel, f =>
        {
            // Each fold's failure is kept and the lowest fold's rethrown below, unwrapped: Parallel.For would wrap them in an
            // AggregateException in the order the threads failed.
            try
            {
                perFold[f] = RunFold(f);
            }
            catch (Exception e)
            {
                failures[f] = e;
                perFold[f] = ([], [], [], 0);
            }
        });

        // A cancelled run says so, whichever fold noticed first (and however the others ended).
        cancellationToken.ThrowIfCancellationRequested();
        if (failures.FirstOrDefault(e => e is not null) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        if (skipped.All(s => s))
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Cross-validated fits (auto, ensemble) fit each candidate on all but one group of tasks, but in every one of the {folds} groupings of this {m} x {matrix.ExampleCount} matrix the tasks fitted on are constant (the varying tasks are too few to spread over the groups). Choose another method, e.g. mf, or add tasks that vary."), nameof(matrix));
        }

        if (perFold.All(f => f.Truth.Length == 0))
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Cross-validated fits (auto, ensemble) score held-out tasks on cells they did not reveal, but no task of this {m} x {matrix.ExampleCount} matrix has an observed cell to score. Choose a method, e.g. --method additive."), nameof(matrix));
        }

        return new TaskCrossValidation(
            [.. perFold.SelectMany(f => f.Truth)],
            [.. Enumerable.Range(0, candidateCount).Select(c => perFold.SelectMany(f => f.Predictions[c]).ToArray())],
            [.. Enumerable.Range(0, candidateCount).Select(c => perFold.SelectMany(f => f.Stds[c]).ToArray())])
        {
            ShortTasks = perFold.Sum(f => f.ShortTasks),
            SkippedFolds = skipped.Count(s => s),
        };

        (double[] Truth, double[][] Predictions, double[][] Stds, int ShortTasks) RunFold(int f)
        {
            // The fold's tasks with an observed cell (the others have nothing to score), in their shuffled order: the first
            // ScoredTasks of them are scored (all, in a fold of that many or fewer).
            var heldOut = order.Where((_, p) => p % folds == f).Where(t => observedCells[t] > 0).Take(options.ScoredTasks).Order().ToArray();
            var train = matrix.SelectTasks(order.Where((_, p) => p % folds != f).Order().ToArray());
            if (train.ObservedCount == 0)
            {
                // Every candidate's fit had said "Every cell of the matrix is missing" of a matrix with observed cells.
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Cross-validated fits (auto, ensemble) fit each candidate on all but one group of tasks, but in grouping {f + 1} of {folds} of this {m} x {matrix.ExampleCount} matrix the tasks fitted on have no observed cell: the matrix's {matrix.ObservedCount:N0} observed cells are on {observedCells.Count(c => c > 0)} of its tasks, all held out together. Fit one method instead of a cross-validated one (additive, say), or measure more tasks."), nameof(matrix));
            }

            if (DataScale.Constant(train).Constant)
            {
                skipped[f] = true;
                return ([], [.. Enumerable.Range(0, candidateCount).Select(_ => Array.Empty<double>())], [.. Enumerable.Range(0, candidateCount).Select(_ => Array.Empty<double>())], 0);
            }

            var models = prepare(train);
            if (models.Count != candidateCount)
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The cross-validation expected {candidateCount} candidates' fold-ins, got {models.Count}."), nameof(prepare));
            }

            var truth = new List<double>();
            var predictions = Enumerable.Range(0, candidateCount).Select(_ => new List<double>()).ToArray();
            var stds = Enumerable.Range(0, candidateCount).Select(_ => new List<double>()).ToArray();
            var reveal = new EvaluationOptions { Known = options.Known, Seed = options.Seed };
            var shortTasks = 0;
            foreach (var row in heldOut)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // A row with no more observed cells than Known would reveal them all and leave nothing to score: it reveals
                // all but one instead (the same draws as revealing Known, stopped one cell earlier). Rows with more observed
                // cells reveal Known, as the user will.
                var observed = observedCells[row];
                var rowReveal = reveal;
                if (observed <= options.Known && observed > 0)
                {
                    rowReveal = reveal with { Known = observed - 1 };
                    shortTasks++;
                }

                for (var d = 0; d < options.Draws; d++)
                {
                    var known = Protocol.Reveal(matrix, row, d, rowReveal);
                    var values = known.Select(j => (double)matrix[row, j]).ToArray();
                    var scored = Scored(matrix, row, known, options.ScoredCells, Numerics.Seeds.Mix(options.Seed, d, row + 7919));
                    foreach (var j in scored)
                    {
                        truth.Add(matrix[row, j]);
                    }

                    var mean = new double[scored.Length];
                    var std = new double[scored.Length];
                    for (var c = 0; c < models.Count; c++)
                    {
                        models[c](row, known, values, scored, mean, std);
                        predictions[c].AddRange(mean);
                        stds[c].AddRange(std);
                    }
                }
            }

            return ([.. truth], [.. predictions.Select(p => p.ToArray())], [.. stds.Select(s => s.ToArray())], shortTasks);
        }
    }

    // A seeded sample of the row's observed, unrevealed cells, in column order: the first `limit` of a seeded Fisher-Yates
    // shuffle of those cells. Random.Shuffle swaps place i with Next(i, n) for i = 0, 1, ..., so its first `limit` steps fix
    // the first `limit` places: the same sample as shuffling them all, without the other n - limit draws.
    internal static int[] Scored(ForgettingMatrix matrix, int row, int[] known, int limit, int seed)
    {
        var revealed = known.Order().ToArray();
        var values = matrix.Row(row);
        var cells = new int[values.Length];
        int count = 0, next = 0;
        for (var j = 0; j < values.Length; j++)
        {
            if (next < revealed.Length && revealed[next] == j)
            {
                next++;
            }
            else if (!float.IsNaN(values[j]))
            {
                cells[count++] = j;
            }
        }

        if (count <= limit)
        {
            return cells[..count];
        }

        var random = new Random(seed);
        for (var i = 0; i < limit; i++)
        {
            var pick = random.Next(i, count);
            (cells[i], cells[pick]) = (cells[pick], cells[i]);
        }

        var sample = cells[..limit];
        Array.Sort(sample);
        return sample;
    }
}
