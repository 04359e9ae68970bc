using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

// Design note. The solver streams the float32 matrix in place: it never makes a transposed or double copy, so
// its working memory is O((M + N)(r + 1)) doubles plus one chunk of scratch per thread. Rows are updated from
// sums over fixed column partitions (each walks its ColumnChunk-wide pieces through every row, so the example
// factors stream through the cache once per half-sweep), added in partition order; columns are updated in fixed
// ColumnChunk-wide chunks that walk every row. Both partitions depend only on the matrix shape, every sum has a
// fixed order, and each parallel worker writes only its own sums or columns: results are bit-identical for any
// thread count.

/// <summary>Configuration of one alternating-least-squares run (internal; fitters build it from their options).</summary>
internal sealed record AlsProblem
{
    /// <summary>Latent dimension r (0 for bias-only models).</summary>
    public int Rank { get; init; }

    /// <summary>Solve for task biases a_i.</summary>
    public bool TaskBias { get; init; }

    /// <summary>Solve for example biases b_j.</summary>
    public bool ExampleBias { get; init; }

    /// <summary>Subtract the observed mean mu first (biased models); false for uncentred models.</summary>
    public bool Center { get; init; }

    /// <summary>L2 penalty on each task bias a_i.</summary>
    public double BiasLambda { get; init; }

    /// <summary>L2 penalty on each example bias b_j, when it differs from <see cref="BiasLambda"/> (null: the same).</summary>
    public double? ExampleBiasLambda { get; init; }

    /// <summary>The effective example-bias penalty.</summary>
    public double ExampleBiasPenalty => ExampleBiasLambda ?? BiasLambda;

    /// <summary>Every cell is read as z times this (the fits pass 1 / the data's RMS, so the solver works in units of
    /// the data's typical magnitude and its tolerances and floors never depend on the data's units).</summary>
    public double InputScale { get; init; } = 1;

    /// <summary>L2 penalty on each factor entry (absolute), used when <see cref="ThresholdMultiplier"/> is null.</summary>
    public double FactorLambda { get; init; }

    /// <summary>
    /// When set, the factor penalty is noise-adaptive: lambda = multiplier * sigma * sqrt(rho) * (sqrt(M) + sqrt(N)),
    /// the universal singular-value threshold of an M x N noise matrix with noise level sigma and observed fraction
    /// rho. sigma is re-estimated from the residuals of the first sweeps until lambda settles (the residuals of the
    /// examples with more observed cells than parameters: see NoiseLevel).
    /// </summary>
    public double? ThresholdMultiplier { get; init; }

    /// <summary>Maximum sweeps (one task update plus one example update).</summary>
    public int MaxIterations { get; init; } = 50;

    /// <summary>Stop when the relative decrease of the objective is below this.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Seed of the factor initialisation.</summary>
    public int Seed { get; init; }

    /// <summary>Worker threads (-1: all cores).</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>Standard deviation of initial example factors in units of sqrt(data scale).</summary>
    public double InitScale { get; init; } = 1;

    /// <summary>
    /// Rank 1 only: start from the matrix's leading right singular vector (power iteration on the observed cells, missing
    /// ones read as 0, from the seeded draws) times the square root of its singular value, instead of from the draws. An
    /// uncentred rank-1 fit needs it: from random factors that hardly overlap the leading direction, the first sweep fits
    /// almost nothing, the noise-adaptive penalty settles at the data's scale instead of the noise's and the fit stops
    /// shrunk far below the optimum, or collapsed.
    /// </summary>
    public bool SpectralStart { get; init; }

    /// <summary>The initial example factors (rank x n, row-major) to start from instead of the seeded draws, or null.</summary>
    public double[]? StartFactors { get; init; }

    /// <summary>Stops the solver between sweeps (and its parallel passes between chunks) with an <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>The solved parameters of an <see cref="AlsProblem"/>.</summary>
internal sealed class AlsSolution
{
    public required double GlobalMean { get; init; }

    public required double[] TaskParams { get; init; }   // M x p, p = taskBias + r

    public required double[] ExampleBiases { get; init; } // N, or empty

    public required double[] ExampleFactors { get; init; } // r x N

    public required FitReport Report { get; init; }

    public required bool[] TaskObserved { get; init; }

    public required double FactorLambda { get; init; }

    /// <summary>The examples with no observed cell (counted by the solver anyway), ascending.</summary>
    public required int[] UnmeasuredExamples { get; init; }

    /// <summary>Each example's number of missing cells (N, all zero for a matrix without missing cells; empty from the logistic
    /// solver, whose models have no use for it).</summary>
    public int[] MissingPerExample { get; init; } = [];
}

/// <summary>
/// Alternating least squares for <c>z[i, j] ~ mu + a_i + b_j + U_i . V_j</c> on the observed cells, minimising
/// <c>sum (z - zhat)^2 + BiasLambda (|a|^2 + |b|^2) + FactorLambda (|U|^2 + |V|^2)</c>. Each half-sweep solves one
/// (r+1) x (r+1) ridge system per row (or column). Fully observed rows and columns share one Gram matrix
/// (the Gram trick); rows and columns with missing cells correct it exactly: subtract the missing cells'
/// outer products, or sum the observed ones directly when fewer than half are observed.
/// </summary>
internal sealed class AlternatingLeastSquares
{
    internal const int RowBlock = 8;

