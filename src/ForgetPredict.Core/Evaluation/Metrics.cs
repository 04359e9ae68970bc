namespace ForgetPredict.Core.Evaluation;

/// <summary>
/// Scoring functions of the evaluation protocol (science.md §4). Inputs are paired arrays of truth and prediction
/// over the cells being scored; NaN truths are skipped.
/// </summary>
public static class Metrics
{
    /// <summary>Root mean squared error.</summary>
    public static double Rmse(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted)
    {
        var (sum, count) = Accumulate(truth, predicted, static d => d * d);
        return count == 0 ? double.NaN : Math.Sqrt(sum / count);
    }

    /// <summary>Mean absolute error.</summary>
    public static double Mae(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted)
    {
        var (sum, count) = Accumulate(truth, predicted, Math.Abs);
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>Spearman rank correlation (ties get average ranks); NaN with fewer than two cells or a constant side.</summary>
    public static double Spearman(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted)
    {
        var (t, p) = Observed(truth, predicted);
        if (t.Length < 2)
        {
            return double.NaN;
        }

        return Pearson(Ranks(t), Ranks(p));
    }

    /// <summary>Pearson correlation; NaN when a side is constant.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        SameLength(x, y, nameof(y));
        double mx = 0, my = 0;
        for (var i = 0; i < x.Length; i++)
        {
            mx += x[i];
            my += y[i];
        }

        mx /= x.Length;
        my /= y.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    /// <summary>
    /// Precision@K of the truly most-forgotten cells: the fraction of the K highest predictions that are among the K
    /// highest truths. Ties count the same whatever the cells' order: a cell is among the K highest truths when its truth is
    /// at least the K-th largest (every cell tied with it counts), and cells whose prediction ties with the K-th largest
    /// share the picks left over equally (the expected hits of breaking that tie at random). Without ties, the plain
    /// definition. With <paramref name="labels"/> the truths are 0/1 labels (1 = forgotten) and a pick is a hit when it
    /// is forgotten: a row with fewer than K forgotten cells cannot score 1 (the K-th largest truth there is 0, which
    /// every cell would reach).
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static double PrecisionAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k, bool labels)
    {
        var (hits, _, count) = TopK(truth, predicted, k, labels);
        return count <= 0 ? double.NaN : hits / count;
    }

    /// <summary>
    /// Recall@K: the fraction of the truly most-forgotten cells (those <see cref="PrecisionAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/> counts as hits: at least
    /// the K-th largest truth, or with <paramref name="labels"/> the forgotten ones) that are among the K highest
    /// predictions, ties counted as there. Without ties in the truth it equals precision@K; with labels it is the share of
    /// the forgotten cells found, NaN when none is forgotten.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static double RecallAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k, bool labels)
    {
        var (hits, relevant, count) = TopK(truth, predicted, k, labels);
        return count <= 0 || relevant == 0 ? double.NaN : hits / relevant;
    }

    // The (expected) hits among the K highest predictions of the observed cells, how many cells count as hits, and K (at most
    // the observed cells; 0 or less: nothing to score).
    private static (double Hits, int Relevant, int K) TopK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k, bool labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var (t, p) = Observed(truth, predicted);
        k = Math.Min(k, t.Length);
        if (k <= 0)
        {
            return (0, 0, k);
        }

