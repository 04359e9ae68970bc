namespace ForgetPredict.Core.Evaluation;

/// <summary>A difference between two methods' RMSE with a bootstrap confidence interval.</summary>
/// <param name="Other">The method compared against.</param>
/// <param name="Difference">RMSE of this method minus RMSE of <paramref name="Other"/> (negative: this method is better).</param>
/// <param name="Lower">2.5% percentile of the bootstrap distribution.</param>
/// <param name="Upper">97.5% percentile.</param>
public sealed record RmseDifference(string Other, double Difference, double Lower, double Upper);

/// <summary>
/// Paired bootstrap over test rows: resample the test rows with replacement, recompute both methods' pooled RMSE
/// (all seeds) on the resample, and take percentiles of the difference. Rows are the unit of resampling because the
/// cells of one row are not independent.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>The RMSE difference a - b with a percentile 95% interval from <paramref name="resamples"/> seeded resamples.</summary>
    /// <exception cref="ArgumentException">The two results were not scored on the same rows and cells.</exception>
    public static RmseDifference RmseDifference(MethodResult a, MethodResult b, int resamples = 2000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var rowsA = PerRow(a);
        var rowsB = PerRow(b);
        if (!rowsA.Keys.Order().SequenceEqual(rowsB.Keys.Order()) || rowsA.Any(kv => kv.Value.Cells != rowsB[kv.Key].Cells))
        {
            throw new ArgumentException($"'{a.Name}' and '{b.Name}' were not scored on the same cells; score them in one run with a shared scoring mask.", nameof(b));
        }

        var rows = rowsA.Keys.Order().ToArray();
        double Rmse(Dictionary<int, (double Sse, long Cells)> perRow, IEnumerable<int> sample)
        {
            double sse = 0;
            long cells = 0;
            foreach (var r in sample)
            {
                sse += perRow[r].Sse;
                cells += perRow[r].Cells;
            }

            return cells == 0 ? double.NaN : Math.Sqrt(sse / cells);
        }

        var observed = Rmse(rowsA, rows) - Rmse(rowsB, rows);
        var random = new Random(seed);
        var draws = new double[resamples];
        var sampleRows = new int[rows.Length];
        for (var t = 0; t < resamples; t++)
        {
            for (var i = 0; i < rows.Length; i++)
            {
                sampleRows[i] = rows[random.Next(rows.Length)];
            }

            draws[t] = Rmse(rowsA, sampleRows) - Rmse(rowsB, sampleRows);
        }

        Array.Sort(draws);
        return new RmseDifference(b.Name, observed, Percentile(draws, 0.025), Percentile(draws, 0.975));
    }

    private static Dictionary<int, (double Sse, long Cells)> PerRow(MethodResult result)
    {
        var perRow = new Dictionary<int, (double Sse, long Cells)>();
        foreach (var score in result.Rows)
        {
            perRow.TryGetValue(score.Row, out var sums);
            perRow[score.Row] = (sums.Sse + score.SquaredError, sums.Cells + score.Cells);
        }

        return perRow;
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