    // Column partitions of the task update (fixed, so the sums never depend on the thread count).
    private const int TaskPartitions = 8;
    internal const int ColumnChunk = 1024;

    // Cells a row's scan for missing cells checks at once before looking at them one by one.
    private const int GapScanBlock = 256;

    private readonly ForgettingMatrix _z;
    private readonly AlsProblem _problem;
    private readonly int _m;
    private readonly int _n;
    private readonly int _r;
    private readonly int _p;
    private readonly int _q;
    private readonly double[] _task;
    private readonly double[] _exampleBias;    // b (N), or empty
    private readonly Task<double[]>? _draws;    // the initial example factors' standard normal draws, when started early
    private double[] _exampleFactors;          // V (r x N, row-major)
    private readonly System.Collections.Concurrent.ConcurrentBag<TaskScratch> _taskScratch = [];
    private readonly System.Collections.Concurrent.ConcurrentBag<ExampleScratch> _exampleScratch = [];
    private readonly int[] _rowMissing;
    private readonly int[] _columnMissing;
    private readonly ParallelOptions _parallel;
    private double[][]? _taskRhs;         // per column partition: every row's right-hand side (M x p)
    private double[]? _taskCorrections;   // every row's Gram correction (M x p x p), with missing cells
    private double _mu;
    private double _factorLambda;
    private long _thickCells;        // observed cells of the examples with more cells than parameters
    private long _thickDegrees;      // their cells less their parameters: the residual's degrees of freedom
    private double[]? _thinRss;      // per chunk: the residual sum of squares of the others (null: read every residual alike)

    /// <param name="z">The matrix.</param>
    /// <param name="problem">The problem.</param>
    /// <param name="draws">The initial factors' draws, <see cref="StandardNormals"/>(problem.Seed, problem.Rank, z.ExampleCount),
    /// when the caller started them early (they then overlap the passes that come before the sweeps); null draws them here.</param>
    public AlternatingLeastSquares(ForgettingMatrix z, AlsProblem problem, Task<double[]>? draws = null)
    {
        _z = z;
        _problem = problem;
        _m = z.TaskCount;
        _n = z.ExampleCount;
        _r = problem.Rank;
        _p = (problem.TaskBias ? 1 : 0) + _r;
        _q = (problem.ExampleBias ? 1 : 0) + _r;
        _task = new double[_m * _p];
        if ((long)_r * _n >= Array.MaxLength)
        {
            throw new ArgumentException("Model too large: rank x examples must stay below 2^31.");
        }

        _exampleBias = problem.ExampleBias ? new double[_n] : [];
        _draws = draws;
        _exampleFactors = draws is null ? new double[_r * _n] : [];
        _rowMissing = new int[_m];
        _columnMissing = new int[_n];
        _parallel = Parallelism.Options(problem.MaxThreads, problem.Cancellation);
    }

    public AlsSolution Solve()
    {
        CountMissing();
        CountThickCells();
        _mu = _problem.Center ? ObservedMean() : 0;
        var unit = Math.Sqrt(1 - _z.MissingFraction) * (Math.Sqrt(_m) + Math.Sqrt(_n));
        var dataScale = Math.Sqrt(Math.Max(DataScale(), 1e-300));
        _factorLambda = _problem.ThresholdMultiplier is { } multiplier ? multiplier * dataScale * unit : _problem.FactorLambda;
        var adapting = _problem.ThresholdMultiplier is not null;
        Initialise(dataScale);

        var previous = double.PositiveInfinity;
        var objective = double.NaN;
        var rss = 0d;
        var iterations = 0;
        var converged = false;
        // After the first sweep the example update also sums the next task update's right-hand sides, chunk by chunk while
        // the chunk is in cache: one pass over the matrix a sweep instead of two, the same sums in the same order.
        var rhsReady = false;
        var resumed = false;
        var adaptingSince = 0;
        while (iterations < Math.Max(_problem.MaxIterations, 1))
        {
            _problem.Cancellation.ThrowIfCancellationRequested();
            iterations++;
            if (_p > 0)
            {
                UpdateTasks(rhsReady);
            }

            rss = _q > 0 ? UpdateExamples(accumulateTasks: _p > 0) : ResidualSumOfSquares();
            rhsReady = _q > 0 && _p > 0;
            objective = rss + Penalty();
            if (adapting)
            {
                var updated = _problem.ThresholdMultiplier!.Value * NoiseLevel(rss, dataScale) * unit;
                adapting = Math.Abs(updated - _factorLambda) > 1e-3 * _factorLambda && iterations - adaptingSince < 25;
                _factorLambda = updated;
                previous = double.PositiveInfinity;
                continue;
            }

            if (_p == 0 || _q == 0 || Math.Abs(previous - objective) <= _problem.Tolerance * Math.Max(Math.Abs(objective), 1e-300))
            {
                // The noise-adaptive penalty must agree with the residuals it converged to. It stops adapting once it stops
                // moving, which can happen on a plateau before the factors emerge (a few tasks of many examples: the first
                // sweeps leave the additive residual unchanged); it then kept a penalty sized for that residual, many times
                // too large (16x on 8 tasks x 20,000 examples of planted rank 2). Adapting resumes, once, when the converged
                // residuals call for a penalty less than half or more than twice the one kept; smaller disagreements are
                // left as they are.
                if (_problem.ThresholdMultiplier is { } again && !resumed)
                {
                    var updated = again * NoiseLevel(rss, dataScale) * unit;
                    if (updated < _factorLambda / 2 || updated > 2 * _factorLambda)
                    {
                        resumed = true;
                        _factorLambda = updated;
                        adapting = true;
                        adaptingSince = iterations;
                        previous = double.PositiveInfinity;
                        continue;
                    }
                }

                converged = true;
                break;
            }

            previous = objective;
        }

        var observed = Math.Max(_z.ObservedCount, 1);
        var taskObserved = new bool[_m];
        for (var i = 0; i < _m; i++)
        {
            taskObserved[i] = _rowMissing[i] < _n;
        }

        return new AlsSolution
        {
            GlobalMean = _mu,
            TaskParams = _task,
            ExampleBiases = _exampleBias,
            ExampleFactors = _exampleFactors,
            Report = new FitReport(iterations, converged, objective, Math.Max(rss, 0) / observed),
            FactorLambda = _factorLambda,
            TaskObserved = taskObserved,
            UnmeasuredExamples = _z.MissingCount < _m ? [] : [.. Enumerable.Range(0, _n).Where(j => _columnMissing[j] == _m)],
            MissingPerExample = _columnMissing,
        };
    }

