using System.Globalization;
using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Options of <see cref="LogisticFitter"/>.</summary>
public sealed record LogisticOptions : FitOptions
{
    /// <summary>Latent dimension r; 0 gives the additive logistic model sigmoid(mu + a_i + b_j).</summary>
    public int Rank { get; init; } = Defaults.LogisticRank;

    /// <summary>
    /// Include mu + a_i + b_j inside the sigmoid. Off for rank &gt; 0 gives the literal sigmoid(U_i . V_j) of
    /// science.md; rank 0 always has biases.
    /// </summary>
    public bool Biases { get; init; } = Defaults.LogisticBiases;

    /// <summary>
    /// L2 penalty: the precision of a zero-mean Gaussian prior on every bias and factor entry. Null (the default): chosen
    /// inside the fit from <see cref="LogisticFitter.LambdaGrid"/> by the cross-validation that simulates a new task
    /// (<see cref="TaskCrossValidation"/>: training tasks held out, <see cref="CrossValidationOptions.Known"/> of their cells
    /// revealed, the rest scored), as the best predictions of the held-out cells; <see cref="Defaults.LogisticLambda"/> when
    /// the matrix has too few tasks to hold any out.
    /// </summary>
    public double? Lambda { get; init; }

    /// <summary>Maximum alternating Newton sweeps.</summary>
    public int MaxIterations { get; init; } = Defaults.MaxIterations;

    /// <summary>Relative objective change that counts as converged.</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>Seed of the factor initialisation: the same seed and input give a bit-identical model.</summary>
    public int Seed { get; init; } = Defaults.Seed;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Rank, 0, 1024, nameof(Rank));
        if (Lambda is { } lambda)
        {
            NonNegative(lambda, nameof(Lambda));
        }
        InRange(MaxIterations, 1, 100_000, nameof(MaxIterations));
        InUnitInterval(Tolerance, nameof(Tolerance));
    }
}

/// <summary>
/// Fits logistic matrix factorisation to a binary matrix: P(Z[i, j] = 1) = sigmoid(eta[i, j]) with
/// eta = U_i . V_j (rank r), or mu + a_i + b_j (+ U_i . V_j) with biases.
/// </summary>
/// <remarks>
/// <para>Objective: negative Bernoulli log-likelihood over observed cells + (Lambda / 2) |parameters|^2 (biases and factors).
/// mu is fixed at the logit of the observed rate.</para>
/// <para>Solver: alternating Newton (IRLS): each sweep takes one damped Newton step per task on (a_i, U_i) with the example
/// side fixed, then one per example on (b_j, V_j). Each step solves a (r+1) x (r+1) system; a sweep costs
/// O(M N (r+1)^2). Deterministic for any thread count (fixed partitions and summation orders).</para>
/// </remarks>
public sealed class LogisticFitter(LogisticOptions? options = null) : IForgettingFitter
{
    private readonly LogisticOptions _options = FactorFits.Validated(options ?? new LogisticOptions());

    /// <inheritdoc />
    public ModelMethod Method => _options.Rank == 0 ? ModelMethod.LogisticAdditive : ModelMethod.Logistic;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => FitLogistic(matrix, cancellationToken);

    /// <summary>Same as <see cref="Fit"/>, typed.</summary>
    /// <exception cref="ArgumentException">The matrix is empty, every cell is missing, or it is not binary (observed cells other than 0 and 1).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public FactorModel FitLogistic(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        // Empty first: an empty or all-missing matrix is "binary" by no cell, and had been told to be binary.
        FactorFits.CheckFittable(matrix);
        if (!matrix.IsBinary)
        {
            throw new ArgumentException("Logistic models need a binary matrix (every observed cell 0 or 1); use 'mf' or 'additive' for continuous forgetting, or threshold the matrix first.", nameof(matrix));
        }

        if (matrix.TaskCount == 0 || matrix.ExampleCount == 0)
        {
            throw new ArgumentException("Cannot fit an empty matrix.", nameof(matrix));
        }

        // All ones or all zeros (a long table of the flips alone) has nothing to learn, as for every other method.
        DataScale.ThrowIfConstant(matrix);

