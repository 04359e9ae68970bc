using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Options of <see cref="ProfileFitter"/>.</summary>
public sealed record ProfileOptions : FitOptions
{
    /// <summary>Principal components of the scale-free task profiles (the model's rank is one more: the mean profile).</summary>
    public int Rank { get; init; } = 4;

    /// <summary>Residual components kept for group intervals (see <see cref="Defaults.ResidualRank"/>).</summary>
    public int ResidualRank { get; init; } = Defaults.ResidualRank;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Rank, 0, 1024, nameof(Rank));
        InRange(ResidualRank, 0, 4096, nameof(ResidualRank));
    }
}

/// <summary>
/// The scale-free profile model: z[i, j] = a_i + c_i m_j + sum_k u_ik v_kj, where m is the mean of the training tasks' rows
/// each divided by its root mean square, and v_k the leading principal directions of those scale-free rows. A task's size
/// (how hard it was trained) is its own free coefficient c_i on the mean profile instead of a fixed unit weight, so tasks
/// whose forgetting differs mostly in size share one shape. Fold-in: the empirical Gaussian prior of the training tasks'
/// coefficients (a, c, u), as for the low-rank model.
/// </summary>
/// <remarks>
/// <para>Returns a <see cref="FactorModel"/> of the low-rank family (task bias a_i, no global mean or example bias, rank
/// Rank + 1 with the mean profile as the first example factor), so it saves, loads and predicts like any mf model.</para>
/// <para>Missing cells are filled with the column mean of the scale-free rows for the principal directions, and left out of
/// each task's coefficients. Cost: O(M N min(M, N)) for the Gram matrix of the smaller side (tasks or examples), O(min(M, N)^3)
/// for its eigenvectors, O(M N p) for the coefficients; deterministic for any thread count (every sum has a fixed order).</para>
/// </remarks>
public sealed class ProfileFitter(ProfileOptions? options = null) : IForgettingFitter
{
    private readonly ProfileOptions _o = FactorFits.Validated(options ?? new ProfileOptions());

    // The relative rounding of a single-precision value (2^-24): a residual variance below its square times the cells' mean
    // square is rounding the stored values cannot show. Fits of every training row exact (rss 0, or a few units in the last
    // place, depending on the data's units: 1e-27 at a scale of 1e-4, exactly 0 at 1) get that variance instead, so that their
    // fold-ins weigh the measured cells against the prior alike in any units (the mf and rank1 fits are made unit-free first).
    private const double SingleRounding = 5.9604644775390625E-08; // 2^-24

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.LowRank;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => Fit(matrix, null, cancellationToken);

    /// <summary><see cref="Fit(ForgettingMatrix, CancellationToken)"/> with the side whose Gram matrix gives the principal
    /// directions forced (null: the smaller; tests compare both).</summary>
    internal IForgettingModel Fit(ForgettingMatrix matrix, bool? taskSide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.ObservedCount == 0)
        {
            throw new ArgumentException("Every cell of the matrix is missing (NaN); there is nothing to fit.", nameof(matrix));
        }

        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var parallel = Parallelism.Options(_o.MaxThreads, cancellationToken);

        // Scale-free rows: each row over its root mean square; then the mean profile (column means over observed cells).
        var rows = new double[m][];
        var profile = new double[n];
        var counts = new int[n];
        double allSquares = 0;
        for (var i = 0; i < m; i++)
        {
            var z = matrix.Row(i);
            double squares = 0;
            var observed = 0;
            foreach (var x in z)
            {
                if (!float.IsNaN(x))
                {
                    squares += (double)x * x;
                    observed++;
                }
            }

            allSquares += squares;

            var scale = observed > 0 && squares > 0 ? Math.Sqrt(squares / observed) : 1;
            rows[i] = new double[n];
            for (var j = 0; j < n; j++)
            {
                rows[i][j] = float.IsNaN(z[j]) ? double.NaN : z[j] / scale;
                if (!float.IsNaN(z[j]))
                {
                    profile[j] += rows[i][j];
                    counts[j]++;
                }
            }
        }

