using System.Numerics;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

// Design note. A new task's cell j is predicted from example j's fitted parameters theta_j = ([b_j], V_j), and those carry an
// estimation error of their own: the fit's example update is a ridge regression of column j on the training tasks' features
// g_i = ([1], U_i) over the tasks that measured j, so theta_j errs with covariance about sigma^2 (G_j + L)^-1, G_j =
// sum_i g_i g_i^T over those tasks and L the example penalties. The new task's cell errs by g_T . (theta_j - theta_j_hat)
// besides its residual, a variance sigma^2 g_T^T (G_j + L)^-1 g_T, which averages over new tasks like the training ones to
// sigma^2 tr((G_j + L)^-1 E) with E the training tasks' mean g g^T. That trace is the example's parameter share: about
// (r + 1) / M for an example every task measured (0.2-0.3 of the noise variance on the charlm matrices, where leaving it out
// made mf's 90% cell intervals cover 86.5%), and many times the noise for an example measured on fewer tasks than it has
// parameters. Every example that all tasks measured has the same G_j, so a dense matrix costs one factorisation.

/// <summary>The variance example parameters' estimation error adds to a new task's cells, per example (see the design note).</summary>
internal static class ExampleUncertainty
{
    // Columns a worker counts at a time.
    private const int Block = 512;

    // Incomplete columns' Gram accumulators (columns x q x q doubles, allocated only when a worker meets one) stay within 8 KB.
    private const int AccumulatorBudget = 1 << 10;

    /// <summary>
    /// Each example's parameter share tr((G_j + L)^-1 E) (see the design note) for a Gaussian factor model fitted on
    /// <paramref name="matrix"/>, in the units of the data (<paramref name="parameters"/> unscaled); empty for a model without
    /// example parameters or task factors to weigh them (task-mean). Unmeasured examples get 0 (their parameters' spread
    /// is accounted for apart, <see cref="FactorModelParameters.UnmeasuredSpread"/>).
    /// </summary>
    /// <param name="matrix">The training matrix the parameters were fitted on.</param>
    /// <param name="parameters">The fitted parameters, in the data's units.</param>
    /// <param name="exampleBiasPenalty">The fit's penalty on an example bias (unit-free: a number of cells).</param>
    /// <param name="maxThreads">Worker limit (0: all cores); the result is the same for any value.</param>
    /// <param name="cancellationToken">Stops between blocks of examples.</param>
    public static float[] Shares(ForgettingMatrix matrix, FactorModelParameters parameters, double exampleBiasPenalty, int maxThreads, CancellationToken cancellationToken)
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
            AddOuter(features.AsSpan(i * q, q), all, q);
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
        var values = matrix.ValueMemory;
        var sub = Math.Clamp(AccumulatorBudget / (q * q), 1, Block);
        var blocks = (n + Block - 1) / Block;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxThreads <= 0 ? Environment.ProcessorCount : maxThreads };
        var workers = Math.Min(blocks, parallel.MaxDegreeOfParallelism);

        // Each worker takes every workers-th block; every column's share depends on its own cells alone, so the result is
        // the same for any number of workers.
        Parallel.For(0, workers, parallel, worker =>
        {
            var counts = new int[Block];
            double[]? sums = null;
            var gram = new double[q * q];
            for (var block = worker; block < blocks && !cancellationToken.IsCancellationRequested; block += workers)
            {
                var start = block * Block;
                var count = counts.AsSpan(0, Math.Min(Block, n - start));
                var span = values.Span;
                CountObserved(span, m, n, start, count);
                for (var t = 0; t < count.Length; t++)
                {
                    shares[start + t] = count[t] == 0 ? 0 : complete;
                }

                // Incomplete columns, a few at a time: each sums the outer products of the smaller of its two task sets, the
                // tasks that measured it (G_j directly) or those that did not (G_j = G - their sum).
                for (var first = 0; first < count.Length; first += sub)
                {
                    var part = count.Slice(first, Math.Min(sub, count.Length - first));
                    if (!HasIncomplete(part, m))
                    {
                        continue;
                    }

                    sums ??= new double[sub * q * q];
                    sums.AsSpan(0, part.Length * q * q).Clear();
                    for (var i = 0; i < m; i++)
                    {
                        var row = span.Slice((i * n) + start + first, part.Length);
                        var g = features.AsSpan(i * q, q);
                        for (var t = 0; t < part.Length; t++)
                        {
                            var c = part[t];
                            if (c > 0 && c < m && float.IsNaN(row[t]) != (2 * c <= m))
                            {
                                AddOuter(g, sums.AsSpan(t * q * q, q * q), q);
                            }
                        }
                    }

                    for (var t = 0; t < part.Length; t++)
                    {
                        var c = part[t];
                        if (c == 0 || c == m)
                        {
                            continue;
                        }

                        var sum = sums.AsSpan(t * q * q, q * q);
                        for (var a = 0; a < gram.Length; a++)
                        {
                            gram[a] = 2 * c <= m ? sum[a] : all[a] - sum[a];
                        }

                        shares[start + first + t] = (float)Share(gram, penalty, second, q);
                    }
                }
            }
        });
        cancellationToken.ThrowIfCancellationRequested();
        return shares;
    }

    /// <summary>
    /// counts[t] = how many of the <paramref name="m"/> rows have column start + t observed (not NaN): a vector lane per
    /// column (x == x is false only for NaN), the scalar loop for the tail (and the reference the lanes are tested against).
    /// </summary>
    internal static void CountObserved(ReadOnlySpan<float> values, int m, int n, int start, Span<int> counts)
    {
        counts.Clear();
        for (var i = 0; i < m; i++)
        {
            var row = values.Slice((i * n) + start, counts.Length);
            var t = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; t <= counts.Length - Vector<float>.Count; t += Vector<float>.Count)
                {
                    var v = new Vector<float>(row[t..]);
                    var sum = new Vector<int>(counts[t..]) - Vector.AsVectorInt32(Vector.Equals(v, v));
                    sum.CopyTo(counts[t..]);
                }
            }

            for (; t < counts.Length; t++)
            {
                counts[t] += float.IsNaN(row[t]) ? 0 : 1;
            }
        }
    }

    private static bool HasIncomplete(ReadOnlySpan<int> counts, int m)
    {
        foreach (var c in counts)
        {
            if (c > 0 && c < m)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>tr((G + diag(penalty))^-1 E) for symmetric q x q <paramref name="gram"/> (row-major; overwritten).</summary>
    internal static double Share(Span<double> gram, ReadOnlySpan<double> penalty, ReadOnlySpan<double> second, int q)
    {
        for (var k = 0; k < q; k++)
        {
            gram[(k * q) + k] += penalty[k];
        }

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

    // target += g g^T (both triangles).
    private static void AddOuter(ReadOnlySpan<double> g, Span<double> target, int q)
    {
        for (var a = 0; a < q; a++)
        {
            var ga = g[a];
            for (var b = 0; b < q; b++)
            {
                target[(a * q) + b] += ga * g[b];
            }
        }
    }
}
