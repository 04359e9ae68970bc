using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Analysis;

/// <summary>
/// A small picture of a training matrix for heatmaps: tasks sorted by a key, examples sorted by a key and averaged into at
/// most a few hundred column bins. A new task's predicted row can be binned the same way and shown beside it.
/// </summary>
/// <remarks>Immutable. Keys are usually the leading factor of a fitted model (tasks by U[:, 0], examples by V[0, :]), so the
/// heatmap shows the dominant "disruptive task x fragile example" structure as a smooth gradient.</remarks>
public sealed class MatrixSummary
{
    private readonly float[] _values;

    private MatrixSummary(int[] taskOrder, int[] binOf, int binCount, float[] values, IdList taskIds)
    {
        TaskOrder = taskOrder;
        BinOf = binOf;
        BinCount = binCount;
        _values = values;
        TaskIds = taskIds;
    }

    /// <summary>Task indices in display order (top row first).</summary>
    public IReadOnlyList<int> TaskOrder { get; }

    /// <summary>The column bin of every example (0 = left).</summary>
    public IReadOnlyList<int> BinOf { get; }

    /// <summary>Number of column bins.</summary>
    public int BinCount { get; }

    /// <summary>Task ids (in matrix order).</summary>
    public IdList TaskIds { get; }

    /// <summary>Mean of the observed cells of display row r (a task) and bin c; NaN where no cell is observed.</summary>
    public float this[int row, int bin] => _values[(row * BinCount) + bin];

    /// <summary>All binned values, display rows by bins, row-major.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Bins a full predicted row (length N) the same way: the mean of each bin's examples.</summary>
    /// <exception cref="ArgumentException">The row's length is not the summary's example count.</exception>
    public double[] BinRow(ReadOnlySpan<double> row)
    {
        if (row.Length != BinOf.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row has {row.Length} values; the summary has {BinOf.Count} examples."), nameof(row));
        }

        var sums = new double[BinCount];
        var counts = new int[BinCount];
        for (var j = 0; j < row.Length; j++)
        {
            sums[BinOf[j]] += row[j];
            counts[BinOf[j]]++;
        }

        for (var c = 0; c < BinCount; c++)
        {
            sums[c] = counts[c] == 0 ? double.NaN : sums[c] / counts[c];
        }

        return sums;
    }