        // At most the matrix's smaller side of factors, as mf (the default rank 5 on 3 tasks was 5 factors).
        var options = _options.Rank > 0 ? _options with { Rank = FactorFits.SupportedRank(_options.Rank, matrix) } : _options;
        options = options with { Lambda = options.Lambda ?? ChooseLambda(matrix, options, cancellationToken) };
        var biases = options.Biases || options.Rank == 0;
        var engine = new LogisticEngine(matrix, options, biases, cancellationToken);
        var solution = engine.Solve();
        var problem = new AlsProblem
        {
            Rank = options.Rank,
            TaskBias = biases,
            ExampleBias = biases,
            BiasLambda = options.Lambda.Value,
            FactorLambda = options.Lambda.Value,
        };
        return FactorModel.CreateOwned(FactorFits.Parameters(matrix, Method, problem, solution) with { Logistic = true, NoiseVariance = 0 });
    }

    /// <summary>
    /// The penalties a fit without one chooses from (<see cref="LogisticOptions.Lambda"/> null): on charlm-b and charlm-d
    /// thresholded at their 90th percentile, a 40 x 40 matrix and a synthetic binary one (a third of the tasks held out, 10
    /// cells revealed, three splits), the best of them lay anywhere from 0.3 (logistic-additive) to 10 (logistic on the
    /// charlm matrices), and the fixed 10 of earlier releases cost logistic-additive 5-17% Brier RMSE.
    /// </summary>
    public static IReadOnlyList<double> LambdaGrid { get; } = [0.3, 1, 3, 10, 30];

    // The penalty of the grid whose fits predict held-out training tasks best from revealed cells (three folds, one draw of
    // cells each: the fit is cheap, and five penalties cost fifteen fits); the first of equals, so the choice is deterministic.
    private static double ChooseLambda(ForgettingMatrix matrix, LogisticOptions options, CancellationToken cancellationToken)
    {
        if (matrix.TaskCount < TaskCrossValidation.MinimumTasks)
        {
            return Defaults.LogisticLambda;
        }

        var candidates = LambdaGrid.Select(l => new Candidate(l.ToString(CultureInfo.InvariantCulture), new LogisticFitter(options with { Lambda = l }))).ToArray();
        var cv = TaskCrossValidation.Run(matrix, candidates, new CrossValidationOptions { Folds = 3, Draws = 1, Seed = options.Seed, MaxThreads = options.MaxThreads }, cancellationToken);
        if (cv.Truth.Length == 0)
        {
            return Defaults.LogisticLambda;
        }

        var best = 0;
        for (var c = 1; c < candidates.Length; c++)
        {
            if (cv.Rmse(c) < cv.Rmse(best))
            {
                best = c;
            }
        }

        return LambdaGrid[best];
    }
}

/// <summary>Alternating Newton solver for logistic factorisation (see <see cref="LogisticFitter"/>).</summary>
internal sealed class LogisticEngine
{
    private const int Chunk = AlternatingLeastSquares.ColumnChunk;
    private readonly ForgettingMatrix _z;
    private readonly LogisticOptions _o;
    private readonly double _lambda;
    private readonly bool _biases;
    private readonly int _m;
    private readonly int _n;
    private readonly int _r;
    private readonly int _p;
    private readonly double[] _task;    // M x p: (a_i, U_i)
    private readonly double[] _example; // p x N rows: b; V
    private readonly ParallelOptions _parallel;
    private double _mu;

    public LogisticEngine(ForgettingMatrix z, LogisticOptions options, bool biases, CancellationToken cancellationToken = default)
    {
        _z = z;
        _o = options;
        _lambda = options.Lambda ?? throw new ArgumentException("The solver needs the penalty chosen.", nameof(options));
        _biases = biases;
        _m = z.TaskCount;
        _n = z.ExampleCount;
        _r = options.Rank;
        _p = (biases ? 1 : 0) + _r;
        _task = new double[_m * _p];
        _example = new double[checked(_p * _n)];
        _parallel = Parallelism.Options(options.MaxThreads, cancellationToken);
    }

