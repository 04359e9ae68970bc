using System.Numerics.Tensors;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Analysis;

/// <summary>How low-rank a forgetting matrix is: singular values and the R^2 of the best rank-r fit for r = 1..R.</summary>
/// <param name="SingularValues">The leading singular values (descending; at most min(M, N) of them).</param>
/// <param name="RSquared">R^2 of the best uncentred rank-r fit, r = 1..R (index 0 is rank 1).</param>
/// <param name="FromObservedCells">True when the matrix had missing cells: the curve then comes from rank-r fits to the
/// observed cells only (alternating least squares, no penalty) instead of a truncated SVD.</param>
public sealed record SpectrumAnalysis(double[] SingularValues, double[] RSquared, bool FromObservedCells)
{
    /// <summary>The share of observed cells from which <see cref="InSampleFromRank"/> says a rank's R^2 is read from the cells it
    /// passes through rather than from the matrix's structure: a tenth.</summary>
    public const double InSampleShare = 0.1;

    /// <summary>
    /// Per rank r = 1..R (index 0 is rank 1), the share of the observed cells that lie in an example or a task measured on at
    /// most r cells: a rank-r fit of the observed cells has r parameters for each, so it passes through those cells whatever
    /// their noise, and its R^2 rises toward 1 (pure noise with 90% of its cells missing reaches 0.98 at rank 5). Empty for a
    /// complete matrix, whose curve is the truncated SVD's.
    /// </summary>
    public IReadOnlyList<double> InterpolatedCells { get; init; } = [];

    /// <summary>The lowest rank at which at least <see cref="InSampleShare"/> of the observed cells are interpolated
    /// (<see cref="InterpolatedCells"/>), so that its R^2 and every higher rank's say little of how low-rank the forgetting is;
    /// 0 when no rank of the curve is.</summary>
    public int InSampleFromRank
    {
        get
        {
            for (var r = 0; r < InterpolatedCells.Count; r++)
            {
                if (InterpolatedCells[r] >= InSampleShare)
                {
                    return r + 1;
                }
            }

            return 0;
        }
    }

    /// <summary>What a reader of the curve must be told when <see cref="InSampleFromRank"/> is not 0, in one sentence; null
    /// otherwise.</summary>
    public string? InSampleNote => InSampleFromRank is var r and > 0
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"From rank {r} on, {100 * InterpolatedCells[r - 1]:F0}% or more of the observed cells lie in examples or tasks measured on no more cells than the rank's parameters each, so the fit passes through them whatever their noise: those ranks' R^2 is in-sample and rises toward 1 even for pure noise. `evaluate` measures held-out error; a lower rank, or more measured cells per example, reads the structure.")
        : null;
}

/// <summary>
/// Truncated-SVD analysis of a forgetting matrix without forming anything N x N: the singular values come from the
/// eigenvalues of the smaller Gram matrix (Z Z^T, M x M, when M &lt;= N), built in double precision.
/// </summary>
/// <remarks>
/// <para>R^2(r) = 1 - (|Z|^2 - sum_{k &lt;= r} s_k^2) / sum (z - mean z)^2 over all cells, the definition of science.md §2
/// applied to the best rank-r approximation (Eckart-Young). Cost O(min(M, N)^2 max(M, N)) for the Gram matrix plus
/// O(min(M, N)^3) for its eigenvalues.</para>
/// <para>Deterministic: the Gram matrix is summed over fixed column partitions in a fixed order.</para>
/// </remarks>
public static class Spectrum
{
    /// <summary>Computes the singular values and the R^2 curve for ranks 1..<paramref name="maxRank"/>.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="maxRank">The highest rank of the curve.</param>
    /// <param name="maxThreads">Worker threads (-1: all cores).</param>
    /// <param name="cancellationToken">Stops the fits of a matrix with missing cells between solver sweeps.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRank"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static SpectrumAnalysis Analyze(ForgettingMatrix matrix, int maxRank = 10, int maxThreads = -1, CancellationToken cancellationToken = default) =>
        Analyze(matrix, maxRank, maxThreads, FullSpectrumLimit, cancellationToken);

    /// <summary>
    /// The largest smaller side (tasks or examples) whose Gram matrix is formed and fully decomposed: 1,024 (8 MB a partial sum).
    /// Beyond it (an 8,000 x 8,000 matrix took 5.6 GB and O(n^3) time for its every singular value) the leading ones come from
    /// subspace iteration (<see cref="Leading"/>), in O(M N (R + 10)) memory and time per iteration.
    /// </summary>
    internal const int FullSpectrumLimit = 1024;