    private void CountMissing()
    {
        if (_z.MissingCount == 0)
        {
            return;
        }

        var chunks = ChunkCount(_n);
        Parallel.For(0, chunks, _parallel, c =>
        {
            var (start, width) = Chunk(c);
            for (var i = 0; i < _m; i++)
            {
                var row = _z.Row(i).Slice(start, width);
                for (var j = 0; j < width; j++)
                {
                    if (float.IsNaN(row[j]))
                    {
                        _columnMissing[start + j]++;
                    }
                }
            }
        });
        for (var i = 0; i < _m; i++)
        {
            _rowMissing[i] = (int)Numerics.ValueScan.Scan(_z.Row(i)).MissingCount;
        }
    }

    // The noise level the adaptive penalty reads from a sweep's residual sum of squares: the root mean square residual, over
    // the examples with more observed cells than parameters. One with no more cells than parameters can fit them all, so its
    // residual is the penalty's alone and says nothing of the noise; counting its cells made the level, and with it the
    // penalty, collapse on matrices whose examples are measured on a few tasks each (the example means overfit). With no such
    // example, or too few to read a level from (their residuals keep fewer than ten times an example's parameters in degrees
    // of freedom: one example measured on q + 1 tasks would otherwise set the penalty for the whole fit), the level stays at
    // the data's scale (everything may be noise). A complete matrix, or one with as many parameters per example as measured
    // tasks (every example could fit its column), reads every residual alike.
    private double NoiseLevel(double rss, double dataScale)
    {
        if (_thinRss is null)
        {
            return Math.Sqrt(Math.Max(rss, 0) / Math.Max(_z.ObservedCount, 1));
        }

        if (_thickDegrees < 10L * _q)
        {
            return dataScale;
        }

        var thin = 0d;
        foreach (var v in _thinRss)
        {
            thin += v;
        }

        return Math.Sqrt(Math.Max(rss - thin, 0) / _thickCells);
    }

    private void CountThickCells()
    {
        _thickCells = 0;
        _thickDegrees = 0;
        _thinRss = null;
        var measuredTasks = _rowMissing.Count(missing => missing < _n);
        if (_q == 0 || _q >= measuredTasks || _problem.ThresholdMultiplier is null || _z.MissingCount == 0)
        {
            return;
        }

        var anyThin = false;
        for (var j = 0; j < _n; j++)
        {
            var cells = _m - _columnMissing[j];
            if (cells > _q)
            {
                _thickCells += cells;
                _thickDegrees += cells - _q;
            }
            else
            {
                anyThin |= cells > 0;
            }
        }

        _thinRss = anyThin ? new double[ChunkCount(_n)] : null;
    }

    private double ObservedMean()
    {
        var blocks = BlockCount(_m);
        var sums = new double[blocks];
        Parallel.For(0, blocks, _parallel, b =>
        {
            double s = 0;
            var buffer = new double[ColumnChunk];
            for (var i = b * RowBlock; i < Math.Min(_m, (b + 1) * RowBlock); i++)
            {
                for (var c = 0; c < ChunkCount(_n); c++)
                {
                    var (start, width) = Chunk(c);
                    var dst = buffer.AsSpan(0, width);
                    Residuals.Masked(_z.Row(i).Slice(start, width), _problem.InputScale, default, 0, dst);
                    s += TensorPrimitives.Sum<double>(dst);
                }
            }

            sums[b] = s;
        });
        double total = 0;
        foreach (var s in sums)
        {
            total += s;
        }

        return _z.ObservedCount == 0 ? 0 : total / _z.ObservedCount;
    }

