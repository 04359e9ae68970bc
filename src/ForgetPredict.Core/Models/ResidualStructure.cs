using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

// Design note. A factor model's residuals are not independent noise: examples that share a data source often err
// together on a task. Treating them as independent makes the interval of a group's mean forgetting far too narrow
// (on charlm-b, leave-one-task-out, 90% intervals covered 76% of measured group means). ResidualStructure keeps
// the leading principal components of the training residuals, a probabilistic-PCA model of the residual
// covariance across examples: Cov(e_j, e_l) = sum_k W[k, j] W[k, l] + iso * [j == l]. Any grouping chosen later
// (at predict time, from metadata the fit never saw) gets its mean's residual variance as
// sum_k mean_g(W_k)^2 + iso / n. With every component kept this equals the training tasks' mean squared group
// residual exactly; 32 components recovered most of it on charlm-b (coverage 89%). The in-sample residuals are
// also smaller than a new task's: every variance is scaled by count / (count - dof), dof the fit's effective
// number of parameters.

/// <summary>Residual covariance structure and the degrees-of-freedom correction of a fitted Gaussian factor model.</summary>
internal static class ResidualStructure
{
    private const int Chunk = 256;

    // Column partitions of the residual Gram pass (each keeps a packed M x M sum: 29 KB at 85 tasks). Eight, not the Gram's
    // default 16, leave room in the fit's memory bound (matrix + fit within 1.5 x the matrix) for the example parameters'
    // shares; up to eight workers still share the pass.
    private const int GramPartitions = 8;

    // Residual rows formed at a time for the directions' accumulation (the kernel's group).
    private const int Rows = 4;

    /// <summary>
    /// count / (count - dof), the factor that turns the mean squared in-sample residual into an unbiased noise variance.
    /// dof sums, over every example and every task, the ridge trace tr((G + Lambda)^-1 G) of its update (G the Gram of the
    /// other side's features, scaled by the observed fraction), plus one for the global mean. Capped at 10.
    /// </summary>
    public static double Inflation(AlsProblem problem, AlsSolution s, int m, int n, long count, int[]? unmeasured = null)
    {
        if (count <= 0)
        {
            return 1;
        }

        // Examples no task measured have no cells and spend no degree of freedom: count the measured ones alone (on a matrix
        // with most of its columns empty, counting every column left no degree of freedom and inflated the noise tenfold).
        var exampleFactors = s.ExampleFactors;
        if (unmeasured is { Length: > 0 })
        {
            var measured = UnmeasuredColumns.Measured(unmeasured, n);
            var r0 = problem.Rank;
            exampleFactors = new double[r0 * measured.Length];
            for (var k = 0; k < r0; k++)
            {
                for (var t = 0; t < measured.Length; t++)
                {
                    exampleFactors[(k * measured.Length) + t] = s.ExampleFactors[((long)k * n) + measured[t]];
                }
            }

            n = measured.Length;
        }

        var rho = (double)count / ((double)m * n);
        var r = problem.Rank;
        var taskDim = (problem.TaskBias ? 1 : 0) + r;

        // Example updates regress on the task features ([1], U_i); task updates on the example features ([1], V_j).
        // The task features as r columns of length m (gathered from the row-major task parameters); the example features are
        // already r contiguous rows of V.
        var offset = problem.TaskBias ? 1 : 0;
        var taskColumns = new double[r * m];
        for (var i = 0; i < m; i++)
        {
            for (var k = 0; k < r; k++)
            {
                taskColumns[(k * m) + i] = s.TaskParams[(i * taskDim) + offset + k];
            }
        }

        var exampleSide = RidgeTrace(m, problem.ExampleBias, r, taskColumns, rho, problem.ExampleBiasPenalty, s.FactorLambda);
        var taskSide = RidgeTrace(n, problem.TaskBias, r, exampleFactors, rho, problem.BiasLambda, s.FactorLambda);
        var dof = ((double)n * exampleSide) + ((double)m * taskSide) + (problem.Center ? 1 : 0);
        return count / Math.Max(count - dof, count / 10.0);
    }