    /// <summary>Summarises <paramref name="matrix"/> with tasks sorted by descending <paramref name="taskKey"/> and examples by descending <paramref name="exampleKey"/>.</summary>
    /// <exception cref="ArgumentException">A key's length does not match the matrix.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBins"/> is below 1.</exception>
    public static MatrixSummary Create(ForgettingMatrix matrix, ReadOnlySpan<double> taskKey, ReadOnlySpan<double> exampleKey, int maxBins = 240)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBins, 1);
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        if (taskKey.Length != m || exampleKey.Length != n)
        {
            throw new ArgumentException("Keys must have one value per task and per example.", nameof(taskKey));
        }

        var taskOrder = Descending(taskKey);
        var exampleOrder = Descending(exampleKey);
        var bins = Math.Max(1, Math.Min(maxBins, n));
        var binOf = new int[n];
        for (var position = 0; position < n; position++)
        {
            binOf[exampleOrder[position]] = (int)((long)position * bins / n);
        }

        var values = new float[m * bins];
        // Rows are independent (each writes its own slice of values): parallel, with the same bits for any thread count.
        Parallel.For(0, m, () => (Sums: new double[bins], Counts: new int[bins]), (r, _, scratch) =>
        {
            var (sums, counts) = scratch;
            Array.Clear(sums);
            Array.Clear(counts);
            var row = matrix.Row(taskOrder[r]);
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    sums[binOf[j]] += row[j];
                    counts[binOf[j]]++;
                }
            }

            for (var c = 0; c < bins; c++)
            {
                values[(r * bins) + c] = counts[c] == 0 ? float.NaN : (float)(sums[c] / counts[c]);
            }

            return scratch;
        }, _ => { });

        return new MatrixSummary(taskOrder, binOf, bins, values, matrix.TaskIds);
    }

    /// <summary>
    /// Summarises the training matrix of a fitted model, ordered by its leading structure: the task and example biases
    /// (disruptiveness and fragility) of biased models, the u and v of the uncentred rank-1 model, the row and column means
    /// otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The matrix's shape differs from the model's.</exception>
    public static MatrixSummary ForModel(ForgettingMatrix matrix, IForgettingModel model, int maxBins = 240)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(model);
        if (matrix.TaskCount != model.TaskCount || matrix.ExampleCount != model.ExampleCount)
        {
            throw new ArgumentException("The matrix must be the one the model was fitted on.", nameof(matrix));
        }

        var factor = model as FactorModel ?? (model as KnnModel)?.Baseline;
        double[] taskKey, exampleKey;
        if (factor is { HasTaskBias: true, HasExampleBias: true } biased)
        {
            taskKey = biased.TaskBiases.ToArray();
            exampleKey = biased.ExampleBiases.ToArray();
        }
        else if (factor is { Rank: > 0 } f)
        {
            taskKey = Enumerable.Range(0, f.TaskCount).Select(i => f.TaskFactors[i * f.Rank]).ToArray();
            exampleKey = f.ExampleFactors[..f.ExampleCount].ToArray();
            // Orient the leading factor so that larger keys mean more forgetting.
            if (Covariance(exampleKey, MeanColumns(matrix)) < 0)
            {
                exampleKey = exampleKey.Select(v => -v).ToArray();
                taskKey = taskKey.Select(v => -v).ToArray();
            }
        }
        else
        {
            taskKey = MeanRows(matrix);
            exampleKey = MeanColumns(matrix);
        }

        return Create(matrix, taskKey, exampleKey, maxBins);
    }

    /// <summary>Rebuilds a summary from saved parts (model files use this), validating every size.</summary>
    /// <exception cref="ArgumentException">A part has the wrong size or an index is out of range.</exception>
    public static MatrixSummary Restore(int[] taskOrder, int[] binOf, int binCount, float[] values, IdList taskIds)
    {
        ArgumentNullException.ThrowIfNull(taskOrder);
        ArgumentNullException.ThrowIfNull(binOf);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(taskIds);
        var m = taskIds.Count;
        if (binCount < 1 || taskOrder.Length != m || values.LongLength != (long)m * binCount
            || taskOrder.Any(t => (uint)t >= (uint)m) || taskOrder.Distinct().Count() != m || binOf.Any(b => (uint)b >= (uint)binCount))
        {
            throw new ArgumentException("Summary parts disagree in size or hold out-of-range indices.", nameof(values));
        }

        return new MatrixSummary(taskOrder, binOf, binCount, values, taskIds);
    }

    /// <summary>Mean of each row's observed cells (NaN for an empty row).</summary>
    public static double[] MeanRows(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var result = new double[matrix.TaskCount];
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            double sum = 0;
            var count = 0;
            foreach (var v in matrix.Row(i))
            {
                if (!float.IsNaN(v))
                {
                    sum += v;
                    count++;
                }
            }

            result[i] = count == 0 ? double.NaN : sum / count;
        }

        return result;
    }

    /// <summary>How many cells of each task (row) and of each example (column) are observed (not NaN).</summary>
    public static (int[] PerTask, int[] PerExample) ObservedCounts(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var perTask = new int[matrix.TaskCount];
        var perExample = new int[matrix.ExampleCount];
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    perExample[j]++;
                    perTask[i]++;
                }
            }
        }

        return (perTask, perExample);
    }

    /// <summary>Mean of each column's observed cells (NaN for an empty column).</summary>
    public static double[] MeanColumns(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var sums = new double[matrix.ExampleCount];
        var counts = new int[matrix.ExampleCount];
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    sums[j] += row[j];
                    counts[j]++;
                }
            }
        }

        for (var j = 0; j < sums.Length; j++)
        {
            sums[j] = counts[j] == 0 ? double.NaN : sums[j] / counts[j];
        }

        return sums;
    }

    private static double Covariance(double[] a, double[] b)
    {
        double ma = 0, mb = 0, s = 0;
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (!double.IsNaN(b[i]))
            {
                ma += a[i];
                mb += b[i];
                n++;
            }
        }

        ma /= Math.Max(n, 1);
        mb /= Math.Max(n, 1);
        for (var i = 0; i < a.Length; i++)
        {
            if (!double.IsNaN(b[i]))
            {
                s += (a[i] - ma) * (b[i] - mb);
            }
        }

        return s;
    }

    // Indices by descending key; NaN keys last; ties by index.
    private static int[] Descending(ReadOnlySpan<double> key)
    {
        // The primitive sort on the negated keys (NaN as -infinity, so last), then each run of equal keys in index order:
        // the order a comparison of (key descending, index) gives, without a delegate call per comparison.
        var keys = new double[key.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = double.IsNaN(key[i]) ? double.PositiveInfinity : -key[i];
        }

        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(keys, order);
        for (var start = 0; start < keys.Length;)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(order, start, end - start);
            }

            start = end;
        }

        return order;
    }
}
