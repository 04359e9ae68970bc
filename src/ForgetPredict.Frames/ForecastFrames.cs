using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace ForgetPredict.Frames;

/// <summary>
/// Measured cells of a new task from a <see cref="DataFrame"/> or <see cref="IDataView"/>, and predictions, group reports and
/// replay sets as DataFrames (which are also ML.NET data views).
/// </summary>
public static class ForecastFrames
{
    /// <summary>The measured cells (example, value) of a table, as example indices of <paramref name="model"/> and values.</summary>
    /// <param name="model">The model whose example ids the table names.</param>
    /// <param name="observed">A table with an example id column and a value column; null or NaN values are skipped.</param>
    /// <param name="columns">Column names; default example, value.</param>
    /// <exception cref="ArgumentException">A column is missing, an id is not one of the model's examples, or an example is measured twice.</exception>
    public static (int[] Examples, double[] Values) ObservedCells(IForgettingModel model, IDataView observed, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return CellsOf(model.ExampleIds, observed, columns);
    }

    // The measured cells of a table as indices into exampleIds and values (see the public overload).
    private static (int[] Examples, double[] Values) CellsOf(IdList exampleIds, IDataView observed, FrameColumns? columns)
    {
        ArgumentNullException.ThrowIfNull(observed);
        var names = FrameColumns.Checked(columns, withTask: false);
        var frame = observed as DataFrame ?? observed.ToDataFrame(-1);
        foreach (var name in new[] { names.Example, names.Value })
        {
            if (!MatrixFrames.Has(frame, name))
            {
                throw new ArgumentException($"The measured cells have no column '{name}'; columns: {string.Join(", ", frame.Columns.Select(c => c.Name))}. Name them with FrameColumns.", nameof(observed));
            }
        }

        var ids = MatrixFrames.Ids(frame.Columns[names.Example]);
        var examples = new List<int>(ids.Length);
        var values = new List<double>(ids.Length);
        var seen = new HashSet<int>();
        for (var r = 0; r < ids.Length; r++)
        {
            var raw = frame.Columns[names.Value][r];
            var value = raw is null ? double.NaN : ExactValue(raw, r, names.Value);
            if (double.IsNaN(value))
            {
                continue;
            }

            var index = exampleIds.IndexOf(ids[r]);
            if (index < 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r}: example '{ids[r]}' is not one of the model's {exampleIds.Count} examples."), nameof(observed));
            }

            if (!seen.Add(index))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r}: example '{ids[r]}' is measured twice; keep one row per example."), nameof(observed));
            }

            examples.Add(index);
            values.Add(value);
        }

        return ([.. examples], [.. values]);
    }

    /// <summary>Folds a new task into <paramref name="model"/> from the measured cells of a table (see <see cref="ObservedCells"/>).</summary>
    /// <param name="model">The fitted model.</param>
    /// <param name="observed">The new task's measured cells (example, value).</param>
    /// <param name="options">Fold-in settings, or null for the defaults.</param>
    /// <param name="columns">Column names; default example, value.</param>
    /// <exception cref="ArgumentException">As <see cref="ObservedCells"/>, or the model refuses the cells (a value not finite, or
    /// one beyond <see cref="FoldInScale.Limit"/> predictive stds of what the model expects: see <see cref="FoldInScale"/>).</exception>
    public static FoldedTask FoldIn(IForgettingModel model, IDataView observed, FoldInOptions? options = null, FrameColumns? columns = null)
    {
        var (examples, values) = ObservedCells(model, observed, columns);
        ArgumentNullException.ThrowIfNull(model);
        return model.FoldIn(examples, values, options);
    }

    /// <summary>Measured cells as a table: example ids of <paramref name="exampleIds"/> and values (double).</summary>
    /// <param name="exampleIds">The model's example ids.</param>
    /// <param name="examples">Example indices.</param>
    /// <param name="values">Measured values, same length.</param>
    /// <param name="columns">Column names; default example, value.</param>
    /// <exception cref="ArgumentException">The lengths differ, an index is not one of <paramref name="exampleIds"/>'s, or
    /// <paramref name="columns"/> names a column twice.</exception>
    public static DataFrame ObservedFrame(IdList exampleIds, ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        if (examples.Length != values.Length)
        {
            throw new ArgumentException($"{examples.Length} examples but {values.Length} values; give one value per example.", nameof(values));
        }

        var names = FrameColumns.Checked(columns, withTask: false);
        var ids = new StringDataFrameColumn(names.Example, examples.Length);
        var column = new DoubleDataFrameColumn(names.Value, examples.Length);
        for (var k = 0; k < examples.Length; k++)
        {
            if ((uint)examples[k] >= (uint)exampleIds.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Cell {k} names example index {examples[k]}, but there are {exampleIds.Count} example ids (indices 0 to {exampleIds.Count - 1}); pass the ids of the model the indices refer to."), nameof(examples));
            }

            ids[k] = exampleIds[examples[k]];
            column[k] = values[k];
        }

        return new DataFrame(ids, column);
    }

    /// <summary>Every example's forecast, in the model's example order: example, predicted, std, probability, rank and (when grouped) group.</summary>
    /// <param name="report">The report.</param>
    public static DataFrame Examples(ErasureReport report) => Examples(report, null);

    /// <summary>
    /// Every example's forecast as <see cref="Examples(ErasureReport)"/>, followed by <c>measured</c> (whether the new task's
    /// cell was measured) and <c>measured_value</c> (its value, NaN where not measured), the columns of <c>predict --out</c>.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="observed">The measured cells the report's task was folded in from (example, value), as for <see cref="FoldIn"/>; null for none.</param>
    /// <param name="columns">Column names of <paramref name="observed"/>; default example, value.</param>
    /// <exception cref="ArgumentException">As <see cref="ObservedCells"/>: a column is missing, an id is not one of the report's examples, or an example is measured twice.</exception>
    public static DataFrame Examples(ErasureReport report, IDataView? observed, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var e = report.Examples;
        var table = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("example", e.Select(x => x.Id)),
            new DoubleDataFrameColumn("predicted", e.Select(x => x.Predicted)),
            new DoubleDataFrameColumn("std", e.Select(x => x.Std)),
            new DoubleDataFrameColumn("probability", e.Select(x => x.Probability)),
            new Int32DataFrameColumn("rank", e.Select(x => x.Rank)),
        };
        if (report.Groups.Count > 0)
        {
            table.Add(new StringDataFrameColumn("group", e.Select(x => x.Group)));
        }

        if (observed is not null)
        {
            var (cells, values) = CellsOf(IdList.From(e.Select(x => x.Id)), observed, columns);
            var measured = new bool[e.Count];
            var measuredValues = new double[e.Count];
            Array.Fill(measuredValues, double.NaN);
            for (var k = 0; k < cells.Length; k++)
            {
                measured[cells[k]] = true;
                measuredValues[cells[k]] = values[k];
            }

            table.Add(new BooleanDataFrameColumn("measured", measured));
            table.Add(new DoubleDataFrameColumn("measured_value", measuredValues));
        }

        return new DataFrame(table);
    }

    /// <summary>Each group's expected damage, most damaged first: group, count, mean, lower, upper, share (beyond the threshold), top_examples (comma-separated).</summary>
    /// <param name="report">The report.</param>
    public static DataFrame Groups(ErasureReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var g = report.Groups;
        return new DataFrame(
            new StringDataFrameColumn("group", g.Select(x => x.Name)),
            new Int32DataFrameColumn("count", g.Select(x => x.Count)),
            new DoubleDataFrameColumn("mean", g.Select(x => x.MeanForgetting)),
            new DoubleDataFrameColumn("lower", g.Select(x => x.Lower)),
            new DoubleDataFrameColumn("upper", g.Select(x => x.Upper)),
            new DoubleDataFrameColumn("share", g.Select(x => x.ShareForgotten)),
            new StringDataFrameColumn("top_examples", g.Select(x => string.Join(",", x.TopExamples.Select(t => t.Id)))));
    }

    /// <summary>A replay set in selection order: example, weight, predicted, group.</summary>
    /// <param name="set">The replay set.</param>
    /// <param name="exampleIds">The model's example ids.</param>
    /// <exception cref="ArgumentException">The set picks an example index that <paramref name="exampleIds"/> does not have (the ids
    /// of another model).</exception>
    public static DataFrame Replay(ReplaySet set, IdList exampleIds)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(exampleIds);
        if (set.Items.FirstOrDefault(i => (uint)i.Example >= (uint)exampleIds.Count) is { } outside)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The replay set picks example index {outside.Example}, but there are {exampleIds.Count} example ids; pass the example ids of the model it was selected with (model.ExampleIds)."), nameof(exampleIds));
        }

        return new DataFrame(
            new StringDataFrameColumn("example", set.Items.Select(i => exampleIds[i.Example])),
            new DoubleDataFrameColumn("weight", set.Items.Select(i => i.Weight)),
            new DoubleDataFrameColumn("predicted", set.Items.Select(i => i.Predicted)),
            new StringDataFrameColumn("group", set.Items.Select(i => i.Group)));
    }

    // Measured values keep their own precision (a double column stays double; a single column widens exactly).
    private static double ExactValue(object value, int row, string column)
    {
        var v = value switch
        {
            double d => d,
            float f => f,
            IConvertible c when value is not string => Convert.ToDouble(c, CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"Column '{column}' holds {value.GetType().Name} values; measured values must be numbers.", nameof(value)),
        };
        return double.IsInfinity(v)
            ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Column '{column}', row {row}: the value is infinite; measure a finite value or leave the row out."), nameof(value))
            : v;
    }
}