    // tr((G + L)^-1 G) for G = rho * sum_t x_t x_t^T with x_t = ([1], columns[0..r][t]) over t < rows (each column contiguous,
    // `rows` long), L = diag(bias, factor...). G's entries are vectorised sums and dot products of the columns.
    private static double RidgeTrace(int rows, bool constant, int r, double[] columns, double rho, double biasPenalty, double factorPenalty)
    {
        var p = (constant ? 1 : 0) + r;
        if (p == 0)
        {
            return 0;
        }

        var o = constant ? 1 : 0;
        var g = new double[p * p];
        if (constant)
        {
            g[0] = rho * rows;
        }

        for (var a = 0; a < r; a++)
        {
            var x = columns.AsSpan(a * rows, rows);
            if (constant)
            {
                g[o + a] = g[(o + a) * p] = rho * System.Numerics.Tensors.TensorPrimitives.Sum<double>(x);
            }

            for (var b = 0; b <= a; b++)
            {
                g[((o + a) * p) + o + b] = g[((o + b) * p) + o + a] = rho * System.Numerics.Tensors.TensorPrimitives.Dot<double>(x, columns.AsSpan(b * rows, rows));
            }
        }

        var l = (double[])g.Clone();
        for (var a = 0; a < p; a++)
        {
            l[(a * p) + a] += constant && a == 0 ? biasPenalty : factorPenalty;
        }

        if (!Cholesky.Factor(l, p))
        {
            return p;
        }

        double trace = 0;
        var column = new double[p];
        for (var c = 0; c < p; c++)
        {
            for (var a = 0; a < p; a++)
            {
                column[a] = g[(a * p) + c];
            }

            Cholesky.Solve(l, p, column);
            trace += column[c];
        }

        return Math.Clamp(trace, 0, p);
    }

    /// <summary>Most training tasks the residual directions are estimated from (evenly spaced when there are more): bounds the
    /// cost at O(SampleTasks^2 N) for the Gram matrix, a few seconds at 1,000 x 1,000,000.</summary>
    public const int SampleTasks = 256;

