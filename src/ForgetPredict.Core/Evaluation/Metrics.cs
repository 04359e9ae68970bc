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
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
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
    /// highest truths. With K cells on both sides, precision@K equals recall@K. Ties in the truth are broken by
    /// index, so the result is deterministic.
    /// </summary>
    public static double PrecisionAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k)
    {
        var (t, p) = Observed(truth, predicted);
        k = Math.Min(k, t.Length);
        if (k <= 0)
        {
            return double.NaN;
        }

        var topTruth = new HashSet<int>(TopIndices(t, k));
        var hits = TopIndices(p, k).Count(topTruth.Contains);
        return (double)hits / k;
    }

    /// <summary>Recall@K: the fraction of the K truly most-forgotten cells that are among the K highest predictions (equal to precision@K).</summary>
    public static double RecallAtK(ReadOnlySpan<double> truth, ReadOnlySpan<double> predicted, int k) => PrecisionAtK(truth, predicted, k);

    /// <summary>Area under the ROC curve of scores against binary labels (1 = forgotten); ties count half. NaN without both classes.</summary>
    public static double RocAuc(ReadOnlySpan<double> labels, ReadOnlySpan<double> scores)
    {
        var (l, s) = Observed(labels, scores);
        var ranks = Ranks(s);
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
    public static (double Precision, double Recall, double F1) Classification(ReadOnlySpan<double> labels, ReadOnlySpan<double> scores, double threshold)
    {
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

    /// <summary>Average ranks (1-based; ties share the mean of their ranks).</summary>
    public static double[] Ranks(ReadOnlySpan<double> values)
    {
        var order = new int[values.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var copy = values.ToArray();
        Array.Sort(order, (a, b) => copy[a].CompareTo(copy[b]) is var c && c != 0 ? c : a.CompareTo(b));
        var ranks = new double[values.Length];
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            while (end + 1 < order.Length && copy[order[end + 1]] == copy[order[start]])
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

        return ranks;
    }

    /// <summary>Indices of the k largest values, largest first; ties broken by lower index.</summary>
    public static int[] TopIndices(ReadOnlySpan<double> values, int k)
    {
        var copy = values.ToArray();
        var order = Enumerable.Range(0, copy.Length).ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order[..Math.Min(k, order.Length)];
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
