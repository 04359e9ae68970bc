using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

// Design note. A new task's cell j is predicted from example j's fitted parameters theta_j = ([b_j], V_j), and those carry an
// estimation error of their own: the fit's example update is a ridge regression of column j on the training tasks' features
// g_i = ([1], U_i) over the tasks that measured j, so theta_j errs with covariance about sigma^2 (G_j + L)^-1, G_j =
// sum_i g_i g_i^T over those tasks and L the example penalties. The new task's cell errs by g_T . (theta_j - theta_j_hat)
// besides its residual, a variance sigma^2 g_T^T (G_j + L)^-1 g_T, which averages over new tasks like the training ones to
// sigma^2 tr((G_j + L)^-1 E) with E the training tasks' mean g g^T. That trace is the example's parameter share: about
// (r + 1) / M for an example every task measured (for mf 0.13-0.22 of the noise variance on the charlm matrices, where leaving
// it out made mf's 90% cell intervals cover 86.5% on charlm-b), and many times the noise for an example measured on fewer tasks than it has
// parameters. Every example that all tasks measured has the same G_j, so a dense matrix costs one factorisation.

/// <summary>The variance example parameters' estimation error adds to a new task's cells, per example (see the design note).</summary>
internal static class ExampleUncertainty
{
    // Incomplete columns a worker sums at a time: their Gram accumulators (columns x q x q doubles) stay within 8 KB.
    private const int MaxRun = 256;
    private const int AccumulatorBudget = 1 << 10;

    /// <summary>
    /// Each example's parameter share tr((G_j + L)^-1 E) (see the design note) for a Gaussian factor model fitted on
    /// <paramref name="matrix"/>, in the units of the data (<paramref name="parameters"/> unscaled); empty for a model without
    /// example parameters or task factors to weigh them (task-mean). Unmeasured examples get 0 (their parameters' spread
    /// is accounted for apart, <see cref="FactorModelParameters.UnmeasuredSpread"/>).
    /// </summary>
    /// <param name="matrix">The training matrix the parameters were fitted on.</param>
    /// <param name="parameters">The fitted parameters, in the data's units.</param>
    /// <param name="missing">Each example's number of missing cells (the solver counts them anyway).</param>
    /// <param name="exampleBiasPenalty">The fit's penalty on an example bias (unit-free: a number of cells).</param>
    /// <param name="maxThreads">Worker limit (0: all cores); the result is the same for any value.</param>
    /// <param name="cancellationToken">Stops between runs of examples.</param>
    public static float[] Shares(ForgettingMatrix matrix, FactorModelParameters parameters, int[] missing, double exampleBiasPenalty, int maxThreads, CancellationToken cancellationToken)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount, r = parameters.Rank;
        var bias = parameters.ExampleBiases.Length != 0;
        var q = (bias ? 1 : 0) + r;
        if (q == 0 || parameters.Logistic)
        {
            return [];
        }

        // Task features g_i = ([1], U_i), their sum of outer products G (every task) and mean second moment E.
        var features = new double[m * q];
        for (var i = 0; i < m; i++)
        {
            var g = features.AsSpan(i * q, q);
            if (bias)
            {
                g[0] = 1;
            }

            parameters.TaskFactors.AsSpan(i * r, r).CopyTo(g[(bias ? 1 : 0)..]);
        }

        var all = new double[q * q];
        for (var i = 0; i < m; i++)
        {
            AlternatingLeastSquares.AddOuter(all, features.AsSpan(i * q, q));
        }

        var second = new double[q * q];
        for (var a = 0; a < all.Length; a++)
        {
            second[a] = all[a] / m;
        }

        // The penalties of the example update; a penalty of 0 (an unpenalised fit) is floored at 1e-9 of a task's average
        // feature square, so a column measured on fewer tasks than it has parameters still has a finite (large) share.
        var penalty = new double[q];
        for (var k = 0; k < q; k++)
        {
            var given = bias && k == 0 ? exampleBiasPenalty : parameters.TaskFactorPenalty;
            penalty[k] = Math.Max(given, 1e-9 * Math.Max(second[(k * q) + k], double.Epsilon));
        }