        for (var j = 0; j < n; j++)
        {
            profile[j] = counts[j] > 0 ? profile[j] / counts[j] : 0;
        }

        // Centre on the profile (missing cells become 0 = filled with the profile); the principal directions of the centred rows.
        Parallel.For(0, m, parallel, i =>
        {
            var row = rows[i];
            for (var j = 0; j < n; j++)
            {
                row[j] = double.IsNaN(row[j]) ? 0 : row[j] - profile[j];
            }
        });
        cancellationToken.ThrowIfCancellationRequested();
        var directions = PrincipalDirections(rows, n, _o.Rank, parallel, taskSide ?? m <= n);
        var r = directions.Length / Math.Max(n, 1);

        // Example factors: row 0 the profile, rows 1..r the unit principal directions.
        var rank = r + 1;
        var exampleFactors = new double[rank * n];
        profile.CopyTo(exampleFactors, 0);
        directions.CopyTo(exampleFactors, n);

        var (taskBias, taskFactors, rss) = Coefficients(matrix, exampleFactors, rank, parallel);
        var p = rank + 1;
        var parameters = new double[m * p];
        var include = new bool[m];
        for (var i = 0; i < m; i++)
        {
            parameters[i * p] = taskBias[i];
            taskFactors.AsSpan(i * rank, rank).CopyTo(parameters.AsSpan((i * p) + 1, rank));
            include[i] = true;
        }