    /// <summary><see cref="Analyze(ForgettingMatrix, int, int, CancellationToken)"/> with the smaller side beyond which the
    /// leading singular values come from subspace iteration (tests lower it to compare both paths).</summary>
    internal static SpectrumAnalysis Analyze(ForgettingMatrix matrix, int maxRank, int maxThreads, int fullSpectrumLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRank, 1);
        var total = CenteredSumOfSquares(matrix);
        var limit = Math.Min(maxRank, Math.Min(matrix.TaskCount, matrix.ExampleCount));
        if (matrix.MissingCount > 0)
        {
            return FromObserved(matrix, limit, total, maxThreads, cancellationToken);
        }

        var size = Math.Min(matrix.TaskCount, matrix.ExampleCount);
        if (size > fullSpectrumLimit)
        {
            return Leading(matrix, limit, total, maxThreads, cancellationToken);
        }

        var gram = GramMatrix.Of(matrix, maxThreads);
        var eigen = SymmetricEigen.Decompose(gram, size, computeVectors: false);
        var squares = 0d;
        for (var k = 0; k < size; k++)
        {
            squares += gram[(k * size) + k];
        }

        var singular = eigen.Values.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
        var r2 = new double[limit];
        var captured = 0d;
        for (var r = 0; r < limit; r++)
        {
            captured += eigen.Values[r] > 0 ? eigen.Values[r] : 0;
            r2[r] = total > 0 ? 1 - (Math.Max(squares - captured, 0) / total) : 1;
        }