    private void Initialise(double dataScale)
    {
        if (_r == 0)
        {
            return;
        }

        // Example factors ~ N(0, InitScale^2 * s) with s the RMS of the centred data: the first task update then
        // starts from a random r-dimensional projection of the data (a power-iteration start).
        var scale = Math.Sqrt(dataScale) * _problem.InitScale;
        if (_problem.StartFactors is { } start)
        {
            if (start.Length != _r * _n || _draws is not null)
            {
                throw new InvalidOperationException("The start factors do not have the problem's shape, or draws were given too.");
            }

            start.CopyTo(_exampleFactors, 0);
            return;
        }

        if (_draws is not null)
        {
            // The same draws, each times the same scale: the same bits as drawing here.
            _exampleFactors = _draws.GetAwaiter().GetResult();
            if (_exampleFactors.Length != _r * _n)
            {
                throw new InvalidOperationException("The early draws do not have the problem's shape.");
            }

            TensorPrimitives.Multiply(_exampleFactors, scale, _exampleFactors);
        }
        else
        {
            var random = new Random(_problem.Seed);
            for (var k = 0; k < _r; k++)
            {
                var row = _exampleFactors.AsSpan(k * _n, _n);
                for (var j = 0; j < _n; j++)
                {
                    row[j] = Gaussian(random) * scale;
                }
            }
        }

        if (_problem.SpectralStart && _r == 1)
        {
            SpectralStart();
        }
    }

    // Power iteration v <- Z'Z v / |Z'Z v| on the scaled matrix (missing cells as 0) from the draws, until the direction
    // moves less than 1e-12 in cosine (at most 100 steps), then v times sqrt(|Z v|): the first task update then starts
    // near the leading singular pair, at its scale. Rows are multiplied in parallel and columns summed over rows in row
    // order, chunk by chunk, so the start is the same for any thread count.
    private void SpectralStart()
    {
        var v = _exampleFactors;
        var u = new double[_m];
        var next = new double[_n];
        for (var step = 0; step < 100; step++)
        {
            MultiplyRows(v, u);
            Parallel.For(0, ChunkCount(_n), _parallel, () => new double[ColumnChunk], (c, _, buffer) =>
            {
                var (start, width) = Chunk(c);
                var y = buffer.AsSpan(0, width);
                var sum = next.AsSpan(start, width);
                sum.Clear();
                for (var i = 0; i < _m; i++)
                {
                    Residuals.Masked(_z.Row(i).Slice(start, width), _problem.InputScale, default, 0, y);
                    TensorPrimitives.MultiplyAdd(y, u[i], sum, sum);
                }

                return buffer;
            }, _ => { });
            var norm = TensorPrimitives.Norm<double>(next);
            var previous = TensorPrimitives.Norm<double>(v);
            if (!(norm > 0) || !double.IsFinite(norm) || !(previous > 0))
            {
                // Z'Z v = 0 (v in the null space, or nothing observed): keep the draws.
                return;
            }

            TensorPrimitives.Divide(next, norm, next);
            var cosine = Math.Abs(TensorPrimitives.Dot<double>(next, v)) / previous;
            next.CopyTo(v, 0);
            if (1 - cosine < 1e-12)
            {
                break;
            }
        }

        MultiplyRows(v, u);
        TensorPrimitives.Multiply(v, Math.Sqrt(TensorPrimitives.Norm<double>(u)), v);
    }

    // u = Z v over the observed cells (the scaled matrix), one row per iteration, its chunks in column order.
    private void MultiplyRows(double[] v, double[] u) =>
        Parallel.For(0, _m, _parallel, () => new double[ColumnChunk], (i, _, buffer) =>
        {
            double sum = 0;
            for (var c = 0; c < ChunkCount(_n); c++)
            {
                var (start, width) = Chunk(c);
                var y = buffer.AsSpan(0, width);
                Residuals.Masked(_z.Row(i).Slice(start, width), _problem.InputScale, default, 0, y);
                sum += TensorPrimitives.Dot<double>(y, v.AsSpan(start, width));
            }

            u[i] = sum;
            return buffer;
        }, _ => { });

    /// <summary>
    /// The standard normal draws of the initial example factors, rank x n in row order from <paramref name="seed"/>'s stream:
    /// <see cref="AlternatingLeastSquares"/> multiplies them by its initial scale.
    /// </summary>
    public static double[] StandardNormals(int seed, int rank, int n)
    {
        var draws = new double[checked(rank * n)];
        var random = new Random(seed);
        for (var c = 0; c < draws.Length; c++)
        {
            draws[c] = Gaussian(random);
        }

        return draws;
    }

    // Root mean square of (z - mu) over observed cells, from a sample of rows (cheap, deterministic).
    private double DataScale()
    {
        double sum = 0;
        long count = 0;
        var buffer = new double[ColumnChunk];
        var step = Math.Max(1, _m / 16);
        for (var i = 0; i < _m; i += step)
        {
            for (var c = 0; c < ChunkCount(_n); c++)
            {
                var (start, width) = Chunk(c);
                var y = buffer.AsSpan(0, width);
                var missing = Residuals.Masked(_z.Row(i).Slice(start, width), _problem.InputScale, default, _mu, y);
                sum += TensorPrimitives.SumOfSquares<double>(y);
                count += width - missing;
            }
        }

        return count == 0 ? 1 : sum / count;
    }

