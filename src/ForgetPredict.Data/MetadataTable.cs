using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data;

/// <summary>
/// A small table of metadata about tasks or examples: an id column plus columns such as source, domain or family,
/// read from CSV/TSV (Parquet can supply one through <see cref="Create"/>). Join it to a matrix's ids with
/// <see cref="Join"/>.
/// </summary>
/// <remarks>
/// <para>The id column is the one the reader names (<see cref="Read(string, string?)"/>), else <c>id</c> when the header has
/// one (any case), else a pandas index that holds ids (<see cref="TableColumns"/>), else the first other column, unless
/// every other column repeats a value or has an empty one (they group rows rather than name them, and the pandas index
/// is the ids); so
/// <c>charlm-b/upstream.csv</c> (<c>column,source</c>) is keyed by <c>column</c>, a file pandas wrote with its
/// default row numbers (<c>,example</c>) by <c>example</c>, and one with a group column only (<c>,source</c>, the
/// sources repeated) by its row numbers. Ids are compared exactly (ordinal).
/// A matrix without ids (a bare .npy) has ids "0".."N-1", so metadata with ids 0..N-1 joins to it.</para>
/// <para>Values are kept as text; an empty CSV cell is an empty string.</para>
/// </remarks>
public sealed class MetadataTable
{
    private readonly Dictionary<string, string[]> _columns;
    private readonly long[]? _lines;

    private MetadataTable(string sourceName, IReadOnlyList<string> names, Dictionary<string, string[]> columns, int rowCount, long[]? lines, string? idColumn, IReadOnlyList<string>? leftOut = null, string? duckDbIndex = null)
    {
        _duckDbIndex = duckDbIndex;
        _rowIndex = names.Count > 1 ? names.FirstOrDefault(n => TableColumns.IsRowIndexName(n) && IsRowNumbers(columns[n])) : null;
        SourceName = sourceName;
        LeftOutColumns = leftOut ?? [];
        ColumnNames = names;
        _columns = columns;
        RowCount = rowCount;
        _lines = lines;
        ChosenIdColumn = ChooseIdColumn(sourceName, names, columns, idColumn, IsPandasIndex);
        _idColumnNamed = idColumn is not null;
        (_idAmbiguity, _idRival) = idColumn is null ? Ambiguity(names, columns, IsPandasIndex) : (null, null);
    }

    // Headers that name the id column even when an id is so named (an example named 'id' is still listed under 'id').
    private static readonly HashSet<string> s_headerNames = new(["id", "example", "examples", "task", "tasks"], StringComparer.OrdinalIgnoreCase);

    private readonly bool _idColumnNamed;
    private readonly string? _idAmbiguity;
    private readonly string? _idRival;          // the other column that could hold the ids, when the choice is ambiguous
    private readonly string? _duckDbIndex;      // a Parquet table's first column 'column0': pandas' index as DuckDB's read_csv names it
    private readonly string? _rowIndex;         // 'index' or 'row_nr' holding 0, 1, 2...: polars' with_row_index() (with_row_count()), pandas' reset_index()

    /// <summary>The file (or stream name) the table came from, for messages.</summary>
    public string SourceName { get; }

    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>
    /// The columns of the file that were not read: a Parquet table's date and time columns (counts of days or ticks, which are
    /// neither labels nor numbers as stored). Empty for CSV/TSV. Lets a caller say why a column it asks for is missing.
    /// </summary>
    public IReadOnlyList<string> LeftOutColumns { get; }

    /// <summary>Number of data rows.</summary>
    public int RowCount { get; }

    /// <summary>The id column: the one named when reading, else <c>id</c> (any case), else a pandas index holding ids, else the first other
    /// column (the pandas index instead when every other column repeats a value or has an empty one).</summary>
    /// <exception cref="ForgettingDataException">No column was named, and the table cannot say whether a pandas index of whole
    /// numbers (not the row numbers 0, 1, 2... in order) or another column holds the ids: a sorted, filtered or shuffled frame
    /// keeps its old row numbers, which look like integer ids.</exception>
    public string IdColumn => _idAmbiguity is null ? ChosenIdColumn : throw new ForgettingDataException(SourceName, _idAmbiguity);

