using System.Globalization;
using ForgetPredict.Core;
using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace ForgetPredict.Frames;

/// <summary>
/// Forgetting matrices to and from <see cref="DataFrame"/> (Microsoft.Data.Analysis) and <see cref="IDataView"/> (ML.NET).
/// Values are single precision, as in <see cref="ForgettingMatrix"/>, so a round trip is exact; ids are kept.
/// </summary>
public static class MatrixFrames
{
    /// <summary>The matrix as a DataFrame, wide (one row per task) or one row per cell; null = missing.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="layout">Wide or long.</param>
    /// <param name="columns">Column names; default task, example, value.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layout"/> is not a defined layout.</exception>
    /// <exception cref="ArgumentException">For the cells layout, <paramref name="columns"/> names a column twice.</exception>
    public static DataFrame ToDataFrame(ForgettingMatrix matrix, FrameLayout layout = FrameLayout.Wide, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var names = columns ?? FrameColumns.Default;
        return layout switch
        {
            FrameLayout.Wide => Wide(matrix, names),
            FrameLayout.Cells => Cells(matrix, FrameColumns.Checked(names, withTask: true)),
            _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "The layout must be FrameLayout.Wide or FrameLayout.Cells."),
        };
    }

    /// <summary>The matrix as an ML.NET data view: one row per cell (task and example as text, value as single, missing = null).</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="columns">Column names; default task, example, value.</param>
    public static IDataView ToDataView(ForgettingMatrix matrix, FrameColumns? columns = null) => ToDataFrame(matrix, FrameLayout.Cells, columns);

    /// <summary>
    /// A matrix from a DataFrame: long when it has the task, example and value columns, else wide (a task id column, or
    /// the row number when there is none, and one numeric column per example). Null and NaN are missing cells.
    /// </summary>
    /// <param name="frame">The table.</param>
    /// <param name="columns">Column names; default task, example, value.</param>
    /// <exception cref="ArgumentException">A column is missing or not numeric, a cell is repeated, or a value is infinite; the message names it.</exception>
    public static ForgettingMatrix ToMatrix(DataFrame frame, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var names = columns ?? FrameColumns.Default;
        return Has(frame, names.Example) && Has(frame, names.Value) ? FromLong(frame, FrameColumns.Checked(names, withTask: true)) : FromWide(frame, names);
    }

    /// <summary>A matrix from an ML.NET data view holding a long table (task, example, value) or a wide one, as <see cref="ToMatrix(DataFrame, FrameColumns?)"/>.</summary>
    /// <param name="view">The data view; every row is read.</param>
    /// <param name="columns">Column names; default task, example, value.</param>
    public static ForgettingMatrix ToMatrix(IDataView view, FrameColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        return ToMatrix(view as DataFrame ?? view.ToDataFrame(-1), columns);
    }

    private static DataFrame Wide(ForgettingMatrix matrix, FrameColumns names)
    {
        var result = new List<DataFrameColumn>(matrix.ExampleCount + 1) { new StringDataFrameColumn(names.Task, matrix.TaskIds) };
        var column = new float[matrix.TaskCount];
        for (var j = 0; j < matrix.ExampleCount; j++)
        {
            matrix.Column(j).CopyTo(column);
            var values = new SingleDataFrameColumn(matrix.ExampleIds[j], matrix.TaskCount);
            for (var i = 0; i < column.Length; i++)
            {
                values[i] = float.IsNaN(column[i]) ? null : column[i];
            }

            result.Add(values);
        }

        return new DataFrame(result);
    }

    private static DataFrame Cells(ForgettingMatrix matrix, FrameColumns names)
    {
        var count = matrix.CellCount;
        var tasks = new StringDataFrameColumn(names.Task, count);
        var examples = new StringDataFrameColumn(names.Example, count);
        var values = new SingleDataFrameColumn(names.Value, count);
        long r = 0;
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++, r++)
            {
                tasks[r] = matrix.TaskIds[i];
                examples[r] = matrix.ExampleIds[j];
                values[r] = float.IsNaN(row[j]) ? null : row[j];
            }
        }

        return new DataFrame(tasks, examples, values);
    }

    private static ForgettingMatrix FromWide(DataFrame frame, FrameColumns names)
    {
        var hasTasks = Has(frame, names.Task);
        var valueColumns = frame.Columns.Where(c => !(hasTasks && c.Name == names.Task)).ToArray();
        var rows = checked((int)frame.Rows.Count);
        var values = new float[(long)rows * valueColumns.Length];
        for (var j = 0; j < valueColumns.Length; j++)
        {
            var column = valueColumns[j];
            for (var i = 0; i < rows; i++)
            {
                values[((long)i * valueColumns.Length) + j] = Cell(column, i, column.Name);
            }
        }

        var taskIds = hasTasks ? Ids(frame.Columns[names.Task]) : null;
        return ForgettingMatrix.Wrap(values, rows, valueColumns.Length, taskIds, valueColumns.Select(c => c.Name));
    }

    private static ForgettingMatrix FromLong(DataFrame frame, FrameColumns names)
    {
        if (!Has(frame, names.Task))
        {
            throw new ArgumentException($"The long table has columns '{names.Example}' and '{names.Value}' but no task column '{names.Task}'; columns: {string.Join(", ", frame.Columns.Select(c => c.Name))}. Name it with FrameColumns.Task.", nameof(frame));
        }

        var taskIds = Ids(frame.Columns[names.Task]);
        var exampleIds = Ids(frame.Columns[names.Example]);
        var valueColumn = frame.Columns[names.Value];
        var tasks = FirstSeen(taskIds);
        var examples = FirstSeen(exampleIds);
        var values = new float[(long)tasks.Count * examples.Count];
        Array.Fill(values, float.NaN);
        var seen = new bool[values.Length];
        for (var r = 0; r < taskIds.Length; r++)
        {
            var cell = ((long)tasks[taskIds[r]] * examples.Count) + examples[exampleIds[r]];
            if (seen[cell])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {r}: cell (task '{taskIds[r]}', example '{exampleIds[r]}') appears twice; keep one row per cell."), nameof(frame));
            }

            seen[cell] = true;
            values[cell] = Cell(valueColumn, r, names.Value);
        }

        return ForgettingMatrix.Wrap(values, tasks.Count, examples.Count, tasks.Keys, examples.Keys);
    }

    // Ids in order of first appearance (a Dictionary enumerates in insertion order while nothing is removed).
    private static Dictionary<string, int> FirstSeen(string[] ids)
    {
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            positions.TryAdd(id, positions.Count);
        }

        return positions;
    }

    internal static bool Has(DataFrame frame, string name) => frame.Columns.IndexOf(name) >= 0;

    internal static string[] Ids(DataFrameColumn column)
    {
        var ids = new string[column.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = column[i] switch
            {
                null => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Column '{column.Name}', row {i}: the id is empty; every row needs one."), nameof(column)),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var other => other.ToString() ?? string.Empty,
            };
        }

        return ids;
    }

    internal static float Cell(DataFrameColumn column, long row, string name)
    {
        var value = column[row] switch
        {
            null => float.NaN,
            float f => f,
            double d => (float)d,
            IConvertible c when column.DataType != typeof(string) => Convert.ToSingle(c, CultureInfo.InvariantCulture),
            var other => throw new ArgumentException($"Column '{name}' holds {other.GetType().Name} values; forgetting values must be numbers (float, double or integers).", nameof(column)),
        };
        return float.IsInfinity(value)
            ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Column '{name}', row {row}: the value is infinite; use a finite value, or null for a missing cell."), nameof(column))
            : value;
    }
}