    public AlsSolution Solve()
    {
        double ones = 0;
        for (var i = 0; i < _m; i++)
        {
            ones += TensorPrimitives.Sum(_z.Row(i)) is var s && float.IsNaN(s) ? SumObserved(_z.Row(i)) : s;
        }

        var rate = Math.Clamp(ones / Math.Max(_z.ObservedCount, 1), 1e-6, 1 - 1e-6);
        _mu = _biases ? Math.Log(rate / (1 - rate)) : 0;
        var random = new Random(_o.Seed);
        var f0 = _biases ? 1 : 0;
        for (var k = 0; k < _r; k++)
        {
            for (var j = 0; j < _n; j++)
            {
                _example[((f0 + k) * _n) + j] = 0.1 * AlternatingLeastSquares.Gaussian(random);
            }
        }

        for (var i = 0; i < _m; i++)
        {
            for (var k = 0; k < _r; k++)
            {
                _task[(i * _p) + f0 + k] = 0.1 * AlternatingLeastSquares.Gaussian(random);
            }
        }

        var previous = double.PositiveInfinity;
        double objective = double.NaN, nll = 0;
        var iterations = 0;
        var converged = false;
        while (iterations < _o.MaxIterations)
        {
            _parallel.CancellationToken.ThrowIfCancellationRequested();
            iterations++;
            UpdateTasks();
            nll = UpdateExamples();
            objective = nll + (0.5 * _lambda * (TensorPrimitives.SumOfSquares<double>(_task) + TensorPrimitives.SumOfSquares<double>(_example)));
            if (Math.Abs(previous - objective) <= _o.Tolerance * Math.Max(Math.Abs(objective), 1e-300))
            {
                converged = true;
                break;
            }

            previous = objective;
        }

        var observed = new bool[_m];
        for (var i = 0; i < _m; i++)
        {
            observed[i] = !TensorPrimitives.IsNaNAll(_z.Row(i));
        }

        return new AlsSolution
        {
            GlobalMean = _mu,
            TaskParams = _task,
            ExampleBiases = _biases ? _example.AsSpan(0, _n).ToArray() : [],
            ExampleFactors = _example.AsSpan((_biases ? 1 : 0) * _n, _r * _n).ToArray(),
            Report = new FitReport(iterations, converged, objective, nll / Math.Max(_z.ObservedCount, 1)),
            TaskObserved = observed,
            FactorLambda = _lambda,
            UnmeasuredExamples = UnmeasuredColumns.Of(_z),
        };
    }

    private static double SumObserved(ReadOnlySpan<float> row)
    {
        double s = 0;
        foreach (var v in row)
        {
            if (!float.IsNaN(v))
            {
                s += v;
            }
        }

        return s;
    }

    // eta = offset + sum_k coef_k * rows_k over a chunk; prob = sigmoid(eta); residual = y - prob and weight = prob (1 - prob),
    // both 0 on missing cells; returns the chunk's negative log-likelihood.
    private static double Irls(ReadOnlySpan<float> y, Span<double> eta, Span<double> residual, Span<double> weight)
    {
        double nll = 0;
        for (var j = 0; j < y.Length; j++)
        {
            var label = y[j];
            if (float.IsNaN(label))
            {
                residual[j] = 0;
                weight[j] = 0;
                continue;
            }

            var e = eta[j];
            var prob = LogitNormal.Sigmoid(e);
            residual[j] = label - prob;
            weight[j] = Math.Max(prob * (1 - prob), 1e-10);
            // -log p(y | eta) = log(1 + exp(eta)) - y eta, computed stably.
            nll += (e > 0 ? e + Math.Log(1 + Math.Exp(-e)) : Math.Log(1 + Math.Exp(e))) - (label * e);
        }

        return nll;
    }

    private void UpdateTasks()
    {
        var blocks = (_m + AlternatingLeastSquares.RowBlock - 1) / AlternatingLeastSquares.RowBlock;
        var f0 = _biases ? 1 : 0;
        Parallel.For(0, blocks, _parallel, b =>
        {
            var p = _p;
            var eta = new double[Chunk];
            var residual = new double[Chunk];
            var weight = new double[Chunk];
            var product = new double[Chunk];
            var gradient = new double[p];
            var hessian = new double[p * p];
            for (var i = b * AlternatingLeastSquares.RowBlock; i < Math.Min(_m, (b + 1) * AlternatingLeastSquares.RowBlock); i++)
            {
                var w = _task.AsSpan(i * p, p);
                Array.Clear(gradient);
                Array.Clear(hessian);
                for (var start = 0; start < _n; start += Chunk)
                {
                    var width = Math.Min(Chunk, _n - start);
                    var e = eta.AsSpan(0, width);
                    if (_biases)
                    {
                        // eta = mu + b_j + a_i + U_i . V_j; the example bias row is an offset, a_i's feature is 1.
                        TensorPrimitives.Add(_example.AsSpan(start, width), _mu + w[0], e);
                    }
                    else
                    {
                        e.Fill(_mu);
                    }

                    for (var k = f0; k < p; k++)
                    {
                        TensorPrimitives.MultiplyAdd(_example.AsSpan((k * _n) + start, width), w[k], e, e);
                    }

                    Irls(_z.Row(i).Slice(start, width), e, residual.AsSpan(0, width), weight.AsSpan(0, width));
                    Accumulate(_example, _n, start, width, residual, weight, product, gradient, hessian);
                }

                NewtonStep(w, gradient, hessian);
            }
        });
    }

