using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Evaluation;

/// <summary>
/// Chooses which examples to measure for a new task so that the fold-in predicts the other examples best: greedy
/// V-optimal design over a fitted factor model's example features, with each example's own noise level.
/// </summary>
/// <remarks>
/// <para>For the Gaussian fold-in, the posterior covariance of the new task's parameters after measuring a set K is
/// C = (P + sum_{j in K} x_j x_j^T / s_j^2)^-1 (P the prior precision, x_j = (1, V_j), s_j^2 example j's noise variance).
/// The average predictive variance over all examples is tr(G C) / N with G = sum_l x_l x_l^T. Measuring example j reduces it
/// by x_j^T C G C x_j / (s_j^2 + x_j^T C x_j); each step adds the example with the largest reduction and updates C by
/// Sherman-Morrison.</para>
/// <para>Why not the textbook D-optimal choice (largest x^T C x)? On charlm-b it picks the examples with extreme factors,
/// which are also the noisiest, and 30 such cells predicted worse than 30 random ones; weighting by s_j^2 and targeting
/// the error on the other examples fixes both.</para>
/// <para>The design depends only on the model and the training residuals, not on the values measured, so every method in an
/// evaluation sees the same cells. Cost O(K N (r+1)^2).</para>
/// </remarks>
public static class ActiveReveal
{
    /// <summary>
    /// Chooses <paramref name="count"/> examples among those for which <paramref name="available"/> is true (all when null),
    /// in the order chosen. <paramref name="exampleNoise"/> is each example's noise variance (null: the model's single noise variance).
    /// </summary>
    /// <exception cref="ArgumentException">The model has no task parameters to learn (example-only), or the noise has the wrong length.</exception>
    public static int[] Choose(FactorModel model, int count, Func<int, bool>? available = null, ReadOnlySpan<double> exampleNoise = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var p = (model.HasTaskBias ? 1 : 0) + model.Rank;
        int n = model.ExampleCount;
        if (p == 0)
        {
            throw new ArgumentException("An example-only model learns nothing from measured cells; choose a model with task parameters.", nameof(model));
        }

        if (exampleNoise.Length != 0 && exampleNoise.Length != n)
        {
            throw new ArgumentException("Give one noise variance per example.", nameof(exampleNoise));
        }

        var globalNoise = Math.Max(model.NoiseVariance, 1e-300);
        var covariance = PriorCovariance(model, p, globalNoise);
        var gram = FeatureGram(model, p);
        var zeros = new double[model.Rank];
        var mean = new double[n];
        var variance = new double[n];
        var reduction = new double[n];
        var chosen = new List<int>(count);
        var taken = new bool[n];
        var x = new double[p];
        var cx = new double[p];
        var b = new double[p * p];
        for (var step = 0; step < count; step++)
        {
            // B = C G C: the reduction numerator is x^T B x.
            Multiply(covariance, gram, covariance, b, p);
            RowPrediction.Evaluate(model.ExampleFactors, n, model.Rank, zeros, default, 0, 0, mean, model.HasTaskBias, covariance, variance);
            RowPrediction.Evaluate(model.ExampleFactors, n, model.Rank, zeros, default, 0, 0, mean, model.HasTaskBias, b, reduction);
            var best = -1;
            var bestScore = double.NegativeInfinity;
            for (var j = 0; j < n; j++)
            {
                if (taken[j] || (available is not null && !available(j)))
                {
                    continue;
                }

                var noise = exampleNoise.Length == 0 ? globalNoise : Math.Max(exampleNoise[j], 1e-300);
                var score = reduction[j] / (noise + variance[j]);
                if (score > bestScore)
                {
                    best = j;
                    bestScore = score;
                }
            }

            if (best < 0)
            {
                break;
            }

            chosen.Add(best);
            taken[best] = true;
            Features(model, best, x);
            double quad = 0;
            for (var r = 0; r < p; r++)
            {
                double s = 0;
                for (var c = 0; c < p; c++)
                {
                    s += covariance[(r * p) + c] * x[c];
                }

                cx[r] = s;
                quad += x[r] * s;
            }

            var denominator = (exampleNoise.Length == 0 ? globalNoise : Math.Max(exampleNoise[best], 1e-300)) + quad;
            for (var r = 0; r < p; r++)
            {
                for (var c = 0; c < p; c++)
                {
                    covariance[(r * p) + c] -= cx[r] * cx[c] / denominator;
                }
            }
        }

        return [.. chosen];
    }

    /// <summary>
    /// Each example's noise variance from a fitted model's residuals on its training matrix, shrunk toward the model's overall
    /// noise variance with the weight of five cells (so examples seen by few tasks stay sensible).
    /// </summary>
    /// <exception cref="ArgumentException">The matrix's shape differs from the model's.</exception>
    public static double[] ExampleNoise(IForgettingModel model, ForgettingMatrix training, double overallNoise)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        if (model.TaskCount != training.TaskCount || model.ExampleCount != training.ExampleCount)
        {
            throw new ArgumentException("The training matrix must be the one the model was fitted on.", nameof(training));
        }

        const double Prior = 5;
        int n = training.ExampleCount;
        var squares = new double[n];
        var counts = new double[n];
        var row = new double[n];
        for (var i = 0; i < training.TaskCount; i++)
        {
            model.PredictRow(i, row);
            var z = training.Row(i);
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(z[j]))
                {
                    squares[j] += (z[j] - row[j]) * (z[j] - row[j]);
                    counts[j]++;
                }
            }
        }

        for (var j = 0; j < n; j++)
        {
            squares[j] = (squares[j] + (Prior * overallNoise)) / (counts[j] + Prior);
        }

        return squares;
    }

    private static double[] PriorCovariance(FactorModel model, int p, double noise)
    {
        var covariance = new double[p * p];
        if (model.TaskPrior is { } prior)
        {
            prior.Covariance.CopyTo(covariance);
            return covariance;
        }

        for (var k = 0; k < p; k++)
        {
            var penalty = k == 0 && model.HasTaskBias ? model.TaskBiasPenalty : model.TaskFactorPenalty;
            covariance[(k * p) + k] = noise / Math.Max(penalty, 1e-12);
        }

        return covariance;
    }

    // G = sum over examples of x_j x_j^T.
    private static double[] FeatureGram(FactorModel model, int p)
    {
        var gram = new double[p * p];
        var x = new double[p];
        for (var j = 0; j < model.ExampleCount; j++)
        {
            Features(model, j, x);
            for (var r = 0; r < p; r++)
            {
                for (var c = 0; c < p; c++)
                {
                    gram[(r * p) + c] += x[r] * x[c];
                }
            }
        }

        return gram;
    }

    private static void Features(FactorModel model, int example, Span<double> x)
    {
        var o = 0;
        if (model.HasTaskBias)
        {
            x[o++] = 1;
        }

        for (var k = 0; k < model.Rank; k++)
        {
            x[o++] = model.ExampleFactors[(k * model.ExampleCount) + example];
        }
    }

    // result = a b c for p x p matrices.
    private static void Multiply(double[] a, double[] b, double[] c, double[] result, int p)
    {
        var ab = new double[p * p];
        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j < p; j++)
            {
                double s = 0;
                for (var k = 0; k < p; k++)
                {
                    s += a[(i * p) + k] * b[(k * p) + j];
                }

                ab[(i * p) + j] = s;
            }
        }

        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j < p; j++)
            {
                double s = 0;
                for (var k = 0; k < p; k++)
                {
                    s += ab[(i * p) + k] * c[(k * p) + j];
                }

                result[(i * p) + j] = s;
            }
        }
    }
}