        var cut = TruthCut(t, k, labels);
        return (TopKHits(t, cut, p, KthLargest(p, k), k), Relevant(t, cut), k);
    }

    /// <summary><see cref="PrecisionAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/> of continuous truths (no labels).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static double PrecisionAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k) => PrecisionAtK(truth, predicted, k, labels: false);

    /// <summary><see cref="RecallAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/> of continuous truths (no labels).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static double RecallAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k) => RecallAtK(truth, predicted, k, labels: false);

    /// <summary>The truth a hit must reach: the K-th largest, or for 0/1 labels 0.5 (a forgotten cell).</summary>
    internal static double TruthCut(ReadOnlySpan<double> truth, int k, bool labels) => labels ? 0.5 : KthLargest(truth, k);

    /// <summary>How many cells reach <paramref name="truthCut"/>: the denominator of recall@K.</summary>
    internal static int Relevant(ReadOnlySpan<double> truth, double truthCut)
    {
        var count = 0;
        foreach (var v in truth)
        {
            count += v >= truthCut ? 1 : 0;
        }

        return count;
    }

    /// <summary>The <paramref name="k"/>-th largest value (1 &lt;= k &lt;= length).</summary>
    internal static double KthLargest(ReadOnlySpan<double> values, int k)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length - k];
    }

    /// <summary>
    /// The (expected) hits of <see cref="PrecisionAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/>: over the cells predicted above <paramref name="predictedCut"/> (the K-th
    /// largest prediction), those whose truth is at least <paramref name="truthCut"/> (the K-th largest truth), plus, over the
    /// cells predicted exactly at the cut, that count times their equal share of the picks left.
    /// </summary>
    internal static double TopKHits(ReadOnlySpan<double> truth, double truthCut, ReadOnlySpan<double> predicted, double predictedCut, int k)
    {
        int above = 0, tied = 0;
        double hitsAbove = 0, hitsTied = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            var hit = truth[i] >= truthCut ? 1 : 0;
            if (predicted[i] > predictedCut)
            {
                above++;
                hitsAbove += hit;
            }
            else if (predicted[i] == predictedCut)
            {
                tied++;
                hitsTied += hit;
            }
        }

        return hitsAbove + (tied == 0 ? 0 : hitsTied * Math.Max(k - above, 0) / tied);
    }

    /// <summary>Area under the ROC curve of scores against binary labels (1 = forgotten); ties count half. NaN without both classes.</summary>
    public static double RocAuc(ReadOnlySpan<double> labels, ReadOnlySpan<double> scores) => RocAuc(labels, scores, mergeNearTies: false);

    /// <summary><see cref="RocAuc(ReadOnlySpan{double}, ReadOnlySpan{double})"/>, with <paramref name="mergeNearTies"/> of the
    /// scores <see cref="MergeNearTies"/> would make equal.</summary>
    internal static double RocAuc(ReadOnlySpan<double> labels, ReadOnlySpan<double> scores, bool mergeNearTies)
    {
        var (l, s) = Observed(labels, scores);
        var ranks = RanksAndTop(s, 0, mergeNearTies).Ranks;
        double positives = 0, rankSum = 0;
        for (var i = 0; i < l.Length; i++)
        {
            if (l[i] > 0.5)
            {
                positives++;
                rankSum += ranks[i];
            }
        }

        var negatives = l.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Precision, recall and F1 of "forgotten" (label 1) when a cell is predicted forgotten if its score exceeds <paramref name="threshold"/>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static (double Precision, double Recall, double F1) Classification(ReadOnlySpan<double> labels, ReadOnlySpan<double> scores, double threshold)
    {
        SameLength(labels, scores, nameof(scores));
        double tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            if (double.IsNaN(labels[i]))
            {
                continue;
            }

            var actual = labels[i] > 0.5;
            var predicted = scores[i] > threshold;
            tp += actual && predicted ? 1 : 0;
            fp += !actual && predicted ? 1 : 0;
            fn += actual && !predicted ? 1 : 0;
        }

        var precision = tp + fp == 0 ? 0 : tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : tp / (tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return (precision, recall, f1);
    }

    /// <summary>
    /// A copy of <paramref name="values"/> in which values within a hair of each other (2^-40 of the largest magnitude, about
    /// 1e-12 relative: a few thousand units in the last place) are made equal, each to the smallest of its run in sorted
    /// order: predictions that are equal in exact arithmetic but differ in their last bits (an additive row's examples with
    /// the same column sum) then tie in ranks and at the top-K cut instead of being ordered by rounding noise. Values farther
    /// apart, and float32 values (whose spacing is 6e-8 relative), are left as they are; NaN stays NaN.
    /// </summary>
    public static double[] MergeNearTies(ReadOnlySpan<double> values)
    {
        var (keys, order) = Sorted(values, mergeNearTies: true);
        var merged = new double[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            merged[order[i]] = keys[i];
        }

        return merged;
    }

    // The values sorted ascending (NaN first) with their indices; with mergeNearTies, each run of sorted values within 2^-40 of
    // the largest magnitude of the next is made its smallest value (MergeNearTies), in the sorted keys themselves.
    private static (double[] Keys, int[] Order) Sorted(ReadOnlySpan<double> values, bool mergeNearTies)
    {
        var keys = values.ToArray();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // A primitive key sort; the order within ties does not matter for ranks because tied values share one average rank.
        Array.Sort(keys, order);
        if (!mergeNearTies)
        {
            return (keys, order);
        }

        double largest = 0;
        foreach (var v in keys)
        {
            largest = double.IsFinite(v) ? Math.Max(largest, Math.Abs(v)) : largest;
        }

        var tolerance = Math.ScaleB(largest, -40);
        var first = 0;
        while (first < keys.Length && double.IsNaN(keys[first]))
        {
            first++;
        }

        // Each key is compared with its predecessor as sorted (before it was merged), so a run is a chain of close values.
        for (var i = keys.Length - 1; tolerance > 0 && i > first; i--)
        {
            if (keys[i] - keys[i - 1] <= tolerance)
            {
                keys[i] = double.NaN;   // marked; filled below with the run's smallest
            }
        }

        for (var i = first + 1; tolerance > 0 && i < keys.Length; i++)
        {
            if (double.IsNaN(keys[i]))
            {
                keys[i] = keys[i - 1];
            }
        }

        return (keys, order);
    }

    /// <summary>Average ranks (1-based; ties share the mean of their ranks).</summary>
    public static double[] Ranks(ReadOnlySpan<double> values) => RanksAndTop(values, 0).Ranks;

    /// <summary>
    /// Average ranks and the set of the <paramref name="k"/> largest values' indices (ties at the boundary broken by lower
    /// index, as <see cref="TopIndices"/>), from one sort.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static (double[] Ranks, int[] Top) RanksAndTop(ReadOnlySpan<double> values, int k)
    {
        var (ranks, top, _) = RanksAndTop(values, k, mergeNearTies: false);
        return (ranks, top);
    }

    /// <summary>
    /// <see cref="RanksAndTop(ReadOnlySpan{double}, int)"/>, with <paramref name="mergeNearTies"/> of values
    /// <see cref="MergeNearTies"/> would make equal (from the same sort), and then the values as ranked (empty without merging).
    /// </summary>
    internal static (double[] Ranks, int[] Top, double[] Ranked) RanksAndTop(ReadOnlySpan<double> values, int k, bool mergeNearTies)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var (keys, order) = Sorted(values, mergeNearTies);
        var ranked = mergeNearTies ? new double[keys.Length] : [];
        for (var i = 0; i < ranked.Length; i++)
        {
            ranked[order[i]] = keys[i];
        }

        var ranks = new double[keys.Length];
        var start = 0;
        while (start < keys.Length)
        {
            var end = start;
            while (end + 1 < keys.Length && keys[end + 1] == keys[start])
            {
                end++;
            }

            var rank = ((start + end) / 2.0) + 1;
            for (var t = start; t <= end; t++)
            {
                ranks[order[t]] = rank;
            }

            start = end + 1;
        }

        k = Math.Clamp(k, 0, keys.Length);
        if (k == 0)
        {
            return (ranks, [], ranked);
        }

        // Everything above the k-th largest value, then the lowest indices among those equal to it.
        var cut = keys[keys.Length - k];
        var firstAbove = keys.Length - k;
        while (firstAbove < keys.Length && keys[firstAbove] == cut)
        {
            firstAbove++;
        }

        var firstTie = keys.Length - k;
        while (firstTie > 0 && keys[firstTie - 1] == cut)
        {
            firstTie--;
        }

        var ties = order[firstTie..firstAbove];
        Array.Sort(ties);
        var top = new int[k];
        var above = keys.Length - firstAbove;
        Array.Copy(order, firstAbove, top, 0, above);
        Array.Copy(ties, 0, top, above, k - above);
        return (ranks, top, ranked);
    }

    /// <summary>Indices of the k largest values (all of them when there are fewer), largest first; ties broken by lower index.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public static int[] TopIndices(ReadOnlySpan<double> values, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, values.Length);
        if (k == 0)
        {
            return [];
        }

        // The k-th largest value decides membership: everything above it, then the lowest indices equal to it.
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var cut = sorted[sorted.Length - k];
        var above = 0;
        for (var i = 0; i < values.Length; i++)
        {
            above += values[i] > cut ? 1 : 0;
        }

        var chosen = new List<int>(k);
        var ties = k - above;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] > cut || (values[i] == cut && ties-- > 0))
            {
                chosen.Add(i);
            }
        }

        var top = chosen.ToArray();
        var keys = new double[top.Length];
        for (var t = 0; t < top.Length; t++)
        {
            keys[t] = -values[top[t]];
        }

        Array.Sort(keys, top);
        // Restore index order within equal values (Array.Sort is not stable).
        for (var a = 0; a < top.Length;)
        {
            var b = a;
            while (b + 1 < top.Length && keys[b + 1] == keys[a])
            {
                b++;
            }

            Array.Sort(top, a, b - a + 1);
            a = b + 1;
        }

        return top;
    }

    private static void SameLength(ReadOnlySpan<double> a, ReadOnlySpan<double> b, string paramName)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The spans must have the same length; they have {a.Length} and {b.Length}."), paramName);
        }
    }

    private static (double[] Truth, double[] Predicted) Observed(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted)
    {
        if (truth.Length != predicted.Length)
        {
            throw new ArgumentException("Truth and predictions must have the same length.", nameof(predicted));
        }

        var t = new List<double>(truth.Length);
        var p = new List<double>(truth.Length);
        for (var i = 0; i < truth.Length; i++)
        {
            if (!double.IsNaN(truth[i]))
            {
                t.Add(truth[i]);
                p.Add(predicted[i]);
            }
        }

        return ([.. t], [.. p]);
    }

    private static (double Sum, long Count) Accumulate(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, Func<double, double> f)
    {
        if (truth.Length != predicted.Length)
        {
            throw new ArgumentException("Truth and predictions must have the same length.", nameof(predicted));
        }

        double sum = 0;
        long count = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            if (!double.IsNaN(truth[i]))
            {
                sum += f(predicted[i] - truth[i]);
                count++;
            }
        }

        return (sum, count);
    }
}