    // gradient_k += sum_j F_k[j] r_j; hessian_kl += sum_j F_k[j] F_l[j] w_j, with F = rows of `features` (p x stride),
    // except that with biases row 0 stands for the constant feature 1 (its stored values are the other side's biases).
    private void Accumulate(double[] features, int stride, int start, int width, double[] residual, double[] weight, double[] product, double[] gradient, double[] hessian)
    {
        var p = _p;
        var r = residual.AsSpan(0, width);
        var wt = weight.AsSpan(0, width);
        var prod = product.AsSpan(0, width);
        for (var k = 0; k < p; k++)
        {
            var constant = _biases && k == 0;
            var fk = features.AsSpan((k * stride) + start, width);
            gradient[k] += constant ? TensorPrimitives.Sum<double>(r) : TensorPrimitives.Dot<double>(fk, r);
            if (constant)
            {
                wt.CopyTo(prod);
            }
            else
            {
                TensorPrimitives.Multiply(fk, wt, prod);
            }

            for (var l = 0; l <= k; l++)
            {
                var v = _biases && l == 0 ? TensorPrimitives.Sum<double>(prod) : TensorPrimitives.Dot<double>(prod, features.AsSpan((l * stride) + start, width));
                hessian[(k * p) + l] += v;
                if (l != k)
                {
                    hessian[(l * p) + k] += v;
                }
            }
        }
    }

    // One Newton step on w for the penalised log-likelihood, halved while it would overshoot wildly.
    private void NewtonStep(Span<double> w, double[] gradient, double[] hessian)
    {
        var p = _p;
        for (var k = 0; k < p; k++)
        {
            gradient[k] -= _lambda * w[k];
            hessian[(k * p) + k] += _lambda + 1e-9;
        }

        if (!Cholesky.Factor(hessian, p))
        {
            return;
        }

        Cholesky.Solve(hessian, p, gradient);
        var largest = 0d;
        for (var k = 0; k < p; k++)
        {
            largest = Math.Max(largest, Math.Abs(gradient[k]));
        }

        var damping = largest > 5 ? 5 / largest : 1;
        for (var k = 0; k < p; k++)
        {
            w[k] += damping * gradient[k];
        }
    }

    private double UpdateExamples()
    {
        var chunks = (_n + Chunk - 1) / Chunk;
        var nll = new double[chunks];
        // Task features as rows (p x M) so the column update reuses the same accumulation kernel.
        var taskRows = new double[_p * _m];
        for (var i = 0; i < _m; i++)
        {
            for (var k = 0; k < _p; k++)
            {
                taskRows[(k * _m) + i] = _task[(i * _p) + k];
            }
        }

        Parallel.For(0, chunks, _parallel, c =>
        {
            var p = _p;
            var start = c * Chunk;
            var width = Math.Min(Chunk, _n - start);
            var column = new float[_m];
            var eta = new double[_m];
            var residual = new double[_m];
            var weight = new double[_m];
            var product = new double[_m];
            var gradient = new double[p];
            var hessian = new double[p * p];
            var x = new double[p];
            double total = 0;
            for (var j = start; j < start + width; j++)
            {
                for (var i = 0; i < _m; i++)
                {
                    column[i] = _z[i, j];
                }

                for (var k = 0; k < p; k++)
                {
                    x[k] = _example[(k * _n) + j];
                }

                if (_biases)
                {
                    TensorPrimitives.Add(taskRows.AsSpan(0, _m), _mu + x[0], eta);
                }
                else
                {
                    eta.AsSpan().Fill(_mu);
                }

                for (var k = _biases ? 1 : 0; k < p; k++)
                {
                    TensorPrimitives.MultiplyAdd(taskRows.AsSpan(k * _m, _m), x[k], eta, eta);
                }

                total += Irls(column, eta, residual, weight);
                Array.Clear(gradient);
                Array.Clear(hessian);
                Accumulate(taskRows, _m, 0, _m, residual, weight, product, gradient, hessian);
                NewtonStep(x, gradient, hessian);
                for (var k = 0; k < p; k++)
                {
                    _example[(k * _n) + j] = x[k];
                }
            }

            nll[c] = total;
        });
        double sum = 0;
        foreach (var v in nll)
        {
            sum += v;
        }

        return sum;
    }
}
