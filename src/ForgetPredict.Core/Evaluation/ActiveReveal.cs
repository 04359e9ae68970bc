using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Evaluation;

/// <summary>The design criterion of <see cref="ActiveReveal"/>: what the chosen cells should pin down.</summary>
public enum ActiveCriterion
{
    /// <summary>
    /// V-optimal: the average predictive variance over every example (the error on the rest of the row). Each step adds the
    /// example with the largest reduction x^T C G C x / (s^2 + x^T C x), G = sum_l x_l x_l^T.
    /// </summary>
    VOptimal,

    /// <summary>
    /// D-optimal: the determinant of the posterior precision of the task's parameters. Each step adds the example with the
    /// largest x^T C x / s^2 (the log-determinant grows by log(1 + x^T C x / s^2)).
    /// </summary>
    DOptimal,

    /// <summary>
    /// The posterior variance of the group means the user cares about (the whole row's mean forgetting when no groups are
    /// given): V-optimal with G = sum_g xbar_g xbar_g^T, xbar_g the mean feature vector of group g.
    /// </summary>
    GroupMeans,

    /// <summary>
    /// Sequential and adaptive: the training tasks' predicted rows form a committee, weighted by how well each matches the
    /// values measured so far; each step adds the example whose measurement is expected to shrink the committee's total
    /// disagreement over the row the most (expected variance reduction, the V-optimal idea for a mixture prior). Needs the
    /// value of each chosen cell before the next is chosen.
    /// </summary>
    Neighbours,
}

/// <summary>
/// Chooses which examples to measure for a new task so that the fold-in predicts the other examples best: a greedy design
/// over a fitted factor model's example features, with each example's own noise level (<see cref="ActiveCriterion"/>).
/// </summary>
/// <remarks>
/// <para>For the Gaussian fold-in, the posterior covariance of the new task's parameters after measuring a set K is
/// C = (P + sum_{j in K} x_j x_j^T / s_j^2)^-1 (P the prior precision, x_j = (1, V_j), s_j^2 example j's noise variance).
/// The average predictive variance over all examples is tr(G C) / N with G = sum_l x_l x_l^T. Measuring example j reduces it
/// by x_j^T C G C x_j / (s_j^2 + x_j^T C x_j); each step adds the example with the largest reduction and updates C by
/// Sherman-Morrison.</para>
/// <para>Why not the textbook D-optimal choice (largest x^T C x)? On charlm-b it picks the examples with extreme factors,
/// which are also the noisiest, and its cells predict worse than V-optimal ones; weighting by s_j^2 and targeting
/// the error on the other examples fixes both.</para>
/// <para>The Gaussian designs depend only on the model and the training residuals, not on the values measured, so every
/// method in an evaluation sees the same cells. Cost O(K N (r+1)^2). <see cref="ActiveCriterion.Neighbours"/> depends on the
/// measured values: O(K N M^2) for M training tasks.</para>
/// </remarks>
public static class ActiveReveal
{
    /// <summary>
    /// Chooses <paramref name="count"/> examples among those for which <paramref name="available"/> is true (all when null),
    /// in the order chosen, with a criterion that does not depend on the measured values (V-optimal unless given).
    /// <paramref name="exampleNoise"/> is each example's noise variance (null: the model's single noise variance);
    /// <paramref name="groups"/> are the example groups of <see cref="ActiveCriterion.GroupMeans"/> (null: the whole row).
    /// <paramref name="measured"/> are examples measured already (null: none): the design starts from the posterior they give,
    /// in their order, and never chooses them again, so designing k cells, then k more given the first k, chooses the same
    /// cells as designing 2k at once. A count beyond the examples available chooses every one of them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative, or <paramref name="criterion"/> is not an <see cref="ActiveCriterion"/>.</exception>
    /// <exception cref="ArgumentException">The model has no task parameters to learn (example-only), the noise has the wrong
    /// length, a group is empty or out of range, a measured example is out of range or repeated, or the criterion is
    /// <see cref="ActiveCriterion.Neighbours"/> (use <see cref="ChooseAdaptive"/>).</exception>
    public static int[] Choose(FactorModel model, int count, Func<int, bool>? available = null, ReadOnlySpan<double> exampleNoise = default,
        ActiveCriterion criterion = ActiveCriterion.VOptimal, IReadOnlyList<int[]>? groups = null, IReadOnlyList<int>? measured = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!Enum.IsDefined(criterion))
        {
            throw new ArgumentOutOfRangeException(nameof(criterion), criterion, $"Not an active criterion; use one of {string.Join(", ", Enum.GetNames<ActiveCriterion>())}.");
        }