        var dof = Math.Max(matrix.ObservedCount - ((long)m * p), 1);
        var fitted = UnmeasuredColumns.Mark(matrix, new FactorModelParameters
        {
            Method = ModelMethod.LowRank,
            TaskIds = matrix.TaskIds,
            ExampleIds = matrix.ExampleIds,
            TaskBiases = taskBias,
            Rank = rank,
            TaskFactors = taskFactors,
            ExampleFactors = exampleFactors,
            NoiseVariance = Math.Max(rss / dof, SingleRounding * SingleRounding * allSquares / matrix.ObservedCount),
            TaskBiasPenalty = Defaults.BiasLambda,
            TaskFactorPenalty = Defaults.BiasLambda,
            TaskPrior = GaussianPrior.Estimate(parameters, p, include),
            Fit = new FitReport(1, true, rss, rss / matrix.ObservedCount),
        });
        var (factors, scales, cross) = ResidualStructure.Directions(matrix, fitted, _o.ResidualRank, 1, _o.MaxThreads, cancellationToken);
        return FactorModel.CreateOwned(scales.Length == 0 ? fitted : fitted with { ResidualRank = scales.Length, ResidualFactors = factors, ResidualScales = scales, ResidualCrossMissing = cross.Missing, ResidualCrossTasks = cross.Tasks, ResidualCrossFactor = cross.Factor });
    }

    /// <summary>
    /// The leading unit principal directions (row-major, r x <paramref name="n"/>) of the centred rows C: at most
    /// <paramref name="maxRank"/> and M - 1, each with an eigenvalue above 1e-10 of the trace. From the task Gram matrix C C^T
    /// (v_k = C^T e_k / sqrt(lambda_k)) when <paramref name="taskSide"/>, else from the example Gram matrix C^T C (v_k its
    /// eigenvectors): the same directions up to sign and rounding, so the fit decomposes the smaller of the two (a tall
    /// matrix of 3,000 tasks had paid O(M^3) for a 3,000 x 3,000 eigenproblem).
    /// </summary>
    internal static double[] PrincipalDirections(double[][] rows, int n, int maxRank, ParallelOptions parallel, bool taskSide)
    {
        var m = rows.Length;
        var size = taskSide ? m : n;
        var gram = new double[(long)size * size];
        if (taskSide)
        {
            Parallel.For(0, m, parallel, a =>
            {
                for (var b = 0; b <= a; b++)
                {
                    gram[(a * m) + b] = gram[(b * m) + a] = TensorPrimitives.Dot<double>(rows[a], rows[b]);
                }
            });
        }
        else
        {
            var columns = new double[n][];
            Parallel.For(0, n, parallel, j =>
            {
                var column = columns[j] = new double[m];
                for (var i = 0; i < m; i++)
                {
                    column[i] = rows[i][j];
                }
            });
            Parallel.For(0, n, parallel, a =>
            {
                for (var b = 0; b <= a; b++)
                {
                    gram[(a * n) + b] = gram[(b * n) + a] = TensorPrimitives.Dot<double>(columns[a], columns[b]);
                }
            });
        }

        parallel.CancellationToken.ThrowIfCancellationRequested();
        var eigen = SymmetricEigen.Decompose(gram, size, computeVectors: true);
        var trace = Math.Max(eigen.Values.Sum(), double.Epsilon);
        var r = 0;
        while (r < Math.Min(maxRank, Math.Min(m - 1, size)) && eigen.Values[r] > 1e-10 * trace)
        {
            r++;
        }

        var directions = new double[(long)r * n];
        var vectors = eigen.Vectors!;
        Parallel.For(0, r, parallel, k =>
        {
            var direction = directions.AsSpan(k * n, n);
            if (taskSide)
            {
                var norm = 1 / Math.Sqrt(eigen.Values[k]);
                for (var i = 0; i < m; i++)
                {
                    TensorPrimitives.MultiplyAdd(rows[i], vectors[(i * m) + k] * norm, direction, direction);
                }
            }
            else
            {
                for (var j = 0; j < n; j++)
                {
                    direction[j] = vectors[(j * n) + k];
                }
            }
        });
        return directions;
    }

    // Each task's least-squares coefficients (a_i; u_i) on the features (1, f_1j..f_rank,j) over its observed cells, and the
    // residual sum of squares.
    private static (double[] Bias, double[] Factors, double Rss) Coefficients(ForgettingMatrix matrix, double[] exampleFactors, int rank, ParallelOptions parallel)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount, p = rank + 1;
        var bias = new double[m];
        var factors = new double[m * rank];
        var rss = new double[m];
        Parallel.For(0, m, parallel, i =>
        {
            var z = matrix.Row(i);
            var a = new double[p * p];
            var b = new double[p];
            var f = new double[p];
            f[0] = 1;
            for (var j = 0; j < n; j++)
            {
                if (float.IsNaN(z[j]))
                {
                    continue;
                }

                for (var k = 0; k < rank; k++)
                {
                    f[k + 1] = exampleFactors[((long)k * n) + j];
                }

                for (var x = 0; x < p; x++)
                {
                    b[x] += f[x] * z[j];
                    for (var y = 0; y <= x; y++)
                    {
                        a[(x * p) + y] += f[x] * f[y];
                    }
                }
            }

            for (var x = 0; x < p; x++)
            {
                a[(x * p) + x] += 1e-9 * (a[(x * p) + x] + 1);
                for (var y = 0; y < x; y++)
                {
                    a[(y * p) + x] = a[(x * p) + y];
                }
            }

            if (Cholesky.Factor(a, p))
            {
                Cholesky.Solve(a, p, b);
            }
            else
            {
                Array.Clear(b);
            }

            bias[i] = b[0];
            b.AsSpan(1).CopyTo(factors.AsSpan(i * rank, rank));
            double sum = 0;
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(z[j]))
                {
                    var e = z[j] - b[0];
                    for (var k = 0; k < rank; k++)
                    {
                        e -= b[k + 1] * exampleFactors[((long)k * n) + j];
                    }

                    sum += e * e;
                }
            }

            rss[i] = sum;
        });

        return (bias, factors, rss.Sum());
    }
}
