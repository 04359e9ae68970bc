using System.Numerics.Tensors;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Evaluation;

/// <summary>
/// The representation-based baseline, mirroring the learned LM-based predictors (science.md, section 4): forgetting as a
/// per-example prior plus a bilinear function of the task's and the example's representations,
/// <c>Zhat[T, j] = prior_j + x_T^T W e_j</c>. The prior is the example's mean over the training tasks; e_j are the leading
/// principal components of the example features; W is a ridge regression, its strength chosen by leave-one-out
/// cross-validation over the training tasks. Measured cells of the new task are not used (the LM predictors do not use them).
/// </summary>
/// <param name="taskFeatures">Features of every task of the evaluated matrix (looked up by id).</param>
/// <param name="exampleFeatures">Features of the matrix's examples (aligned by id).</param>
/// <param name="components">Principal components of the example features kept (default 32).</param>
public sealed class RepresentationMethod(FeatureSet taskFeatures, FeatureSet exampleFeatures, int components = 32) : IEvaluationMethod
{
    private static readonly double[] s_lambdas = [1e-3, 1e-2, 1e-1, 1, 10, 100];

    /// <inheritdoc />
    public string Name => "representation";

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        cancellationToken.ThrowIfCancellationRequested();
        int m = train.TaskCount, n = train.ExampleCount;
        var examples = ExampleBasis(exampleFeatures.AlignTo(train.ExampleIds), n, components);
        var q = examples.Length / n;

        // Per-example prior and each training task's residual coefficients on the example basis (ridge across examples).
        var prior = new double[n];
        var residual = new double[m * n];
        for (var j = 0; j < n; j++)
        {
            double s = 0;
            var count = 0;
            for (var i = 0; i < m; i++)
            {
                var v = train[i, j];
                if (!float.IsNaN(v))
                {
                    s += v;
                    count++;
                }
            }

            prior[j] = count > 0 ? s / count : 0;
            for (var i = 0; i < m; i++)
            {
                var v = train[i, j];
                residual[(i * n) + j] = float.IsNaN(v) ? 0 : v - prior[j];
            }
        }