    /// <summary>The id column <see cref="IdColumn"/> would give, even when the choice is ambiguous (a caller that matches columns itself).</summary>
    internal string ChosenIdColumn { get; }

    /// <summary>
    /// When the table has a pandas index of row numbers (0, 1, 2...) that is not its id column, a sentence saying so and how
    /// to use it as the ids anyway (a matrix without ids is keyed by position); else empty.
    /// </summary>
    internal string RowNumbersHint => ColumnNames.FirstOrDefault(IsPandasIndex) is { } index && index != ChosenIdColumn
        ? $" Its column {Echo.Quote(index)} ({(index == _rowIndex ? "row numbers 0, 1, 2..., as polars' with_row_index() and pandas' reset_index() write them" : "pandas' index of row numbers 0, 1, 2...")}) is not taken as ids; name it as the id column to key the rows by position."
        : string.Empty;

    /// <summary>
    /// The columns besides the ids and a pandas index (<see cref="TableColumns.IsPandasIndex"/>): what a table describes its rows
    /// with. When the id column is ambiguous (<see cref="IdColumnAmong"/> settles it), the other candidate is left out too.
    /// </summary>
    public IReadOnlyList<string> DataColumns => [.. ColumnNames.Where(c => c != ChosenIdColumn && c != _idRival && !IsPandasIndex(c))];

    /// <summary>True for this table's pandas index column: one <see cref="TableColumns.IsPandasIndex"/> names so, a Parquet
    /// table's first column <c>column0</c> of whole numbers or text (DuckDB's name for pandas' unnamed index), or a column
    /// <c>index</c> or <c>row_nr</c> holding the row numbers 0, 1, 2... in order: what polars' <c>with_row_index()</c>
    /// (<c>with_row_count()</c> in older polars) and pandas' <c>reset_index()</c> of a default index add. Such a column is the ids
    /// only when no other column can be (as a pandas index), and never a feature or a group.</summary>
    internal bool IsPandasIndex(string column) => TableColumns.IsPandasIndex(column) || string.Equals(column, _duckDbIndex, StringComparison.Ordinal)
        || string.Equals(column, _rowIndex, StringComparison.Ordinal);

    /// <summary>The ids (the values of <see cref="IdColumn"/>), one per row.</summary>
    public IReadOnlyList<string> Ids => _columns[IdColumn];

    /// <summary>
    /// The id column for ids that <paramref name="isKnown"/> recognises: <see cref="IdColumn"/>, except that when the choice
    /// between a pandas index of whole numbers and another column is ambiguous, the one whose values name known ids while the
    /// other's name none (string ids beside a filtered frame's row numbers, say).
    /// </summary>
    /// <exception cref="ForgettingDataException">Both columns, or neither, name known ids: which holds them cannot be told.</exception>
    public string IdColumnAmong(Func<string, bool> isKnown)
    {
        ArgumentNullException.ThrowIfNull(isKnown);
        if (_idAmbiguity is null || _idRival is null)
        {
            return IdColumn;
        }

        var index = _columns[ChosenIdColumn].Any(isKnown);
        var rival = _columns[_idRival].Any(isKnown);
        return index == rival ? IdColumn : index ? ChosenIdColumn : _idRival;
    }

    /// <summary>The values of a column.</summary>
    /// <exception cref="ArgumentException">No such column (the message lists the columns).</exception>
    public IReadOnlyList<string> Column(string name) =>
        _columns.TryGetValue(name, out var values) ? values : throw new ArgumentException($"No column {Echo.Quote(name)} in {SourceName}{Suggestion.AndList(name, ColumnNames, "columns", Echo.List(ColumnNames))}", nameof(name));

    /// <summary>True when the table has a column of that name.</summary>
    public bool HasColumn(string name) => _columns.ContainsKey(name);