    internal static double Gaussian(Random random)
    {
        // Box-Muller; one value per call keeps the stream simple and reproducible.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private double Penalty()
    {
        double bias = 0, exampleBias = 0, factor = 0;
        var to = _problem.TaskBias ? 1 : 0;
        for (var i = 0; i < _m; i++)
        {
            for (var k = 0; k < _p; k++)
            {
                var v = _task[(i * _p) + k];
                if (k < to)
                {
                    bias += v * v;
                }
                else
                {
                    factor += v * v;
                }
            }
        }

        var eo = _problem.ExampleBias ? 1 : 0;
        for (var k = 0; k < _q; k++)
        {
            var ss = TensorPrimitives.SumOfSquares<double>(ExampleRow(k));
            if (k < eo)
            {
                exampleBias += ss;
            }
            else
            {
                factor += ss;
            }
        }

        return (_problem.BiasLambda * bias) + (_problem.ExampleBiasPenalty * exampleBias) + (_factorLambda * factor);
    }

    // ---- Task (row) update: w_i = (G_i + Lambda)^-1 sum_j f_j (z_ij - mu - b_j), f_j = ([1], V_j). ----
    // rhsReady: the last example update already summed every partition's right-hand sides (TaskRhs) from the current
    // example side.
    private void UpdateTasks(bool rhsReady)
    {
        var p = _p;
        var gram = new double[p * p];
        ExampleGram(gram);

        // Column partitions, each summing every row's right-hand side (and corrections) over its chunks: the example
        // factors stream through the cache once per half-sweep, and the partitions' sums are added in a fixed order.
        var parts = TaskPartitionCount;
        var withCorrections = _z.MissingCount > 0;
        var rhs = TaskRhs;
        if (!rhsReady)
        {
            Parallel.For(0, parts, _parallel, () => _taskScratch.TryTake(out var s) ? s : new TaskScratch(), (part, _, scratch) =>
            {
                Array.Clear(rhs[part]);
                var chunks = ChunkCount(_n);
                for (var c = (int)((long)part * chunks / parts); c < (int)((long)(part + 1) * chunks / parts); c++)
                {
                    AccumulateTaskChunk(c, rhs[part], scratch);
                }

                return scratch;
            }, _taskScratch.Add);
        }

        for (var part = 1; part < parts; part++)
        {
            TensorPrimitives.Add(rhs[0], rhs[part], rhs[0]);
        }

        // Rows with missing cells correct the shared Gram: the outer products of their missing cells' features (a downdate),
        // or of their observed cells' when fewer than half are observed (a direct sum); row by row, in column order.
        var corrections = withCorrections ? _taskCorrections ??= new double[_m * p * p] : [];
        if (withCorrections)
        {
            Parallel.For(0, _m, _parallel, () => new double[p], (i, _, feature) =>
            {
                var corr = corrections.AsSpan(i * p * p, p * p);
                corr.Clear();
                if (_rowMissing[i] == 0)
                {
                    return feature;
                }

                var direct = 2 * _rowMissing[i] > _n;
                var row = _z.Row(i);
                for (var start = 0; start < _n; start += GapScanBlock)
                {
                    // A row with a few missing cells skips the blocks it observed whole (a vectorised check).
                    var end = Math.Min(_n, start + GapScanBlock);
                    if (!direct && !TensorPrimitives.IsNaNAny(row[start..end]))
                    {
                        continue;
                    }

                    for (var j = start; j < end; j++)
                    {
                        if (float.IsNaN(row[j]) != direct)
                        {
                            TaskFeature(j, feature);
                            AddOuter(corr, feature);
                        }
                    }
                }

                return feature;
            }, _ => { });
        }

        var system = new double[p * p];
        var hasBias = _problem.TaskBias;
        for (var i = 0; i < _m; i++)
        {
            var direct = 2 * _rowMissing[i] > _n;
            var corr = withCorrections ? corrections.AsSpan(i * p * p, p * p) : default;
            for (var e = 0; e < p * p; e++)
            {
                var cv = corr.IsEmpty ? 0 : corr[e];
                system[e] = direct ? cv : gram[e] - cv;
            }

            AddPenalty(system, p, hasBias, _problem.BiasLambda);
            var w = _task.AsSpan(i * p, p);
            rhs[0].AsSpan(i * p, p).CopyTo(w);
            if (_rowMissing[i] == _n || !Cholesky.Factor(system, p))
            {
                w.Clear();
                continue;
            }

            Cholesky.Solve(system, p, w);
        }
    }

    private sealed class TaskScratch
    {
        public readonly double[] Offset = new double[ColumnChunk];
    }

    private int TaskPartitionCount => Math.Min(TaskPartitions, ChunkCount(_n));

    // Every partition's right-hand sides of the task update (M x p each).
    private double[][] TaskRhs => _taskRhs ??= [.. Enumerable.Range(0, TaskPartitionCount).Select(_ => new double[_m * _p])];

    // Adds chunk c's cells to every row's right-hand side.
    private void AccumulateTaskChunk(int c, double[] rhsAll, TaskScratch s)
    {
        int p = _p, n = _n;
        var hasBias = _problem.TaskBias;
        var (start, width) = Chunk(c);
        var offset = s.Offset.AsSpan(0, width);
        if (_problem.ExampleBias)
        {
            TensorPrimitives.Add(_exampleBias.AsSpan(start, width), _mu, offset);
        }
        else
        {
            offset.Fill(_mu);
        }

        // Each row's sums in one fused pass per four factors; a row with missing cells reads them as zero, its Gram corrected
        // apart (UpdateTasks).
        var factors = _r == 0 ? default : _exampleFactors.AsSpan(start);
        for (var i = 0; i < _m; i++)
        {
            var z = _z.Row(i).Slice(start, width);
            var rhs = rhsAll.AsSpan(i * p, p);
            if (_rowMissing[i] == 0)
            {
                RowAccumulation.Accumulate(z, _problem.InputScale, offset, factors, n, _r, hasBias, rhs);
            }
            else
            {
                RowAccumulation.AccumulateMasked(z, _problem.InputScale, offset, factors, n, _r, hasBias, rhs);
            }
        }
    }

    // Example-side row k of (b; V): the bias row first when the model has example biases.
    private Span<double> ExampleRow(int k) =>
        _problem.ExampleBias ? (k == 0 ? _exampleBias : _exampleFactors.AsSpan((k - 1) * _n, _n)) : _exampleFactors.AsSpan(k * _n, _n);

    private void TaskFeature(int example, Span<double> f)
    {
        var o = 0;
        if (_problem.TaskBias)
        {
            f[o++] = 1;
        }

        for (var k = 0; k < _r; k++)
        {
            f[o++] = _exampleFactors[(k * _n) + example];
        }
    }

    // G = sum over all examples of f_j f_j^T, f_j = ([1], V_j).
    private void ExampleGram(Span<double> gram)
    {
        var p = _p;
        var n = _n;
        var o = _problem.TaskBias ? 1 : 0;
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                double v;
                if (a < o)
                {
                    v = n;
                }
                else if (b < o)
                {
                    v = TensorPrimitives.Sum<double>(_exampleFactors.AsSpan((a - o) * n, n));
                }
                else
                {
                    v = TensorPrimitives.Dot<double>(_exampleFactors.AsSpan((a - o) * n, n), _exampleFactors.AsSpan((b - o) * n, n));
                }

                gram[(a * p) + b] = v;
                gram[(b * p) + a] = v;
            }
        }
    }