    /// <summary>
    /// The leading <paramref name="components"/> principal directions of the residuals z - model (missing cells count as 0),
    /// scaled so that W[k, j] W[k, l] summed over k approximates a new task's residual covariance of examples j and l:
    /// W_k = sqrt(<paramref name="inflation"/> / (S rho)) R^T u_k, u_k the k-th eigenvector of R R^T over S sampled tasks
    /// (all of them up to <see cref="SampleTasks"/>); q = min(components, S - 1) or fewer. Returned as unit-norm directions in half
    /// precision (q x N, row-major) and their norms: W_k = Scales[k] * Factors[k]; and the examples' weights in their products
    /// between two examples (<see cref="FactorModelParameters.ResidualCrossMissing"/>: none with no missing cell).
    /// </summary>
    /// <remarks>Two streaming passes over the sampled rows (the S x S Gram, then the directions), O(S N (S + q)) work,
    /// O(q N) memory, fixed partitions: deterministic for any thread count. <paramref name="cancellationToken"/> is checked
    /// around the Gram matrix and between the second pass's column chunks.</remarks>
    public static (Half[] Factors, double[] Scales, (byte[] Missing, int Tasks, double Factor) Cross) Directions(ForgettingMatrix z, FactorModelParameters model, int components, double inflation, int maxThreads,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int m = z.TaskCount, n = z.ExampleCount;
        var sampled = Math.Min(m, SampleTasks);
        var tasks = new int[sampled];
        for (var t = 0; t < sampled; t++)
        {
            tasks[t] = (int)((long)t * m / sampled);
        }

        var q = Math.Min(Math.Min(components, Array.MaxLength / Math.Max(n, 1)), Math.Min(sampled - 1, n));
        if (q <= 0)
        {
            return ([], [], ([], 0, 0));
        }

        var gram = GramMatrix.Wide(sampled, n, (t, start, destination) => Residual(z, model, tasks[t], start, destination), maxThreads, Chunk, GramPartitions, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var eigen = SymmetricEigen.Decompose(gram, sampled, computeVectors: true);
        // Eigenvalues below 1e-12 of the largest are rounding (the Gram's entries carry relative errors near 1e-16): their
        // R^T u_k is not of norm sqrt(lambda_k), so scaling it to unit norm would blow rounding up to overflow.
        var floor = 1e-12 * Math.Max(eigen.Values[0], 0);
        while (q > 0 && !(eigen.Values[q - 1] > floor))
        {
            q--;
        }

        if (q == 0)
        {
            return ([], [], ([], 0, 0));
        }

        var u = eigen.Vectors!;
        // rho is the observed fraction of the measured examples' cells: an example no task measured has a zero residual column
        // and no variance to estimate, so counting it in rho scaled every measured example's directions up by n / measured
        // (on charlm-b with 98% of its columns empty, the measured examples' residual variance 50x the noise variance).
        var measured = n - model.UnmeasuredExamples.Length;
        var rho = (double)z.ObservedCount / ((double)m * Math.Max(measured, 1));
        var scale = Math.Sqrt(inflation / (sampled * rho));
        var cross = CrossWeights(z, tasks, measured, rho);
        // ||R^T u_k||^2 = lambda_k, so W_k's norm is known before it is computed: unit-norm rows quantise to half precision
        // without a second pass (entries of typical size 1 / sqrt(N) stay far above half's subnormal range).
        var norms = new double[q];
        var inverse = new double[q];
        for (var k = 0; k < q; k++)
        {
            norms[k] = scale * Math.Sqrt(eigen.Values[k]);
            inverse[k] = scale / norms[k];
        }

        var directions = new Half[(long)q * n];
        var chunks = (n + Chunk - 1) / Chunk;
        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var workers = Math.Min(chunks, parallel.MaxDegreeOfParallelism);
        Parallel.For(0, workers, parallel, worker =>
        {
            var block = new double[Rows * Chunk];
            var acc = new double[q * Chunk];
            for (var c = worker; c < chunks && !cancellationToken.IsCancellationRequested; c += workers)
            {
                var start = c * Chunk;
                var width = Math.Min(Chunk, n - start);
                Array.Clear(acc);
                // acc[k] += r_t u[t, k] over the sampled tasks in order, four rows per pass over the accumulators.
                for (var first = 0; first < sampled; first += Rows)
                {
                    var rows = Math.Min(Rows, sampled - first);
                    for (var t = 0; t < rows; t++)
                    {
                        Residual(z, model, tasks[first + t], start, block.AsSpan(t * width, width));
                    }

                    ColumnAccumulation.Accumulate(block, width, rows, u.AsSpan(first * sampled), sampled, q, acc, width);
                }

                for (var k = 0; k < q; k++)
                {
                    var scaled = block.AsSpan(0, width);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(acc.AsSpan(k * width, width), inverse[k], scaled);
                    HalfPrecision.FromDouble(scaled, directions.AsSpan((int)(((long)k * n) + start), width));
                }
            }
        });
        cancellationToken.ThrowIfCancellationRequested();
        return (directions, norms, cross);
    }

    // The examples' cross weights (FactorModelParameters.ResidualCrossMissing), none when no measured example misses a cell
    // of a task that measured any (every gap an unmeasured example or an empty task). Over the S sampled tasks, with f_i the
    // share of the measured examples task i measured, F = sum f_i, F2 = sum f_i^2 and c_j the sampled tasks that measured
    // example j, a task measures examples j and l together about f_i^2 (c_j / F) (c_l / F) of the time (a cell's chance
    // f_i c_j / F matches every row's and every column's count), so the directions' product of j and l is inflation
    // F2 c_j c_l / (S rho F^2) times their covariance; g_j = (F / c_j) sqrt(S rho / F2) makes g_j g_l times it the
    // covariance's: 1 / sqrt(rho) when cells are missing at random. Kept as each example's S - c_j (at most 255: only an
    // example no sampled task measured reaches it when S = 256, and its directions are zero) and the factor F sqrt(S rho / F2),
    // at most S sqrt(rho) <= S since F2 >= F^2 / S.
    private static (byte[] Missing, int Tasks, double Factor) CrossWeights(ForgettingMatrix z, int[] tasks, int measured, double rho)
    {
        int m = z.TaskCount, n = z.ExampleCount;
        if (z.MissingCount == 0)
        {
            return ([], 0, 0);
        }

        long emptyTasks = 0;
        for (var i = 0; i < m; i++)
        {
            emptyTasks += ValueScan.Scan(z.Row(i)).MissingCount == n ? 1 : 0;
        }

        if (z.MissingCount == (emptyTasks * n) + ((m - emptyTasks) * (n - measured)))
        {
            return ([], 0, 0);
        }

        var missing = new byte[n];
        double sum = 0, squares = 0;
        foreach (var i in tasks)
        {
            var row = z.Row(i);
            var absent = 0;
            for (var j = 0; j < n; j++)
            {
                if (float.IsNaN(row[j]))
                {
                    absent++;
                    missing[j] = (byte)Math.Min(missing[j] + 1, byte.MaxValue);
                }
            }

            var f = (n - absent) / (double)Math.Max(measured, 1);
            sum += f;
            squares += f * f;
        }

        return squares > 0 ? (missing, tasks.Length, sum * Math.Sqrt(tasks.Length * rho / squares)) : ([], 0, 0);
    }

    // Row i's residuals z - prediction over columns start .. start + destination.Length (0 where z is missing).
    private static void Residual(ForgettingMatrix z, FactorModelParameters model, int i, int start, Span<double> destination)
    {
        FactorModel.PredictRowSlice(model, i, start, destination);
        Residuals.Masked(z.Row(i).Slice(start, destination.Length), destination, 0, destination);
    }
}