        var p = CheckModel(model, exampleNoise);
        if (criterion == ActiveCriterion.Neighbours)
        {
            throw new ArgumentException("The neighbours design depends on the measured values; call ChooseAdaptive.", nameof(criterion));
        }

        int n = model.ExampleCount;
        var already = measured ?? [];
        CheckMeasured(already, n, nameof(measured));

        var globalNoise = Math.Max(model.NoiseVariance, 1e-300);
        var covariance = PriorCovariance(model, p, globalNoise);
        var target = criterion switch
        {
            ActiveCriterion.VOptimal => FeatureGram(model, p),
            ActiveCriterion.GroupMeans => GroupGram(model, p, groups ?? [[.. Enumerable.Range(0, n)]]),
            _ => null,
        };
        var zeros = new double[model.Rank];
        var mean = new double[n];
        var variance = new double[n];
        var reduction = new double[n];
        var b = new double[p * p];
        var noiseOf = exampleNoise.ToArray();
        double Noise(int j) => noiseOf.Length == 0 ? globalNoise : Math.Max(noiseOf[j], 1e-300);
        // The cells measured already inform the posterior, in their order, as if the design had chosen them first.
        foreach (var j in already)
        {
            Update(model, covariance, p, j, Noise(j));
        }

        var done = already.Count == 0 ? null : new HashSet<int>(already);
        Func<int, bool>? candidate = done is null ? available : j => !done.Contains(j) && (available is null || available(j));
        return Greedy(n, count, candidate,
            () =>
            {
                RowPrediction.Evaluate(model.ExampleFactors, n, model.Rank, zeros, default, 0, 0, mean, model.HasTaskBias, covariance, variance);
                if (target is not null)
                {
                    // B = C G C: the reduction numerator is x^T B x.
                    Multiply(covariance, target, covariance, b, p);
                    RowPrediction.Evaluate(model.ExampleFactors, n, model.Rank, zeros, default, 0, 0, mean, model.HasTaskBias, b, reduction);
                }
            },
            j => target is null ? variance[j] / Noise(j) : reduction[j] / (Noise(j) + variance[j]),
            best => Update(model, covariance, p, best, Noise(best)));
    }

    /// <summary>Throws unless <paramref name="measured"/> are distinct example indices in 0..<paramref name="exampleCount"/> - 1.</summary>
    /// <param name="measured">Examples measured already.</param>
    /// <param name="exampleCount">N, the examples there are.</param>
    /// <param name="paramName">The argument named in the exception.</param>
    /// <exception cref="ArgumentException">An example is out of range or repeated.</exception>
    public static void CheckMeasured(IReadOnlyList<int> measured, int exampleCount, string paramName)
    {
        ArgumentNullException.ThrowIfNull(measured);
        if (measured.Any(j => (uint)j >= (uint)exampleCount) || measured.Distinct().Count() != measured.Count)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The measured examples must be distinct examples of the matrix (indices 0..{exampleCount - 1})."), paramName);
        }
    }

    /// <summary>
    /// Chooses <paramref name="count"/> examples one at a time with <see cref="ActiveCriterion.Neighbours"/>: each choice uses
    /// only the values of the examples chosen before it, which <paramref name="measure"/> returns when asked (it is called
    /// once per chosen example, in order). The committee is the model's predicted rows of its training tasks.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no training tasks, or the noise has the wrong length.</exception>
    public static int[] ChooseAdaptive(IForgettingModel model, int count, Func<int, double> measure, Func<int, bool>? available = null, ReadOnlySpan<double> exampleNoise = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(measure);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int m = model.TaskCount, n = model.ExampleCount;
        if (m == 0)
        {
            throw new ArgumentException("The neighbours design needs a model with training tasks.", nameof(model));
        }

        if (exampleNoise.Length != 0 && exampleNoise.Length != n)
        {
            throw new ArgumentException("Give one noise variance per example.", nameof(exampleNoise));
        }

        var rows = new double[m][];
        for (var t = 0; t < m; t++)
        {
            rows[t] = new double[n];
            model.PredictRow(t, rows[t]);
        }

        // Total disagreement of the committee under weights w: 1/2 sum_a sum_c w_a w_c |r_a - r_c|^2 (= sum_t w_t |r_t|^2 - w^T K w
        // for weights summing to 1, K the rows' Gram matrix). The squared distances are summed directly, so every term is
        // non-negative: from the Gram matrix the disagreement was a difference of large numbers, and once the measured cells
        // had singled out one member the greedy gains were rounding noise, so the picks changed when the data was scaled by 3.
        var distance = new double[m * m];
        var difference = new double[n];
        for (var a = 0; a < m; a++)
        {
            for (var c = 0; c < a; c++)
            {
                System.Numerics.Tensors.TensorPrimitives.Subtract(rows[a], rows[c], difference);
                distance[(a * m) + c] = distance[(c * m) + a] = System.Numerics.Tensors.TensorPrimitives.Dot<double>(difference, difference);
            }
        }

        var noiseOf = exampleNoise.ToArray();
        var fallback = model is FactorModel factor ? Math.Max(factor.NoiseVariance, 1e-300) : ResidualVariance(rows);
        var logWeights = new double[m];
        var weights = new double[m];
        var posterior = new double[m];
        double current = 0;
        double Noise(int j) => noiseOf.Length == 0 ? fallback : Math.Max(noiseOf[j], 1e-300);
        return Greedy(n, count, available,
            () =>
            {
                Normalise(logWeights, weights);
                current = Disagreement(weights, distance, m);
            },
            j =>
            {
                // A measurement is one committee member's value plus noise; against member t it has variance 2 s^2.
                var s2 = 2 * Noise(j);
                double expected = 0;
                for (var o = 0; o < m; o++)
                {
                    if (weights[o] < 1e-12)
                    {
                        continue;
                    }

                    var y = rows[o][j];
                    for (var t = 0; t < m; t++)
                    {
                        var d = y - rows[t][j];
                        posterior[t] = logWeights[t] - (d * d / (2 * s2));
                    }

                    Normalise(posterior, posterior);
                    expected += weights[o] * Disagreement(posterior, distance, m);
                }

                return current - expected;
            },
            best =>
            {
                var value = measure(best);
                for (var t = 0; t < m; t++)
                {
                    var d = value - rows[t][best];
                    logWeights[t] -= d * d / (2 * Noise(best));
                }
            });
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

    // The greedy design: each step runs prepare, scores every available example not yet chosen, keeps the best (the first on
    // ties) and hands it to take; stops early when nothing is left.
    private static int[] Greedy(int n, int count, Func<int, bool>? available, Action prepare, Func<int, double> score, Action<int> take)
    {
        var chosen = new List<int>(count);
        var taken = new bool[n];
        for (var step = 0; step < count; step++)
        {
            prepare();
            var best = -1;
            var bestScore = double.NegativeInfinity;
            for (var j = 0; j < n; j++)
            {
                if (taken[j] || (available is not null && !available(j)))
                {
                    continue;
                }

                var value = score(j);
                if (value > bestScore)
                {
                    best = j;
                    bestScore = value;
                }
            }

            if (best < 0)
            {
                break;
            }

            chosen.Add(best);
            taken[best] = true;
            take(best);
        }

        return [.. chosen];
    }

    private static int CheckModel(FactorModel model, ReadOnlySpan<double> exampleNoise)
    {
        var p = (model.HasTaskBias ? 1 : 0) + model.Rank;
        if (p == 0)
        {
            throw new ArgumentException("An example-only model learns nothing from measured cells; choose a model with task parameters.", nameof(model));
        }

        if (exampleNoise.Length != 0 && exampleNoise.Length != model.ExampleCount)
        {
            throw new ArgumentException("Give one noise variance per example.", nameof(exampleNoise));
        }

        return p;
    }

    // C -= C x x^T C / (s^2 + x^T C x): the posterior covariance after measuring one more example (Sherman-Morrison).
    private static void Update(FactorModel model, double[] covariance, int p, int example, double noise)
    {
        Span<double> x = stackalloc double[p];
        Span<double> cx = stackalloc double[p];
        Features(model, example, x);
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

        var denominator = noise + quad;
        for (var r = 0; r < p; r++)
        {
            for (var c = 0; c < p; c++)
            {
                covariance[(r * p) + c] -= cx[r] * cx[c] / denominator;
            }
        }
    }

    // G = sum over groups of xbar_g xbar_g^T, xbar_g the group's mean features.
    private static double[] GroupGram(FactorModel model, int p, IReadOnlyList<int[]> groups)
    {
        var gram = new double[p * p];
        var x = new double[p];
        var mean = new double[p];
        foreach (var group in groups)
        {
            if (group is null || group.Length == 0 || group.Any(j => (uint)j >= (uint)model.ExampleCount))
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Each group must list at least one example index in 0..{model.ExampleCount - 1}."), nameof(groups));
            }

            Array.Clear(mean);
            foreach (var j in group)
            {
                Features(model, j, x);
                for (var r = 0; r < p; r++)
                {
                    mean[r] += x[r] / group.Length;
                }
            }

            for (var r = 0; r < p; r++)
            {
                for (var c = 0; c < p; c++)
                {
                    gram[(r * p) + c] += mean[r] * mean[c];
                }
            }
        }

        return gram;
    }

    // exp(log w - max), normalised to sum 1 (destination may be the source).
    private static void Normalise(ReadOnlySpan<double> logWeights, Span<double> weights)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logWeights)
        {
            max = Math.Max(max, l);
        }

        double sum = 0;
        for (var t = 0; t < logWeights.Length; t++)
        {
            weights[t] = Math.Exp(logWeights[t] - max);
            sum += weights[t];
        }

        for (var t = 0; t < weights.Length; t++)
        {
            weights[t] /= sum;
        }
    }

    // 1/2 w^T D w, D the members' squared distances: the committee's summed variance over every example.
    private static double Disagreement(ReadOnlySpan<double> w, double[] distance, int m)
    {
        double total = 0;
        for (var a = 0; a < m; a++)
        {
            if (w[a] == 0)
            {
                continue;
            }

            double s = 0;
            for (var c = 0; c < a; c++)
            {
                s += distance[(a * m) + c] * w[c];
            }

            total += w[a] * s;
        }

        return total;
    }

    // The committee's spread per cell around the mean row, as a noise variance for models without one.
    private static double ResidualVariance(double[][] rows)
    {
        int m = rows.Length, n = rows[0].Length;
        double total = 0;
        for (var j = 0; j < n; j++)
        {
            double s = 0, s2 = 0;
            for (var t = 0; t < m; t++)
            {
                s += rows[t][j];
                s2 += rows[t][j] * rows[t][j];
            }

            total += Math.Max((s2 / m) - (s * s / m / m), 0);
        }

        return Math.Max(total / n, 1e-300);
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
            covariance[(k * p) + k] = noise / model.RidgePenalty(k);
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