    // ---- Example (column) update: x_j = (H_j + Lambda)^-1 sum_i g_i (z_ij - mu - a_i), g_i = ([1], U_i). ----
    // Returns the residual sum of squares after the update (exact, from the normal equations).
    // accumulateTasks: also sum the next task update's right-hand sides (TaskRhs) from each chunk's new example side.
    private double UpdateExamples(bool accumulateTasks)
    {
        var q = _q;
        var gram = new double[q * q];
        var taskFeatures = new double[_m * q];
        var taskOffsets = new double[_m];
        var to = _problem.TaskBias ? 1 : 0;
        for (var i = 0; i < _m; i++)
        {
            taskOffsets[i] = _mu + (to == 1 ? _task[i * _p] : 0);
            var g = taskFeatures.AsSpan(i * q, q);
            var o = 0;
            if (_problem.ExampleBias)
            {
                g[o++] = 1;
            }

            for (var k = 0; k < _r; k++)
            {
                g[o++] = _task[(i * _p) + to + k];
            }

            AddOuter(gram, g);
        }

        // Every fully observed column solves the same system (G + Lambda): factorised once, as each column would.
        var shared = (double[])gram.Clone();
        AddPenalty(shared, q, _problem.ExampleBias, _problem.ExampleBiasPenalty);
        var sharedFactored = Cholesky.Factor(shared, q);
        // The task update's column partitions, each walking its chunks in order: a chunk's new example side goes straight
        // into the partition's right-hand sides, in the order the task update would add them.
        var chunks = ChunkCount(_n);
        var rss = new double[chunks];
        var parts = TaskPartitionCount;
        var rhs = accumulateTasks ? TaskRhs : null;
        Parallel.For(0, parts, _parallel, () => (_exampleScratch.TryTake(out var s) ? s : new ExampleScratch(q), _taskScratch.TryTake(out var t) ? t : new TaskScratch()), (part, _, scratch) =>
        {
            if (rhs is not null)
            {
                Array.Clear(rhs[part]);
            }

            for (var c = (int)((long)part * chunks / parts); c < (int)((long)(part + 1) * chunks / parts); c++)
            {
                rss[c] = UpdateExampleChunk(c, gram, sharedFactored ? shared : null, taskFeatures, taskOffsets, scratch.Item1);
                if (rhs is not null)
                {
                    AccumulateTaskChunk(c, rhs[part], scratch.Item2);
                }
            }

            return scratch;
        }, scratch =>
        {
            _exampleScratch.Add(scratch.Item1);
            _taskScratch.Add(scratch.Item2);
        });
        double total = 0;
        foreach (var v in rss)
        {
            total += v;
        }

        return total;
    }

    private sealed class ExampleScratch(int q)
    {
        public readonly double[] Residual = new double[ColumnChunk];
        public readonly double[] Acc = new double[q * ColumnChunk];
        public readonly double[] SumSq = new double[ColumnChunk];
        private double[]? _correction;

        public readonly bool[] Corrected = new bool[ColumnChunk];

