using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Data.Tables;

/// <summary>The value type of a <see cref="TableColumn"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members name value types on purpose, as Parquet and Arrow schemas do.")]
public enum TableColumnType
{
    /// <summary>Text (<see cref="StringColumn"/>).</summary>
    String,

    /// <summary>64-bit floating point (<see cref="DoubleColumn"/>); NaN is null.</summary>
    Double,

    /// <summary>64-bit integer (<see cref="Int64Column"/>).</summary>
    Int64,

    /// <summary>True/false (<see cref="BooleanColumn"/>).</summary>
    Boolean,
}

/// <summary>
/// One named, typed column of an <see cref="OutputTable"/>; every type is nullable. Create columns with the static
/// factories (<see cref="Strings"/>, <see cref="Doubles"/>, <see cref="Int64s"/>, <see cref="Booleans"/>), which wrap
/// the given values without copying them.
/// </summary>
public abstract class TableColumn
{
    private protected TableColumn(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The column's name (the CSV header cell, the JSON property name).</summary>
    public string Name { get; }

    /// <summary>The value type.</summary>
    public abstract TableColumnType Type { get; }

    /// <summary>Number of values (rows).</summary>
    public abstract int Count { get; }

    /// <summary>True when the value in <paramref name="row"/> is null (for doubles: NaN).</summary>
    public abstract bool IsNull(int row);

    /// <summary>A text column over <paramref name="values"/> (not copied; null entries are null values).</summary>
    public static StringColumn Strings(string name, IReadOnlyList<string?> values) => new(name, values);

    /// <summary>A double column over <paramref name="values"/> (not copied: the caller must not change it); NaN is null.</summary>
    public static DoubleColumn Doubles(string name, double[] values) => new(name, values);

    /// <summary>An integer column over <paramref name="values"/> (not copied).</summary>
    public static Int64Column Int64s(string name, IReadOnlyList<long?> values) => new(name, values);

    /// <summary>A boolean column over <paramref name="values"/> (not copied).</summary>
    public static BooleanColumn Booleans(string name, IReadOnlyList<bool?> values) => new(name, values);
}

/// <summary>A text column.</summary>
public sealed class StringColumn : TableColumn
{
    private readonly IReadOnlyList<string?> _values;

    internal StringColumn(string name, IReadOnlyList<string?> values)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values;
    }

    /// <inheritdoc />
    public override TableColumnType Type => TableColumnType.String;

    /// <inheritdoc />
    public override int Count => _values.Count;

    /// <summary>The value in <paramref name="row"/>, or null.</summary>
    public string? this[int row] => _values[row];

    /// <inheritdoc />
    public override bool IsNull(int row) => _values[row] is null;
}

/// <summary>A double column; NaN is the null value.</summary>
public sealed class DoubleColumn : TableColumn
{
    private readonly double[] _values;

    internal DoubleColumn(string name, double[] values)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values;
    }

    /// <inheritdoc />
    public override TableColumnType Type => TableColumnType.Double;

    /// <inheritdoc />
    public override int Count => _values.Length;

    /// <summary>All values (NaN where null), for writers that copy columns in bulk.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The value in <paramref name="row"/> (NaN when null).</summary>
    public double this[int row] => _values[row];

    /// <inheritdoc />
    public override bool IsNull(int row) => double.IsNaN(_values[row]);
}

/// <summary>A 64-bit integer column.</summary>
public sealed class Int64Column : TableColumn
{
    private readonly IReadOnlyList<long?> _values;

    internal Int64Column(string name, IReadOnlyList<long?> values)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values;
    }

    /// <inheritdoc />
    public override TableColumnType Type => TableColumnType.Int64;

    /// <inheritdoc />
    public override int Count => _values.Count;

    /// <summary>The value in <paramref name="row"/>, or null.</summary>
    public long? this[int row] => _values[row];

    /// <inheritdoc />
    public override bool IsNull(int row) => _values[row] is null;
}

/// <summary>A boolean column.</summary>
public sealed class BooleanColumn : TableColumn
{
    private readonly IReadOnlyList<bool?> _values;

    internal BooleanColumn(string name, IReadOnlyList<bool?> values)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values;
    }

    /// <inheritdoc />
    public override TableColumnType Type => TableColumnType.Boolean;

    /// <inheritdoc />
    public override int Count => _values.Count;

    /// <summary>The value in <paramref name="row"/>, or null.</summary>
    public bool? this[int row] => _values[row];

    /// <inheritdoc />
    public override bool IsNull(int row) => _values[row] is null;
}

/// <summary>
/// A small typed table of results (predictions, reports) to write as CSV, TSV or JSON through <see cref="TableFile"/>:
/// named columns of equal length, each of one <see cref="TableColumnType"/>.
/// </summary>
/// <threadsafety>Immutable once created (the columns wrap their values; callers must not change them).</threadsafety>
public sealed class OutputTable
{
    private readonly TableColumn[] _columns;

    /// <summary>Creates a table from columns of equal length with distinct names.</summary>
    /// <exception cref="ArgumentException">There are no columns, lengths differ, or a name repeats.</exception>
    public OutputTable(params IEnumerable<TableColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = [.. columns];
        if (_columns.Length == 0)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(columns));
        }

        RowCount = _columns[0].Count;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in _columns)
        {
            if (c.Count != RowCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Column '{c.Name}' has {c.Count} values but '{_columns[0].Name}' has {RowCount}; all columns need one value per row."), nameof(columns));
            }

            if (!names.Add(c.Name))
            {
                throw new ArgumentException($"Column name '{c.Name}' appears twice.", nameof(columns));
            }
        }
    }

    /// <summary>The columns, in output order.</summary>
    public IReadOnlyList<TableColumn> Columns => _columns;

    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such column.</exception>
    public TableColumn this[string name] =>
        _columns.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"No column '{name}'{Suggestion.AndList(name, _columns.Select(c => c.Name), "columns")}", nameof(name));
}