        var gram = new double[q * q];
        for (var a = 0; a < q; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                gram[(a * q) + b] = gram[(b * q) + a] = TensorPrimitives.Dot<double>(examples.AsSpan(a * n, n), examples.AsSpan(b * n, n));
            }
        }

        var solve = (double[])gram.Clone();
        var ridge = 1e-6 * Enumerable.Range(0, q).Sum(a => gram[(a * q) + a]) / Math.Max(q, 1);
        for (var a = 0; a < q; a++)
        {
            solve[(a * q) + a] += ridge;
        }

        Cholesky.Factor(solve, q);
        var coefficients = new double[m * q];
        for (var i = 0; i < m; i++)
        {
            var c = coefficients.AsSpan(i * q, q);
            for (var a = 0; a < q; a++)
            {
                c[a] = TensorPrimitives.Dot<double>(examples.AsSpan(a * n, n), residual.AsSpan(i * n, n));
            }

            Cholesky.Solve(solve, q, c);
        }

        // Task side: linear-kernel ridge from the task representation to the coefficients, strength by leave-one-out error in cells.
        var tasks = taskFeatures.AlignTo(train.TaskIds);
        var encodedTasks = Encode(tasks, out var views);
        var width = encodedTasks.Length / m;
        var blocks = Informative(views);
        var kernel = new double[m * m];
        for (var i = 0; i < m; i++)
        {
            for (var k = 0; k <= i; k++)
            {
                kernel[(i * m) + k] = kernel[(k * m) + i] = (TensorPrimitives.Dot<double>(encodedTasks.AsSpan(i * width, width), encodedTasks.AsSpan(k * width, width)) / blocks) + 1;
            }
        }

        double[]? bestAlpha = null;
        var bestError = double.PositiveInfinity;
        var h = new double[m * m];
        foreach (var lambda in s_lambdas)
        {
            kernel.CopyTo(h, 0);
            for (var i = 0; i < m; i++)
            {
                h[(i * m) + i] += lambda;
            }

            if (!Cholesky.Factor(h, m))
            {
                continue;
            }

            Cholesky.Invert(h, m);
            var alpha = new double[m * q];
            double error = 0;
            var loo = new double[q];
            for (var i = 0; i < m; i++)
            {
                for (var a = 0; a < q; a++)
                {
                    double s = 0;
                    for (var k = 0; k < m; k++)
                    {
                        s += h[(i * m) + k] * coefficients[(k * q) + a];
                    }

                    alpha[(i * q) + a] = s;
                    loo[a] = s / h[(i * m) + i];
                }

                for (var a = 0; a < q; a++)
                {
                    for (var b = 0; b < q; b++)
                    {
                        error += loo[a] * gram[(a * q) + b] * loo[b];
                    }
                }
            }

            if (error < bestError)
            {
                bestError = error;
                bestAlpha = alpha;
            }
        }

        return new Predictor(prior, examples, q, encodedTasks, width, bestAlpha ?? new double[m * q], views, taskFeatures);
    }

    // The blocks that count in the kernel's average: those with a column that varies over the training tasks (at least 1).
    private static int Informative(FeatureView[] views) => Math.Max(views.Count(v => v.EncodedWidth > 0), 1);

    // Every block encoded as given (standardised) and concatenated: entities x total width.
    private static double[] Encode(FeatureSet set, out FeatureView[] views)
    {
        views = FeatureView.AsGiven(set.Blocks);
        var width = views.Sum(v => v.EncodedWidth);
        var result = new double[set.Count * width];
        var scales = FeatureView.BalancedScales(views);
        for (var i = 0; i < set.Count; i++)
        {
            FeatureView.EncodeConcatenated(views, set.Blocks, i, scales, result.AsSpan(i * width, width));
        }

        return result;
    }

    // The leading principal components of the encoded example features (every block as given, each weighing the same, not
    // centred), as q rows of length n (component scores); the examples are read in chunks, never all encoded at once.
    private static double[] ExampleBasis(FeatureSet examples, int n, int components)
    {
        var views = FeatureView.AsGiven(examples.Blocks);
        var width = views.Sum(v => v.EncodedWidth);
        var rows = new ChunkedRows(views, examples.Blocks, n);
        var (gram, _) = rows.CentredGram(new double[width], [], [], 0);
        var eigen = SymmetricEigen.Decompose(gram, width, computeVectors: true);
        return rows.Scores(eigen.Vectors!, Math.Min(components, width), mean: null);
    }

    private sealed class Predictor(double[] prior, double[] examples, int q, double[] trainTasks, int width, double[] alpha, FeatureView[] views, FeatureSet features) : ITaskAwarePredictor
    {
        private readonly double[] _scales = FeatureView.BalancedScales(views);

        public double[] PredictRow(int[] known, double[] values) => (double[])prior.Clone();

        public double[] PredictRow(string taskId, int[] known, double[] values)
        {
            var row = features.Ids.IndexOf(taskId);
            if (row < 0)
            {
                throw new ArgumentException($"Task '{taskId}' has no row in the task features; add one.", nameof(taskId));
            }

            var x = new double[width];
            FeatureView.EncodeConcatenated(views, features.Blocks, row, _scales, x);

            var m = alpha.Length / Math.Max(q, 1);
            var blocks = Informative(views);
            var c = new double[q];
            for (var i = 0; i < m; i++)
            {
                var k = (TensorPrimitives.Dot<double>(x, trainTasks.AsSpan(i * width, width)) / blocks) + 1;
                TensorPrimitives.MultiplyAdd<double>(alpha.AsSpan(i * q, q), k, c, c);
            }

            var n = prior.Length;
            var result = (double[])prior.Clone();
            for (var a = 0; a < q; a++)
            {
                TensorPrimitives.MultiplyAdd<double>(examples.AsSpan(a * n, n), c[a], result, result);
            }

            return result;
        }
    }
}
