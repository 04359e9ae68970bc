using System.Globalization;

namespace ForgetPredict.Data;

/// <summary>
/// The one rule for naming a table's columns and for pandas' index column, shared by every table the library reads (the
/// long matrix layout, measured cells, example and task metadata, feature tables).
/// </summary>
/// <remarks>
/// <para>Names are given as one comma-separated list in the table's role order (<c>task,example,value</c> for the long
/// layout, <c>example,value</c> for measured cells, <c>id</c> for metadata and feature tables), matched ignoring case and
/// surrounding spaces; front ends parse every such option with <see cref="Parse"/>.</para>
/// <para>A pandas index is the first column written by <c>to_csv()</c> with the default <c>index=True</c>: its header is
/// empty, or <c>Unnamed: 0</c> when pandas re-saved a file it read, or <c>__index_level_0__</c> in Parquet. It is read as
/// a column named <see cref="PandasIndex"/>; it is the id column of a metadata table only when no column is named as
/// the ids and it holds ids rather than 0, 1, 2, ... (pandas' default row numbers), or when no other column could be
/// the ids (each repeats a value or has an empty one, as group columns such as <c>source</c> do), and is otherwise
/// ignored. A Parquet file's first column named <c>column0</c> holding whole numbers or text is one too: DuckDB's
/// <c>read_csv</c> names the empty header cell of pandas' <c>to_csv()</c> so, and converts the file keeping the name.</para>
/// </remarks>
public static class TableColumns
{
    /// <summary>The name a pandas index column with an empty header gets (what <c>pd.read_csv</c> calls it).</summary>
    public const string PandasIndex = "Unnamed: 0";

    /// <summary>True for the names pandas gives its index column: empty, <c>Unnamed: 0</c> or <c>__index_level_0__</c>.</summary>
    public static bool IsPandasIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        return trimmed.Length == 0 || trimmed == PandasIndex || trimmed == "__index_level_0__";
    }

    /// <summary>
    /// True for the names polars gives the row numbers it adds: <c>index</c> (<c>with_row_index()</c>, and pandas'
    /// <c>reset_index()</c> of a default index) and <c>row_nr</c> (<c>with_row_count()</c> in older polars). Whether such a
    /// column is a row index also depends on its values (0, 1, 2... in order), which each reader checks.
    /// </summary>
    internal static bool IsRowIndexName(string name) => name is "index" or "row_nr";

    /// <summary>The name DuckDB's <c>read_csv</c> gives an empty header cell in the first column (pandas' index, converted to Parquet).</summary>
    internal const string DuckDbIndex = "column0";

    /// <summary>
    /// True for a Parquet file whose first column is named <see cref="DuckDbIndex"/> and holds whole numbers or text while the
    /// others have names of their own: pandas' index as DuckDB converts a CSV pandas wrote with it (the header's empty first
    /// cell). A column of decimals so named is data, and so is the first of a file whose every column DuckDB named
    /// (column0, column1, ...: a CSV without a header, e.g. a 0/1 matrix, where column0 is the first example).
    /// </summary>
    internal static bool IsDuckDbIndex(IReadOnlyList<Parquet.ParquetColumn> columns)
    {
        if (columns.Count == 0)
        {
            return false;
        }

        var column = columns[0];
        return column.Name == DuckDbIndex && !column.IsTemporal && column.DecimalScale is null
            && (column.IsString || column.PhysicalType is Parquet.ParquetPhysicalType.Int32 or Parquet.ParquetPhysicalType.Int64)
            && !HasGeneratedNames(columns);
    }

    /// <summary>True when DuckDB named every column (column0, column1, ...): the CSV it read had no header it could detect.</summary>
    internal static bool HasGeneratedNames(IReadOnlyList<Parquet.ParquetColumn> columns) =>
        columns.Count > 1 && columns.Select((c, i) => c.Name == string.Create(CultureInfo.InvariantCulture, $"column{i}")).All(named => named);

    private static readonly string[] s_idColumnNames = ["task_id", "taskid", "id", "index", "name"];

    /// <summary>True when a table's cell (or a header taken for one) reads as a number, in the invariant culture.</summary>
    internal static bool IsNumber(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>True for the names a matrix file's task id column goes by whatever its values look like: task_id, taskid, id,
    /// index, name (any case, surrounding spaces ignored).</summary>
    internal static bool IsIdColumnName(string name) => s_idColumnNames.Contains(name.Trim(), StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses a comma-separated list of column names, one per role, in the roles' order.</summary>
    /// <param name="text">The names, e.g. <c>ex,val</c>.</param>
    /// <param name="roles">What each name is, e.g. <c>EXAMPLE</c>, <c>VALUE</c> (for the message).</param>
    /// <exception cref="ArgumentException">The count differs from the roles', a name is empty, or two are the same.</exception>
    public static IReadOnlyList<string> Parse(string text, IReadOnlyList<string> roles)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(roles);
        var names = text.Split(',').Select(n => n.Trim()).ToArray();
        var shape = string.Join(",", roles);
        if (names.Length != roles.Count || names.Any(n => n.Length == 0))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"takes {roles.Count} column name{(roles.Count == 1 ? string.Empty : "s")}: {shape} (got '{Echo.Cap(text)}')."), nameof(text));
        }

        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Length)
        {
            throw new ArgumentException($"names a column twice ('{Echo.Cap(text)}'); give {shape}, each a different column.", nameof(text));
        }

        return names;
    }

    /// <summary>
    /// The position of the column named <paramref name="name"/> (ignoring case and surrounding spaces), or -1. An empty header
    /// cell is also found by the name pandas gives it, <c>Unnamed: i</c> for position i (from 0), as messages call it.
    /// </summary>
    public static int IndexOf(IReadOnlyList<string> names, string name)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim();
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Trim().Equals(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Trim().Length == 0 && PandasName(names[i], i).Equals(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A header cell as pandas names it: itself, or <c>Unnamed: i</c> when it is empty (i from 0).</summary>
    internal static string PandasName(string header, int position) =>
        header.Trim().Length == 0 ? string.Create(CultureInfo.InvariantCulture, $"Unnamed: {position}") : header;

    /// <summary>A header as pandas names its columns (<see cref="PandasName"/>), for messages whose names are given back.</summary>
    internal static IReadOnlyList<string> PandasNames(IReadOnlyList<string> header) => [.. header.Select(PandasName)];

    // The value column a fix names for a long table whose columns beside its task and example ones are others: the only one,
    // or VALUE and, to follow the fix, the candidates (" (VALUE: its value column, one of 'loss', 'seed')").
    internal static (string Value, string Which) ValueColumnFix(IReadOnlyList<string> others) =>
        others.Count == 1 ? (others[0], string.Empty) : ("VALUE", $" (VALUE: its value column, one of {Echo.List(others)})");
}