        var complete = (float)Share((double[])all.Clone(), penalty, second, q);
        var shares = new float[n];
        if (missing.Length != n && !(missing.Length == 0 && matrix.MissingCount == 0))
        {
            throw new ArgumentException($"{missing.Length} missing counts for {n} examples.", nameof(missing));
        }

        // Each example every task measured has the complete share, one no task measured 0 (its spread is counted apart); the
        // others, found from the counts without reading the matrix, get their own below.
        if (matrix.MissingCount == 0)
        {
            shares.AsSpan().Fill(complete);
            return shares;
        }

        var incomplete = false;
        for (var j = 0; j < n; j++)
        {
            var c = m - missing[j];
            shares[j] = c == 0 ? 0 : complete;
            incomplete |= c > 0 && c < m;
        }

        if (!incomplete)
        {
            return shares;
        }

        // Incomplete columns, read row by row in runs of consecutive examples: each sums the outer products of the smaller
        // of its two task sets, the tasks that measured it (G_j directly) or those that did not (G_j = G - their sum). Each
        // worker takes every workers-th run; every column's share depends on its own cells alone, so the result is the same
        // for any number of workers.
        var width = Math.Clamp(AccumulatorBudget / (q * q), 1, MaxRun);
        var runs = (n + width - 1) / width;
        var values = matrix.ValueMemory;
        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var workers = Math.Min(runs, parallel.MaxDegreeOfParallelism);
        Parallel.For(0, workers, parallel, worker =>
        {
            var part = new int[width];
            var sums = new double[width * q * q];
            var gram = new double[q * q];
            for (var run = worker; run < runs && !cancellationToken.IsCancellationRequested; run += workers)
            {
                // The run's incomplete columns.
                var count = 0;
                for (var j = run * width; j < Math.Min((run + 1) * width, n); j++)
                {
                    if (missing[j] > 0 && missing[j] < m)
                    {
                        part[count++] = j;
                    }
                }

                if (count == 0)
                {
                    continue;
                }

                sums.AsSpan(0, count * q * q).Clear();
                var span = values.Span;
                for (var i = 0; i < m; i++)
                {
                    var row = span.Slice(i * n, n);
                    var g = features.AsSpan(i * q, q);
                    for (var t = 0; t < count; t++)
                    {
                        var j = part[t];
                        if (float.IsNaN(row[j]) != (2 * (m - missing[j]) <= m))
                        {
                            AlternatingLeastSquares.AddOuter(sums.AsSpan(t * q * q, q * q), g);
                        }
                    }
                }

                for (var t = 0; t < count; t++)
                {
                    var direct = 2 * (m - missing[part[t]]) <= m;
                    var sum = sums.AsSpan(t * q * q, q * q);
                    for (var a = 0; a < gram.Length; a++)
                    {
                        gram[a] = direct ? sum[a] : all[a] - sum[a];
                    }

                    shares[part[t]] = (float)Share(gram, penalty, second, q);
                }
            }
        });
        cancellationToken.ThrowIfCancellationRequested();
        return shares;
    }

    /// <summary>tr((G + diag(penalty))^-1 E) for symmetric q x q <paramref name="gram"/> (row-major; overwritten).</summary>
    internal static double Share(Span<double> gram, ReadOnlySpan<double> penalty, ReadOnlySpan<double> second, int q)
    {
        for (var k = 0; k < q; k++)
        {
            gram[(k * q) + k] += penalty[k];
        }

        // The penalties are positive, so only a non-finite Gram fails here (the fitted parameters are finite).
        if (!Cholesky.Factor(gram, q))
        {
            return 0;
        }

        Cholesky.Invert(gram, q);
        double trace = 0;
        for (var a = 0; a < q * q; a++)
        {
            trace += gram[a] * second[a];
        }

        return Math.Max(trace, 0);
    }
}