        // Per-column Gram corrections, allocated only when a chunk has missing cells.
        public double[] Correction => _correction ??= new double[q * q * ColumnChunk];

        public readonly double[] System = new double[q * q];
        public readonly double[] X = new double[q];
        public readonly double[] RhsDotX = new double[ColumnChunk];
        public readonly double[] PenaltyQuad = new double[ColumnChunk];
    }

    private double UpdateExampleChunk(int c, double[] gram, double[]? sharedFactor, double[] taskFeatures, double[] taskOffsets, ExampleScratch s)
    {
        int q = _q, n = _n, m = _m;
        var (start, width) = Chunk(c);
        var acc = s.Acc.AsSpan(0, q * width);
        acc.Clear();
        var sumsq = s.SumSq.AsSpan(0, width);
        sumsq.Clear();
        var anyMissing = false;
        for (var j = 0; j < width; j++)
        {
            anyMissing |= _columnMissing[start + j] != 0;
        }

        if (!anyMissing)
        {
            // Every cell of the chunk is observed: one fused pass of the same sums and one solve of every column with the
            // shared factor, bit-identical to the general loops below.
            ColumnAccumulation.Accumulate(_z.Values.Slice(start), n, m, _problem.InputScale, taskOffsets, taskFeatures, q, acc, sumsq);
            return SolveObservedChunk(start, width, sharedFactor, acc, sumsq, s);
        }

        // The same fused sums with the missing cells read as zero.
        ColumnAccumulation.AccumulateMasked(_z.Values.Slice(start), n, m, _problem.InputScale, taskOffsets, taskFeatures, q, acc, sumsq);
        AddGapCorrections(start, width, taskFeatures, s);

        // The columns with missing cells first: each builds, factors and solves its own system from its right-hand side, and
        // keeps its solution in its correction's slot (no longer needed) and x . rhs (for the residual) aside. Then every
        // column is solved with the shared factor at once, rhs . x from the forward substitution as for a complete chunk, and
        // the columns with gaps take back their own. No copy of the chunk's right-hand sides is kept.
        var system = s.System.AsSpan();
        var x = s.X.AsSpan();
        var ownDot = s.PenaltyQuad.AsSpan(0, width);   // free until StoreExamples fills it
        for (var j = 0; j < width; j++)
        {
            var missing = _columnMissing[start + j];
            if (missing == 0)
            {
                continue;
            }

            var direct = 2 * missing > m;
            var slot = s.Correction.AsSpan(j * q * q, q * q);
            var corr = s.Corrected[j] ? slot : default;
            for (var e = 0; e < q * q; e++)
            {
                var cv = corr.IsEmpty ? 0 : corr[e];
                system[e] = direct ? cv : gram[e] - cv;
            }

            AddPenalty(system, q, _problem.ExampleBias, _problem.ExampleBiasPenalty);
            for (var k = 0; k < q; k++)
            {
                x[k] = acc[(k * width) + j];
            }

            var dot = 0d;
            if (missing < m && Cholesky.Factor(system, q))
            {
                Cholesky.Solve(system, q, x);
                for (var k = 0; k < q; k++)
                {
                    dot += acc[(k * width) + j] * x[k];
                }
            }
            else
            {
                x.Clear();
            }

            x.CopyTo(slot);
            ownDot[j] = dot;
        }

        // rss_j = sum y^2 - 2 x . rhs + x^T G_j x, with G_j before the penalty; x^T (G_j + Lambda) x = x . rhs at the solution,
        // so rss = sum y^2 - x.rhs - x^T Lambda x (x = 0 where a system failed: x.rhs = 0 there).
        var rhsDotX = SolveShared(sharedFactor, acc, width, s);

        for (var j = 0; j < width; j++)
        {
            if (_columnMissing[start + j] != 0)
            {
                var own = s.Correction.AsSpan(j * q * q, q);
                for (var k = 0; k < q; k++)
                {
                    acc[(k * width) + j] = own[k];
                }

                rhsDotX[j] = ownDot[j];
            }
        }

        var penaltyQuad = StoreExamples(start, width, acc, s);
        double rss = 0, thin = 0;
        for (var j = 0; j < width; j++)
        {
            var residual = sumsq[j] - rhsDotX[j] - penaltyQuad[j];
            rss += residual;
            if (m - _columnMissing[start + j] <= q)
            {
                thin += residual;
            }
        }

        if (_thinRss is not null)
        {
            _thinRss[c] = thin;
        }

        return rss;
    }