    /// <summary>
    /// Checks that the table has column <paramref name="name"/>, which the caller's option names (a family column): one it lacks
    /// is the option's to change, a usage error (<see cref="ForgettingDataException.ContradictsOption"/>), as an id column
    /// the table lacks is, not the file's fault.
    /// </summary>
    /// <param name="name">The column's name.</param>
    /// <param name="purpose">What the column is read for, for the message ("to read the task families from").</param>
    /// <exception cref="ForgettingDataException">No such column (the message suggests the nearest and lists the columns).</exception>
    public void RequireNamedColumn(string name, string purpose)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HasColumn(name))
        {
            throw new ForgettingDataException(SourceName, $"there is no column {Echo.Quote(name)} {purpose}{(Suggestion.DidYouMean(name, ColumnNames) is { Length: > 0 } guess ? guess : ".")} Columns: {Echo.List(ColumnNames)}.") { ContradictsOption = true };
        }
    }

    /// <summary>Creates a table from columns of text (for readers of other formats, e.g. Parquet); null values become empty strings.</summary>
    /// <param name="sourceName">The file (or stream name), for messages.</param>
    /// <param name="columnNames">The column names.</param>
    /// <param name="columns">The values, one list per column.</param>
    /// <param name="idColumn">The id column's name, or null for the default rule (see the remarks).</param>
    /// <exception cref="ArgumentException">There are no columns, names are empty or repeated, or the columns differ in length.</exception>
    /// <exception cref="ForgettingDataException"><paramref name="idColumn"/> names no column.</exception>
    public static MetadataTable Create(string sourceName, IReadOnlyList<string> columnNames, IReadOnlyList<IReadOnlyList<string?>> columns, string? idColumn = null) =>
        CreateTable(sourceName, columnNames, columns, idColumn, leftOut: null);

    private static MetadataTable CreateTable(string sourceName, IReadOnlyList<string> columnNames, IReadOnlyList<IReadOnlyList<string?>> columns, string? idColumn, IReadOnlyList<string>? leftOut, string? duckDbIndex = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(columns);
        if (columnNames.Count == 0 || columnNames.Count != columns.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"A metadata table needs at least one column and one name per column ({columnNames.Count} names, {columns.Count} columns)."), nameof(columns));
        }

        var rows = columns[0].Count;
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var c = 0; c < columnNames.Count; c++)
        {
            if (string.IsNullOrEmpty(columnNames[c]) || map.ContainsKey(columnNames[c]))
            {
                throw new ArgumentException($"Column name '{columnNames[c]}' is empty or repeated.", nameof(columnNames));
            }

            if (columns[c].Count != rows)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Column '{columnNames[c]}' has {columns[c].Count} values but '{columnNames[0]}' has {rows}."), nameof(columns));
            }

            map[columnNames[c]] = columns[c].Select(v => v ?? string.Empty).ToArray();
        }

        return new MetadataTable(sourceName, [.. columnNames], map, rows, null, idColumn, leftOut, duckDbIndex);
    }

    /// <summary>
    /// Reads a CSV (TSV when the name ends in .tsv or .tab; other delimiters are sniffed) with a header row. An empty first
    /// header cell is pandas' index and is named <see cref="TableColumns.PandasIndex"/>.
    /// </summary>
    /// <param name="stream">The text (left open).</param>
    /// <param name="sourceName">Its name, for messages and the delimiter.</param>
    /// <param name="idColumn">The id column's name, or null for the default rule (see the remarks).</param>
    /// <exception cref="ForgettingDataException">The file is empty, has empty or duplicate column names, ragged rows, or no column <paramref name="idColumn"/>.</exception>
    public static MetadataTable Read(Stream stream, string sourceName, string? idColumn = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (InputFile.ReaderExtension(sourceName) is ".parquet" or ".pq" && stream.CanSeek)
        {
            // A stored NAME.examples.parquet (the service reads its store's files as streams, named without their folders).
            using var parquet = Parquet.ParquetReader.Open(stream, sourceName, leaveOpen: true);
            return ReadParquet(parquet, sourceName, idColumn, skipDates: true);
        }

        using var gunzipped = InputFile.Decompressing(stream, sourceName, leaveOpen: true);
        using var csv = new CsvTokenizer(gunzipped ?? stream, sourceName, CsvMatrixFormat.DelimiterFor(sourceName));
        var header = csv.Next() ?? throw new ForgettingDataException(sourceName, "the metadata file is empty; it needs a header row (e.g. id,source) and one row per task or example.");
        var headerLine = csv.RecordLine;
        var names = header.Select(h => h.Trim()).ToArray();
        if (names.Length > 1 && names[0].Length == 0)
        {
            names[0] = TableColumns.PandasIndex;
        }

        for (var c = 0; c < names.Length; c++)
        {
            if (names[c].Length == 0)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"header cell {c + 1} is empty; name every column after the first (the id column 'id' or first, then e.g. source, domain, family)."), headerLine);
            }

            var first = Array.IndexOf(names, names[c]);
            if (first < c)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"column {Echo.Quote(names[c])} appears twice in the header (columns {first + 1} and {c + 1}); rename one."), headerLine);
            }
        }

        var values = names.Select(_ => new List<string>()).ToArray();
        var lines = new List<long>();
        while (csv.Next() is { } record)
        {
            if (record.Count != names.Length)
            {
                throw new ForgettingDataException(sourceName, $"row has {record.Count} fields but the header has {names.Length}.", csv.RecordLine);
            }

            for (var c = 0; c < names.Length; c++)
            {
                values[c].Add(record[c]);
            }

            lines.Add(csv.RecordLine);
        }

        var columns = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var c = 0; c < names.Length; c++)
        {
            columns[names[c]] = [.. values[c]];
        }

        return new MetadataTable(sourceName, names, columns, lines.Count, [.. lines], idColumn);
    }

    /// <summary>Reads a metadata file; the format comes from the extension (.csv, .tsv, .tab, .txt, .parquet).</summary>
    /// <param name="path">The file.</param>
    /// <param name="idColumn">The id column's name, or null for the default rule (see the remarks).</param>
    /// <exception cref="ForgettingDataException">The file cannot be read, is malformed, has an unsupported extension, or has no column <paramref name="idColumn"/>.</exception>
    /// <remarks>A Parquet table's date and time columns (stored as counts of days or ticks) are left out; one named as the id
    /// column is refused with the cast that fixes it.</remarks>
    public static MetadataTable Read(string path, string? idColumn = null) => Read(path, idColumn, skipDates: true);

    // skipDates: false for feature tables, where every column is a candidate feature: a date column there is refused.
    internal static MetadataTable Read(string path, string? idColumn, bool skipDates)
    {
        ArgumentNullException.ThrowIfNull(path);
        InputPath.RefuseFolder(path);
        var extension = InputFile.ReaderExtension(path);
        if (extension is ".parquet" or ".pq")
        {
            return ReadParquet(path, idColumn, skipDates);
        }

        if (extension is not (".csv" or ".tsv" or ".tab" or ".txt"))
        {
            throw new ForgettingDataException(path, $"metadata tables are read from .csv, .tsv or .parquet files, not '{extension}'; export the table as CSV or Parquet.");
        }

        using var stream = InputFile.OpenText(path);
        return Read(stream, path, idColumn);
    }

    // Every column as text (numbers formatted culture-invariant), nulls as null.
    private static MetadataTable ReadParquet(string path, string? idColumn, bool skipDates)
    {
        using var reader = Parquet.ParquetReader.Open(path);
        return ReadParquet(reader, path, idColumn, skipDates);
    }

    private static MetadataTable ReadParquet(Parquet.ParquetReader reader, string path, string? idColumn, bool skipDates)
    {
        if (reader.RowCount > int.MaxValue)
        {
            throw new ForgettingDataException(path, "the metadata table has more than 2^31 rows.");
        }

        // Date and time columns are counts of days or ticks, which the reader refuses to take for numbers or labels. A table
        // is read without them (a 'created_at' beside the ids and groups is common, and unused); named as the id column,
        // or when the table has nothing else, one is read, and refused with the cast that fixes it.
        var read = Enumerable.Range(0, reader.Columns.Count).Where(c => !skipDates || !reader.Columns[c].IsTemporal).ToArray();
        // (with no id column named, a date column called 'id' is the one the default rule would take: refused too, not passed
        // over for the next column)
        var named = Enumerable.Range(0, reader.Columns.Count).FirstOrDefault(c => TableColumns.IndexOf([reader.Columns[c].Name], idColumn ?? "id") == 0, -1);
        if ((read.Length == 0 && reader.Columns.Count > 0) || (named >= 0 && reader.Columns[named].IsTemporal))
        {
            read = [named >= 0 ? named : 0];
        }

        var columns = read.Select(_ => new string?[reader.RowCount]).ToArray();
        long offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            for (var c = 0; c < columns.Length; c++)
            {
                reader.ReadStrings(read[c], g, columns[c].AsSpan((int)offset, rows));
            }

            offset += rows;
        }

        var leftOut = Enumerable.Range(0, reader.Columns.Count).Except(read).Select(c => reader.Columns[c].Name).ToArray();
        var duckDbIndex = read.Length > 0 && read[0] == 0 && TableColumns.IsDuckDbIndex(reader.Columns) ? TableColumns.DuckDbIndex : null;
        return CreateTable(path, [.. read.Select(c => reader.Columns[c].Name)], columns, idColumn, leftOut, duckDbIndex);
    }

    // The named column; else 'id'; else a pandas index that holds ids (not pandas' default row numbers 0, 1, 2...);
    // else the first column that is not a pandas index, unless no such column can hold ids (each repeats a value or has
    // an empty one, as group columns do: pd.DataFrame({'source': [...]}).to_csv() writes ",source"), when the pandas
    // index is the ids (row numbers, which are the ids of a matrix without ids of its own, a bare .npy).
    private static string ChooseIdColumn(string source, IReadOnlyList<string> names, Dictionary<string, string[]> columns, string? requested, Func<string, bool> isPandasIndex)
    {
        if (requested is not null)
        {
            var named = TableColumns.IndexOf(names, requested);
            return named >= 0 ? names[named]
                : throw new ForgettingDataException(source, $"there is no column {Echo.Quote(requested)} to take the ids from{(Suggestion.DidYouMean(requested, names) is { Length: > 0 } guess ? guess : ".")} Columns: {Echo.List(names)}.") { ContradictsOption = true };
        }

        var id = names.FirstOrDefault(n => n.Equals("id", StringComparison.OrdinalIgnoreCase));
        if (id is not null)
        {
            return id;
        }

        var index = names.FirstOrDefault(isPandasIndex);
        var others = names.Where(n => !isPandasIndex(n)).ToArray();
        // A column of distinct decimals (base_loss) is a measurement, not ids: beside it the row numbers stay the ids.
        if (index is not null && (others.Length == 0 || !IsRowNumbers(columns[index]) || !others.Any(o => CanBeIds(columns[o]) && !IsDecimalData(columns[o]))))
        {
            return index;
        }

        return others.Length > 0 ? others[0] : names[0];
    }

    // Why the id column cannot be told, or null: a pandas index of whole numbers that are not 0, 1, 2... in order (a sorted,
    // filtered or shuffled frame's old row numbers, or integer ids) beside another column that could hold ids and is not
    // decimal data.
    // Why the id column cannot be told, and the other candidate, or nulls.
    private static (string? Why, string? Rival) Ambiguity(IReadOnlyList<string> names, Dictionary<string, string[]> columns, Func<string, bool> isPandasIndex)
    {
        if (names.Any(n => n.Equals("id", StringComparison.OrdinalIgnoreCase)) || names.FirstOrDefault(isPandasIndex) is not { } index
            || IsRowNumbers(columns[index]) || !columns[index].All(IsWholeNumber))
        {
            return (null, null);
        }

        var rival = names.FirstOrDefault(n => !isPandasIndex(n) && CanBeIds(columns[n]) && !IsDecimalData(columns[n]));
        if (rival is null || columns[index].SequenceEqual(columns[rival], StringComparer.Ordinal))
        {
            // No other column could hold ids, or one holds the same ids in the same rows: either way the ids are the same.
            return (null, null);
        }

        return ($"column {Echo.Quote(index)} is a pandas index of whole numbers that are not the row numbers 0, 1, 2... in order, and column {Echo.Quote(rival)} could hold the ids too: a sorted, filtered or shuffled frame keeps its old row numbers, so the file cannot say which holds the ids. Name the id column with the table option's -columns companion ({Echo.Quote(rival)} or the index's name, e.g. --examples-columns or --exclude-columns), or write the file with index=False.", rival);
    }

    private static bool IsWholeNumber(string value) => value.Length is > 0 and <= 18 && value.All(char.IsAsciiDigit);

    // Numbers of which at least one is not whole (0.25, 1e-3): measurements, not ids.
    private static bool IsDecimalData(string[] values) =>
        values.All(TableColumns.IsNumber) && !values.All(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));

    private static bool CanBeIds(string[] values)
    {
        var seen = new HashSet<string>(values.Length, StringComparer.Ordinal);
        foreach (var value in values)
        {
            if (value.Length == 0 || !seen.Add(value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsRowNumbers(string[] values)
    {
        for (var r = 0; r < values.Length; r++)
        {
            if (values[r] != r.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Refuses a table written without its header line (pandas' <c>to_csv(header=False)</c>), whose first row was read as the
    /// header so that its id would be lost: no id column was named when it was read, the id column's name is one of the ids
    /// <paramref name="isKnown"/> recognises (other than <c>id</c>, <c>example</c> or <c>task</c>, which are headers whatever the
    /// ids), and every other column's name looks like a value of that column (a number over numbers, text over text).
    /// </summary>
    /// <param name="idColumn">The id column in use (<see cref="IdColumn"/>, or the one <see cref="IdColumnAmong"/> settled).</param>
    /// <param name="isKnown">Whether a text is one of the matrix's ids.</param>
    /// <param name="what">What the ids are ("task" or "example"), for messages.</param>
    /// <param name="consequence">What would become of the row read as the header, for messages ("that example would not be excluded").</param>
    /// <exception cref="ForgettingDataException">The header looks like a row; the message names the id, the line and the fix.</exception>
    public void RequireHeaderLine(string idColumn, Func<string, bool> isKnown, string what, string consequence)
    {
        ArgumentNullException.ThrowIfNull(idColumn);
        ArgumentNullException.ThrowIfNull(isKnown);
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(consequence);
        if (_idColumnNamed || s_headerNames.Contains(idColumn) || !isKnown(idColumn)
            || !ColumnNames.Where(c => c != idColumn && !IsPandasIndex(c)).All(c => LooksLikeAValue(c, _columns[c])))
        {
            return;
        }

        var fix = ColumnNames.Count == 1
            ? "Add a header line (e.g. 'id') above the ids."
            : "Add a header line naming the columns (e.g. 'id,source') above the rows, or write the file with its header (pandas: to_csv without header=False).";
        throw new ForgettingDataException(SourceName, $"its {(_lines is null ? "column names name" : "first line names")} {what} {Echo.Quote(idColumn)} where a header belongs: the file has no header line (pandas writes none with header=False), so {consequence}. {fix}", _lines is null ? 0 : 1);
    }

    // A column's name that could be one of its values: one of them, or a number over numbers, or text over text.
    private static bool LooksLikeAValue(string name, string[] values)
    {
        var given = values.Where(v => v.Length > 0).ToArray();
        return Array.IndexOf(values, name) >= 0 || (TableColumns.IsNumber(name) ? given.All(TableColumns.IsNumber) : !given.All(TableColumns.IsNumber));
    }

    /// <summary>
    /// Aligns this table to a matrix's ids: for each id in <paramref name="ids"/>, the metadata row with that id. The
    /// result reports the ids on each side that have no partner (counts and the first few); nothing is dropped silently.
    /// </summary>
    /// <param name="ids">The matrix's task or example ids.</param>
    /// <param name="what">What the ids are ("task" or "example"), for messages.</param>
    /// <exception cref="ForgettingDataException">An id in the table is empty or repeated (the message names both lines), or the
    /// table was written without its header line (<see cref="RequireHeaderLine"/>).</exception>
    public MetadataJoin Join(IdList ids, string what = "example")
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(what);
        var rowOf = new int[ids.Count];
        rowOf.AsSpan().Fill(-1);
        var idColumn = IdColumnAmong(id => ids.IndexOf(id) >= 0);
        RequireHeaderLine(idColumn, id => ids.IndexOf(id) >= 0, what, $"{what} {Echo.Quote(idColumn)} would have no metadata");
        var idValues = _columns[idColumn];
        var unused = new List<int>();
        for (var r = 0; r < RowCount; r++)
        {
            var id = idValues[r];
            if (id.Length == 0)
            {
                throw new ForgettingDataException(SourceName, $"the {what} id (column '{idColumn}') is empty; every metadata row needs an id.", LineOf(r), idColumn);
            }

            var position = ids.IndexOf(id);
            if (position < 0)
            {
                unused.Add(r);
                continue;
            }

            if (rowOf[position] >= 0)
            {
                throw new ForgettingDataException(SourceName, string.Create(CultureInfo.InvariantCulture,
                    $"{what} id {Echo.Quote(id)} appears twice, {Where(rowOf[position])} and {Where(r)}; keep one row per {what}{IdSourceHint(idColumn)}."), LineOf(r), idColumn);
            }

            rowOf[position] = r;
        }

        var duplicateUnused = unused.GroupBy(r => idValues[r], StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateUnused is not null)
        {
            var pair = duplicateUnused.Take(2).ToArray();
            throw new ForgettingDataException(SourceName, string.Create(CultureInfo.InvariantCulture,
                $"{what} id {Echo.Quote(duplicateUnused.Key)} appears twice, {Where(pair[0])} and {Where(pair[1])}; keep one row per {what}{IdSourceHint(idColumn)}."), LineOf(pair[1]), idColumn);
        }

        return new MetadataJoin(this, idColumn, ids, rowOf, unused, what);
    }

    // Where the ids come from, for a message about them: the rule may have picked a column the user did not mean.
    private static string IdSourceHint(string idColumn) => $" (ids are read from column {Echo.Quote(idColumn)}; if another column holds them, name it as the id column)";

    /// <summary>The 1-based line of data row <paramref name="row"/> in the file, or 0 when the table has no lines (Parquet).</summary>
    internal long LineOf(int row) => _lines is null ? 0 : _lines[row];

    /// <summary>"on line 5" (or "in rows 4" without lines), for messages naming a row.</summary>
    internal string Where(int row) => _lines is null
        ? string.Create(CultureInfo.InvariantCulture, $"in rows {row + 1}")
        : string.Create(CultureInfo.InvariantCulture, $"on line {_lines[row]}");

    internal string RowValue(string column, int row) => _columns[column][row];
}

/// <summary>
/// A metadata table aligned to a matrix's ids (see <see cref="MetadataTable.Join"/>): per matrix position, the
/// metadata row with the same id, plus the ids that have no partner on either side.
/// </summary>
public sealed class MetadataJoin
{
    /// <summary>How many unmatched ids the summaries show.</summary>
    public const int SampleSize = 5;

    private readonly MetadataTable _table;
    private readonly string _idColumn;

    /// <summary>The column the ids were joined on (the table's id column, or the candidate the matrix's ids settled).</summary>
    public string IdColumn => _idColumn;
    private readonly IdList _ids;
    private readonly int[] _rowOf;
    private readonly List<int> _unusedRows;
    private readonly string _what;

    internal MetadataJoin(MetadataTable table, string idColumn, IdList ids, int[] rowOf, List<int> unusedRows, string what)
    {
        _idColumn = idColumn;
        _table = table;
        _ids = ids;
        _rowOf = rowOf;
        _unusedRows = unusedRows;
        _what = what;
        var missing = new List<int>();
        for (var i = 0; i < rowOf.Length; i++)
        {
            if (rowOf[i] < 0)
            {
                missing.Add(i);
            }
        }

        MissingCount = missing.Count;
        MissingSample = missing.Take(SampleSize).Select(i => ids[i]).ToArray();
        UnusedSample = unusedRows.Take(SampleSize).Select(r => table.Ids[r]).ToArray();
    }

    /// <summary>Number of matrix ids (the length of every aligned column).</summary>
    public int Count => _rowOf.Length;

    /// <summary>Matrix ids that found a metadata row.</summary>
    public int MatchedCount => Count - MissingCount;

    /// <summary>Matrix ids with no metadata row.</summary>
    public int MissingCount { get; }

    /// <summary>The first few (<see cref="SampleSize"/>) matrix ids with no metadata row, in matrix order.</summary>
    public IReadOnlyList<string> MissingSample { get; }

    /// <summary>Metadata rows whose id is not in the matrix.</summary>
    public int UnusedCount => _unusedRows.Count;

    /// <summary>The first few (<see cref="SampleSize"/>) metadata ids not in the matrix, in file order.</summary>
    public IReadOnlyList<string> UnusedSample { get; }

    /// <summary>True when every matrix id has a metadata row (metadata rows for other ids are allowed).</summary>
    public bool IsComplete => MissingCount == 0;

    /// <summary>The metadata row for matrix position <paramref name="position"/>, or -1 when its id has none.</summary>
    public int RowOf(int position) => _rowOf[position];

    /// <summary>The column's values aligned to the matrix: one per matrix id, null where the id has no metadata row.</summary>
    /// <exception cref="ArgumentException">No such column.</exception>
    public IReadOnlyList<string?> Column(string name)
    {
        _ = _table.Column(name);
        var values = new string?[_rowOf.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _rowOf[i] < 0 ? null : _table.RowValue(name, _rowOf[i]);
        }

        return values;
    }

    /// <summary>One line for users: "2400 of 2400 example ids matched in upstream.csv; 0 metadata rows unused".</summary>
    public string Summary()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{MatchedCount} of {Count} {_what} ids matched in {_table.SourceName}");
        if (MissingCount > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; {MissingCount} have no metadata row (first: {Quote(MissingSample)})");
        }

        return text + string.Create(CultureInfo.InvariantCulture, $"; {UnusedCount} metadata rows match no {_what}{(UnusedCount > 0 ? $" (first: {Quote(UnusedSample)})" : string.Empty)}.")
            + (MatchedCount == 0 ? _table.RowNumbersHint : string.Empty);
    }

    /// <summary>
    /// Throws when no id matched: metadata that describes none of the examples (another matrix's, an id column guessed
    /// wrong, ids pandas wrote as decimals) would group nothing, and an answer without groups, or a stratified replay with one
    /// group, is not what was asked for.
    /// </summary>
    /// <exception cref="ForgettingDataException">No metadata row names an id; the message gives the first id on each side and the fix.</exception>
    public void RequireAny()
    {
        if (MatchedCount > 0 || Count == 0 || _table.RowCount == 0)
        {
            return;
        }

        var first = _table.Ids[0];
        var decimals = Formats.ExampleReferences.LeadingZeros(_table.Ids, _ids, "Its ids are", _what, _idColumn) is { } zeros
            ? $" {zeros}."
            : Formats.ExampleReferences.ExtraZeros(_table.Ids, _ids, "Its ids are", _what) is { } padded
            ? $" {padded}."
            : Formats.ExampleReferences.DecimalIds(_table.Ids, _ids, "Its ids are", _what) is { } written
            ? $" {written}."
            : $" Check that column {Echo.Quote(_idColumn)} holds the {_what}s' ids{(_ids.IsImplicit ? $" (the matrix has none of its own: its columns' positions 0..{Count - 1})" : string.Empty)}, or name the id column.";
        throw new ForgettingDataException(_table.SourceName, string.Create(CultureInfo.InvariantCulture,
            $"none of its {_table.RowCount} rows names one of the {Count} {_what}s (first id: {Echo.Quote(first)}, first {_what}: {Echo.Quote(_ids[0])}), so it would group nothing.{decimals}{_table.RowNumbersHint}"),
            column: _idColumn);
    }

    /// <summary>Throws unless every matrix id has a metadata row (and, when <paramref name="allowUnused"/> is false, every metadata row is used).</summary>
    /// <exception cref="ForgettingDataException">Ids are unmatched; the message gives the counts and first ids on each side.</exception>
    public void RequireComplete(bool allowUnused = true)
    {
        if (IsComplete && (allowUnused || UnusedCount == 0))
        {
            return;
        }

        var sides = new List<string>();
        if (MissingCount > 0)
        {
            sides.Add(string.Create(CultureInfo.InvariantCulture, $"{MissingCount} of the matrix's {Count} {_what} ids have no row (first: {Quote(MissingSample)})"));
        }

        if (UnusedCount > 0)
        {
            sides.Add(string.Create(CultureInfo.InvariantCulture, $"{UnusedCount} of its {_table.RowCount} rows match no {_what} of the matrix (first: {Quote(UnusedSample)})"));
        }

        var hint = _ids.IsImplicit
            ? $" The matrix has no {_what} ids of its own, so they are 0..{Count - 1} (column positions); key the metadata by position or read the matrix from a format that carries ids."
            : $" Check that column {Echo.Quote(_idColumn)} holds the same ids as the matrix.";
        hint += _table.RowNumbersHint;
        throw new ForgettingDataException(_table.SourceName, string.Join("; ", sides) + "." + hint, column: _idColumn);
    }

    private static string Quote(IReadOnlyList<string> ids) => Echo.List(ids);
}
