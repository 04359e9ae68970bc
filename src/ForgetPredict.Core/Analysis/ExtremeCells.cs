namespace ForgetPredict.Core.Analysis;

/// <summary>
/// Cells far outside a matrix's typical magnitude: a value thousands of times the others is almost always a unit, overflow
/// or parsing error upstream, and a least-squares fit follows it at the cost of every other prediction. Cells beyond 1e9
/// times the typical magnitude are refused by every fit; this finds the ones below that which still deserve a warning.
/// </summary>
/// <param name="Count">Observed cells beyond <see cref="Ratio"/> times <see cref="Typical"/> in magnitude.</param>
/// <param name="Task">The task (row) of the largest of them in magnitude (the first such cell in row-major order on ties).</param>
/// <param name="Example">The example (column) of that cell.</param>
/// <param name="Value">That cell's value.</param>
/// <param name="Typical">The matrix's typical magnitude: the median |z| of its non-zero observed cells (of a fixed-stride
/// sample of at most 65,536 of them).</param>
/// <param name="Ratio">The multiple of <see cref="Typical"/> a cell exceeded.</param>
public sealed record ExtremeCells(long Count, int Task, int Example, double Value, double Typical, double Ratio)
{
    /// <summary>
    /// The multiple of the typical magnitude beyond which <see cref="Find"/> reports a cell: 10,000. Real forgetting matrices
    /// keep every cell within a few tens of their median magnitude (charlm-b's largest is 20 times it, charlm-d's 9), and
    /// binary ones within 1.
    /// </summary>
    public const double DefaultRatio = 1e4;

    /// <summary>
    /// Refuses <paramref name="matrix"/> when a cell is beyond 1e9 times its typical magnitude, as every fit does: call it on
    /// a whole matrix before fitting parts of it (an evaluation's training tasks), so the refusal quotes the whole matrix's
    /// numbers. Fits of the matrices cut from the one it returns (<see cref="ForgettingMatrix.SelectTasks"/>) are not refused
    /// again against their own typical magnitude.
    /// </summary>
    /// <param name="matrix">The matrix.</param>
    /// <returns>The matrix, marked as checked.</returns>
    /// <exception cref="ArgumentException">A cell is beyond the limit; the message names it, the matrix's typical magnitude
    /// and the fix (parameter name "matrix").</exception>
    public static ForgettingMatrix CheckRefusal(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return Models.DataScale.CheckOutliers(matrix);
    }

    /// <summary>The cells of <paramref name="matrix"/> beyond <paramref name="ratio"/> times its typical magnitude, or null
    /// when there are none (or no observed cell is non-zero). One pass over the cells; the result depends only on the
    /// values, not on their units.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="ratio">The multiple of the typical magnitude to report beyond; more than 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ratio"/> is not a finite number above 1.</exception>
    public static ExtremeCells? Find(ForgettingMatrix matrix, double ratio = DefaultRatio)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (!(ratio > 1) || !double.IsFinite(ratio))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The ratio must be a finite number above 1.");
        }

        var typical = Models.DataScale.TypicalMagnitude(matrix);
        if (typical == 0)
        {
            return null;
        }

        var limit = typical * ratio;
        var values = matrix.Values;
        long count = 0, largest = -1;
        var largestMagnitude = limit;
        for (var c = 0; c < values.Length; c++)
        {
            var magnitude = Math.Abs((double)values[c]);
            if (magnitude > limit)
            {
                count++;
                if (magnitude > largestMagnitude || largest < 0)
                {
                    largest = c;
                    largestMagnitude = magnitude;
                }
            }
        }

        return count == 0 ? null
            : new ExtremeCells(count, (int)(largest / matrix.ExampleCount), (int)(largest % matrix.ExampleCount), values[(int)largest], typical, ratio);
    }
}