    // Each column with missing cells corrects the shared Gram by its missing cells' outer products (a direct column, mostly
    // missing, builds its own from its observed cells instead), in row order. The rows are read in turn, so the cells are found
    // along the rows and whole blocks without a missing cell or a direct column are skipped with one vectorised check.
    private void AddGapCorrections(int start, int width, double[] taskFeatures, ExampleScratch s)
    {
        int q = _q, m = _m;
        Array.Clear(s.Corrected);
        var blocks = (width + GapScanBlock - 1) / GapScanBlock;
        Span<bool> hasDirect = stackalloc bool[blocks];
        hasDirect.Clear();
        for (var j = 0; j < width; j++)
        {
            hasDirect[j / GapScanBlock] |= 2 * _columnMissing[start + j] > m;
        }

        for (var i = 0; i < m; i++)
        {
            var row = _z.Row(i).Slice(start, width);
            var g = taskFeatures.AsSpan(i * q, q);
            for (var b = 0; b < blocks; b++)
            {
                var from = b * GapScanBlock;
                var to = Math.Min(width, from + GapScanBlock);
                if (!hasDirect[b] && !TensorPrimitives.IsNaNAny(row[from..to]))
                {
                    continue;
                }

                for (var j = from; j < to; j++)
                {
                    var missing = _columnMissing[start + j];
                    if (missing == 0 || float.IsNaN(row[j]) == (2 * missing > m))
                    {
                        continue;
                    }

                    var corr = s.Correction.AsSpan(j * q * q, q * q);
                    if (!s.Corrected[j])
                    {
                        corr.Clear();
                        s.Corrected[j] = true;
                    }

                    AddOuter(corr, g);
                }
            }
        }
    }

    // The example update of a chunk whose columns are all fully observed: x_j = (G + Lambda)^-1 rhs_j with one factor for all
    // (null when it failed, which gives x = 0 as the per-column solve would), and the chunk's residual sum of squares.
    private double SolveObservedChunk(int start, int width, double[]? sharedFactor, Span<double> acc, ReadOnlySpan<double> sumsq, ExampleScratch s)
    {
        var rhsDotX = SolveShared(sharedFactor, acc, width, s);
        var penaltyQuad = StoreExamples(start, width, acc, s);
        double rss = 0;
        for (var j = 0; j < width; j++)
        {
            rss += sumsq[j] - rhsDotX[j] - penaltyQuad[j];
        }

        return rss;
    }

    // Solves every column of a chunk (q rows of width) in place with the shared factor, and returns each column's rhs . x =
    // rhs^T (G + Lambda)^-1 rhs, the squared norm of the forward substitution's result; a failed factor (null) gives x = 0.
    private Span<double> SolveShared(double[]? sharedFactor, Span<double> acc, int width, ExampleScratch s)
    {
        var rhsDotX = s.RhsDotX.AsSpan(0, width);
        if (sharedFactor is null)
        {
            acc.Clear();
            rhsDotX.Clear();
        }
        else
        {
            Cholesky.SolveMany(sharedFactor, _q, acc, width, rhsDotX);
        }

        return rhsDotX;
    }

    // Writes a chunk's solved example parameters (x: q rows of width) into the model and returns each column's x^T Lambda x.
    private Span<double> StoreExamples(int start, int width, ReadOnlySpan<double> x, ExampleScratch s)
    {
        var penaltyQuad = s.PenaltyQuad.AsSpan(0, width);
        penaltyQuad.Clear();
        var scaled = s.Residual.AsSpan(0, width);
        for (var k = 0; k < _q; k++)
        {
            var xk = x.Slice(k * width, width);
            var lambda = _problem.ExampleBias && k == 0 ? _problem.ExampleBiasPenalty : _factorLambda;
            TensorPrimitives.Multiply(xk, lambda, scaled);
            TensorPrimitives.MultiplyAdd(scaled, xk, penaltyQuad, penaltyQuad);
            xk.CopyTo(ExampleRow(k).Slice(start, width));
        }

        return penaltyQuad;
    }

    // Residual sum of squares for models without example parameters (task-only).
    private double ResidualSumOfSquares()
    {
        var blocks = BlockCount(_m);
        var sums = new double[blocks];
        Parallel.For(0, blocks, _parallel, b =>
        {
            var buffer = new double[ColumnChunk];
            double s = 0;
            for (var i = b * RowBlock; i < Math.Min(_m, (b + 1) * RowBlock); i++)
            {
                var shift = _mu + (_problem.TaskBias ? _task[i * _p] : 0);
                for (var c = 0; c < ChunkCount(_n); c++)
                {
                    var (start, width) = Chunk(c);
                    var y = buffer.AsSpan(0, width);
                    Residuals.Masked(_z.Row(i).Slice(start, width), _problem.InputScale, default, shift, y);
                    s += TensorPrimitives.SumOfSquares<double>(y);
                }
            }

            sums[b] = s;
        });
        double total = 0;
        foreach (var s in sums)
        {
            total += s;
        }

        return total;
    }

    private void AddPenalty(Span<double> system, int dim, bool hasBias, double biasLambda)
    {
        for (var k = 0; k < dim; k++)
        {
            system[(k * dim) + k] += hasBias && k == 0 ? biasLambda : _factorLambda;
        }
    }

    /// <summary>target += v v^T (d x d row-major, both triangles; d = v's length).</summary>
    internal static void AddOuter(Span<double> target, ReadOnlySpan<double> v)
    {
        var d = v.Length;
        for (var a = 0; a < d; a++)
        {
            var va = v[a];
            for (var b = 0; b < d; b++)
            {
                target[(a * d) + b] += va * v[b];
            }
        }
    }

    internal static int ChunkCount(int n) => (n + ColumnChunk - 1) / ColumnChunk;

    internal static int BlockCount(int m) => (m + RowBlock - 1) / RowBlock;

    private (int Start, int Width) Chunk(int c)
    {
        var start = c * ColumnChunk;
        return (start, Math.Min(ColumnChunk, _n - start));
    }
}