        return new SpectrumAnalysis(singular, r2, false);
    }

    /// <summary>Vectors beyond the curve's ranks that <see cref="Leading"/> iterates (they speed up the leading ones' convergence).</summary>
    internal const int Oversampling = 10;

    /// <summary>Most iterations of <see cref="Leading"/>; it stops sooner when the captured sum of squares settles (to 1e-12 of itself).</summary>
    internal const int MaxIterations = 300;

    // The leading singular values of a complete matrix by subspace iteration on the smaller side's Gram operator, never formed:
    // Q (k orthonormal vectors of the smaller side, seeded normal draws) is replaced by the orthonormalised A Q, A = Z Z^T
    // applied as Z (Z^T Q) (or Z^T Z as Z^T (Z Q) when there are more tasks than examples), with the Rayleigh-Ritz values of
    // Q^T A Q as the squared singular values. Fixed partitions and orders: deterministic for any thread count.
    private static SpectrumAnalysis Leading(ForgettingMatrix matrix, int limit, double total, int maxThreads, CancellationToken cancellationToken)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var tall = m > n;
        var size = Math.Min(m, n);
        var k = Math.Min(size, limit + Oversampling);
        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var q = AlternatingLeastSquares.StandardNormals(Defaults.Seed, k, size);
        Orthonormalise(q, k, size);
        var inner = new double[k * Math.Max(m, n)];
        var y = new double[k * size];
        var t = new double[k * k];
        var ritz = new double[k];
        var previous = double.NaN;
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tall)
            {
                RowDots(matrix, q, k, inner, parallel);
                RowCombination(matrix, inner, k, y, parallel);
            }
            else
            {
                RowCombination(matrix, q, k, inner, parallel);
                RowDots(matrix, inner, k, y, parallel);
            }

            for (var a = 0; a < k; a++)
            {
                for (var b = 0; b <= a; b++)
                {
                    var dot = TensorPrimitives.Dot<double>(q.AsSpan(a * size, size), y.AsSpan(b * size, size));
                    var other = TensorPrimitives.Dot<double>(q.AsSpan(b * size, size), y.AsSpan(a * size, size));
                    t[(a * k) + b] = t[(b * k) + a] = 0.5 * (dot + other);
                }
            }

            SymmetricEigen.Decompose(t, k, computeVectors: false).Values.CopyTo(ritz, 0);
            double captured = 0;
            for (var r = 0; r < limit; r++)
            {
                captured += Math.Max(ritz[r], 0);
            }

            Array.Copy(y, q, y.Length);
            Orthonormalise(q, k, size);
            if (Math.Abs(captured - previous) <= 1e-12 * captured || captured == 0)
            {
                break;
            }

            previous = captured;
        }

        var squares = RowSums(matrix, 0, squares: true);
        var r2 = new double[limit];
        var sum = 0d;
        for (var r = 0; r < limit; r++)
        {
            sum += Math.Max(ritz[r], 0);
            r2[r] = total > 0 ? 1 - (Math.Max(squares - sum, 0) / total) : 1;
        }

        return new SpectrumAnalysis([.. ritz.Take(limit).Select(v => Math.Sqrt(Math.Max(v, 0)))], r2, false);
    }

    // destination[c * M + i] = z_i . vectors[c] (vectors: k x N), row by row in parallel.
    private static void RowDots(ForgettingMatrix matrix, double[] vectors, int k, double[] destination, ParallelOptions parallel)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        Parallel.For(0, m, parallel, () => new double[n], (i, _, row) =>
        {
            TensorPrimitives.ConvertChecked<float, double>(matrix.Row(i), row);
            for (var c = 0; c < k; c++)
            {
                destination[((long)c * m) + i] = TensorPrimitives.Dot<double>(row, vectors.AsSpan(c * n, n));
            }

            return row;
        }, _ => { });
    }

    // destination[c] = sum_i coefficients[c * M + i] z_i (destination: k x N), over fixed column chunks in parallel, the rows of
    // each chunk in order.
    private static void RowCombination(ForgettingMatrix matrix, double[] coefficients, int k, double[] destination, ParallelOptions parallel)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        const int Width = 2048;
        var chunks = (n + Width - 1) / Width;
        Array.Clear(destination, 0, k * n);
        Parallel.For(0, chunks, parallel, () => new double[Width], (chunk, _, row) =>
        {
            var start = chunk * Width;
            var width = Math.Min(Width, n - start);
            var part = row.AsSpan(0, width);
            for (var i = 0; i < m; i++)
            {
                TensorPrimitives.ConvertChecked<float, double>(matrix.Row(i).Slice(start, width), part);
                for (var c = 0; c < k; c++)
                {
                    var target = destination.AsSpan((c * n) + start, width);
                    TensorPrimitives.MultiplyAdd(part, coefficients[((long)c * m) + i], target, target);
                }
            }

            return row;
        }, _ => { });
    }

    // Modified Gram-Schmidt, twice, over the k rows of length `size`; a row that is (numerically) in the span of the earlier
    // ones, or zero, becomes zero (its Ritz value is then 0).
    private static void Orthonormalise(double[] vectors, int k, int size)
    {
        for (var c = 0; c < k; c++)
        {
            var v = vectors.AsSpan(c * size, size);
            var before = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(v));
            for (var pass = 0; pass < 2; pass++)
            {
                for (var b = 0; b < c; b++)
                {
                    var u = vectors.AsSpan(b * size, size);
                    TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot<double>(u, v), v, v);
                }
            }

            var norm = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(v));
            if (norm > 1e-12 * before && norm > 0)
            {
                TensorPrimitives.Multiply(v, 1 / norm, v);
            }
            else
            {
                v.Clear();
            }
        }
    }

    /// <summary>Sum over observed cells of (z - mean z)^2: the denominator of every R^2.</summary>
    /// <remarks>Two passes (the mean, then the squares about it); rows run in parallel and their sums are added in row order,
    /// so the result is the same for any thread count.</remarks>
    public static double CenteredSumOfSquares(ForgettingMatrix matrix) => CenteredSumOfSquares(matrix, -1);

    // The same on at most maxThreads threads (-1: all cores), for fits that were given a thread budget.
    internal static double CenteredSumOfSquares(ForgettingMatrix matrix, int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var sum = RowSums(matrix, 0, squares: false, maxThreads);
        return RowSums(matrix, sum / Math.Max(matrix.ObservedCount, 1), squares: true, maxThreads);
    }

    // Sum over rows, in row order, of each row's sum of (z - shift) (or its squares) over the observed cells.
    private static double RowSums(ForgettingMatrix matrix, double shift, bool squares, int maxThreads = -1)
    {
        var rows = new double[matrix.TaskCount];
        Parallel.For(0, matrix.TaskCount, Numerics.Parallelism.Options(maxThreads), () => new double[matrix.ExampleCount], (i, _, buffer) =>
        {
            Residuals.Masked(matrix.Row(i), default, shift, buffer);
            rows[i] = squares ? TensorPrimitives.SumOfSquares<double>(buffer) : TensorPrimitives.Sum<double>(buffer);
            return buffer;
        }, _ => { });
        double total = 0;
        foreach (var row in rows)
        {
            total += row;
        }

        return total;
    }

    /// <summary>Hard-impute iterations that start the second ALS run of each rank (see <see cref="FromObserved"/>).</summary>
    internal const int ImputeIterations = 5;

    /// <summary>Matrices with at most this many observed cells also fit each rank from an imputed start (see <see cref="FromObserved"/>).</summary>
    internal const long TwoStartCells = 2_000_000;

    // Per rank r = 1..ranks, the share of the observed cells whose example or task is measured on at most r cells.
    private static double[] Interpolated(ForgettingMatrix matrix, int ranks)
    {
        var (perTask, perExample) = MatrixSummary.ObservedCounts(matrix);
        // A cell is interpolated from the rank of its less measured side on.
        var from = new long[ranks + 1];
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                var fewest = Math.Min(perExample[j], perTask[i]);
                if (!float.IsNaN(row[j]) && fewest <= ranks)
                {
                    from[fewest]++;
                }
            }
        }

        var shares = new double[ranks];
        long cells = 0;
        for (var r = 1; r <= ranks; r++)
        {
            cells += from[r];
            shares[r - 1] = (double)cells / Math.Max(matrix.ObservedCount, 1);
        }

        return shares;
    }

    // With missing cells: the best rank-r fit of the observed cells, by unpenalised uncentred ALS for each r. ALS has local
    // optima when cells are missing, so on matrices of up to TwoStartCells observed cells (and at least as many examples as
    // tasks) each rank also starts from a few hard-impute iterations (missing cells filled with the observed mean, then with
    // the rank-r reconstruction, each time projected on the top r singular directions) and the better fit is kept: on a
    // 20 x 60 charlm-d block with 20% of its cells missing rank 3 reached R^2 0.9698 from the seeded random start and 0.9726
    // from the imputed one (numpy's best of five random starts: 0.9727). Larger matrices keep the random start alone: there
    // the two agreed to 1e-7 (charlm-b with 10% of its cells missing), and on 85 x 141,816 cells with 5% missing the imputed
    // start alone took 217 s and 0.43 GB against 167 s and 0.14 GB (its Gram matrices, and a double copy of the matrix).
    private static SpectrumAnalysis FromObserved(ForgettingMatrix matrix, int limit, double total, int maxThreads, CancellationToken cancellationToken)
    {
        var r2 = new double[limit];
        var singular = new List<double>();
        // (the imputed start's Gram matrix is M x M: not for more tasks than the dense path's full spectrum takes)
        var twoStarts = matrix.TaskCount <= matrix.ExampleCount && matrix.ObservedCount <= TwoStartCells && matrix.TaskCount <= FullSpectrumLimit;
        // The solver reads Z / s (s: the RMS of the observed cells), as the model fits do, so its tiny factor penalty and its
        // tolerance never meet the data's units: the singular values scale with the data and R^2 does not move (at a scale of
        // 1e-6 the absolute penalty had moved the leading singular values by 20% on a 20 x 60 block with cells missing).
        var scale = DataScale.Rms(matrix);
        for (var r = 1; r <= limit; r++)
        {
            var problem = new AlsProblem
            {
                Rank = r,
                FactorLambda = 1e-9,
                InputScale = 1 / scale,
                MaxIterations = 200,
                Tolerance = 1e-7,
                Seed = Defaults.Seed,
                MaxThreads = maxThreads,
                Cancellation = cancellationToken,
            };
            var solution = new AlternatingLeastSquares(matrix, problem).Solve();
            if (twoStarts)
            {
                var start = ImputedStart(matrix, r, ImputeIterations, maxThreads, cancellationToken);
                TensorPrimitives.Divide(start, scale, start);
                var imputed = new AlternatingLeastSquares(matrix, problem with { StartFactors = start }).Solve();
                solution = imputed.Report.ResidualVariance < solution.Report.ResidualVariance ? imputed : solution;
            }

            var rss = solution.Report.ResidualVariance * scale * scale * matrix.ObservedCount;
            r2[r - 1] = total > 0 ? 1 - (rss / total) : 1;
            if (r == limit)
            {
                singular.AddRange(FactorSingularValues(solution, matrix, r).Select(v => v * scale));
            }
        }

        return new SpectrumAnalysis([.. singular], r2, true) { InterpolatedCells = Interpolated(matrix, r2.Length) };
    }

    // Hard-impute for a matrix with at least as many examples as tasks: X is Z with its missing cells filled (first with the
    // observed mean, then with the last reconstruction); each iteration takes the top r eigenvectors U of X X^T (M x M) and the
    // reconstruction U U^T X. Returns U^T X (r x N), the example side of the last reconstruction. O(M^2 N) an iteration; the
    // Gram matrix's entries are independent dot products, so the result is the same for any thread count.
    internal static double[] ImputedStart(ForgettingMatrix matrix, int r, int iterations, int maxThreads, CancellationToken cancellationToken = default)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var values = matrix.Values;
        double sum = 0;
        foreach (var value in values)
        {
            sum += float.IsNaN(value) ? 0 : value;
        }

        var mean = sum / Math.Max(matrix.ObservedCount, 1);
        var x = new double[(long)m * n];
        for (long c = 0; c < x.LongLength; c++)
        {
            x[c] = float.IsNaN(values[(int)c]) ? mean : values[(int)c];
        }

        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var gram = new double[m * m];
        var u = new double[m * r];
        var v = new double[r * n];
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Parallel.For(0, m, parallel, a =>
            {
                for (var b = 0; b <= a; b++)
                {
                    gram[(a * m) + b] = gram[(b * m) + a] = TensorPrimitives.Dot<double>(x.AsSpan(a * n, n), x.AsSpan(b * n, n));
                }
            });
            var vectors = SymmetricEigen.Decompose(gram, m, computeVectors: true).Vectors!;
            for (var i = 0; i < m; i++)
            {
                for (var k = 0; k < r; k++)
                {
                    u[(i * r) + k] = vectors[(i * m) + k];
                }
            }

            // V = U^T X, row by row of X in task order.
            Array.Clear(v);
            for (var i = 0; i < m; i++)
            {
                for (var k = 0; k < r; k++)
                {
                    TensorPrimitives.MultiplyAdd<double>(x.AsSpan(i * n, n), u[(i * r) + k], v.AsSpan(k * n, n), v.AsSpan(k * n, n));
                }
            }

            if (iteration == iterations - 1)
            {
                break;
            }

            Parallel.For(0, m, parallel, i =>
            {
                var row = matrix.Values.Slice(i * n, n);
                for (var j = 0; j < n; j++)
                {
                    if (float.IsNaN(row[j]))
                    {
                        double fitted = 0;
                        for (var k = 0; k < r; k++)
                        {
                            fitted += u[(i * r) + k] * v[(k * n) + j];
                        }

                        x[((long)i * n) + j] = fitted;
                    }
                }
            });
        }

        return v;
    }

    // Singular values of U V from the factors: sqrt(eig((U^T U)(V V^T))).
    private static double[] FactorSingularValues(AlsSolution solution, ForgettingMatrix matrix, int r)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var uu = new double[r * r];
        var vv = new double[r * r];
        for (var a = 0; a < r; a++)
        {
            for (var b = 0; b < r; b++)
            {
                double s = 0;
                for (var i = 0; i < m; i++)
                {
                    s += solution.TaskParams[(i * r) + a] * solution.TaskParams[(i * r) + b];
                }

                uu[(a * r) + b] = s;
                vv[(a * r) + b] = TensorPrimitives.Dot<double>(solution.ExampleFactors.AsSpan(a * n, n), solution.ExampleFactors.AsSpan(b * n, n));
            }
        }

        // eig(UU VV) = eig(L^T VV L) with UU = L L^T (symmetric form).
        var l = (double[])uu.Clone();
        if (!Cholesky.Factor(l, r))
        {
            return [];
        }

        var sym = new double[r * r];
        for (var a = 0; a < r; a++)
        {
            for (var b = 0; b < r; b++)
            {
                double s = 0;
                for (var c = 0; c < r; c++)
                {
                    for (var d = 0; d < r; d++)
                    {
                        s += l[(c * r) + a] * vv[(c * r) + d] * l[(d * r) + b];
                    }
                }

                sym[(a * r) + b] = s;
            }
        }

        return SymmetricEigen.Decompose(sym, r, false).Values.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
    }
}
