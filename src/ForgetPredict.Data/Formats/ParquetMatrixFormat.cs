using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Forgetting matrices in Apache Parquet files, in either layout: long (columns task, example, value: one row per observed
/// cell; what DuckDB, polars and Spark pipelines usually hold) or wide (one numeric column per example, plus a task id
/// column). The layout is detected from the column names unless <see cref="MatrixReadOptions.Layout"/> says otherwise.
/// </summary>
/// <remarks>
/// <para>Wide files: the task id column is <see cref="MatrixReadOptions.TaskColumn"/> if present, else the index column that
/// pyarrow's "pandas" metadata names, else pandas' index column <c>__index_level_0__</c>, else a first column of text or of
/// whole numbers under an id's name (id, index, row, run_id, ...) or named <c>column0</c> beside columns with names of their
/// own (DuckDB's name for the empty header cell of a CSV pandas wrote with its index, converted by <c>read_csv</c>; when DuckDB
/// named every column, the CSV had no header and <c>column0</c> is an example); every other column is an example named by its column name
/// and must be numeric. Without an id column (pandas' default RangeIndex) tasks get the ids "0".."M-1". Nulls are missing cells.</para>
/// <para>Long files: ids may be text or integers; null values are missing cells; a null id or a repeated (task, example) pair is
/// refused with its row numbers. Rows and columns follow the ids' first appearance, or their numeric order when all ids of an
/// axis are whole numbers and the file keeps no order of its own (see the CSV reader). Ids are collected in a first pass over the row groups and values written straight into the
/// matrix in a second, so memory stays close to the matrix itself.</para>
/// <para>Writing: long files hold the observed cells only (task and example as INT64 when every id of the axis is a
/// canonical integer, <see cref="Tables.IdColumns"/>, else UTF-8 strings; value as FLOAT); wide files have a task column
/// (typed by the same rule) and one nullable FLOAT column per example, missing cells as nulls. SNAPPY-compressed.</para>
/// </remarks>
public static class ParquetMatrixFormat
{
    private const string PandasIndex = "__index_level_0__";

    /// <summary>Reads a matrix from a Parquet file.</summary>
    /// <exception cref="ForgettingDataException">The file is not valid Parquet, or its columns do not form a matrix (the message says which and why).</exception>
    public static ForgettingMatrix Read(string path, MatrixReadOptions? options = null)
    {
        using var reader = ParquetReader.Open(path);
        return Read(reader, options ?? new MatrixReadOptions());
    }

    /// <summary>Reads a matrix from a seekable Parquet stream.</summary>
    /// <exception cref="ForgettingDataException">See <see cref="Read(string, MatrixReadOptions?)"/>, or the stream cannot seek.</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ForgettingDataException(sourceName, "Parquet is read from its footer, so it needs a seekable stream; save it to a file first.");
        }

        using var reader = ParquetReader.Open(stream, sourceName, leaveOpen: true);
        return Read(reader, options ?? new MatrixReadOptions());
    }

    /// <summary>Writes <paramref name="matrix"/> to <paramref name="stream"/> as Parquet in the layout the options ask for.</summary>
    /// <exception cref="ArgumentException">A wide file's task column name equals an example id.</exception>
    public static void Write(ForgettingMatrix matrix, Stream stream, MatrixWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var o = options ?? new MatrixWriteOptions();
        if (o.Layout == MatrixLayout.Long)
        {
            WriteLong(matrix, stream, o);
        }
        else
        {
            WriteWide(matrix, stream, o);
        }
    }

    private static ForgettingMatrix Read(ParquetReader reader, MatrixReadOptions o)
    {
        o.Validate();
        var task = Find(reader, o.TaskColumn);
        var example = Find(reader, o.ExampleColumn);
        var value = Find(reader, o.ValueColumn);
        var layout = o.Layout != MatrixLayout.Auto ? o.Layout : task >= 0 && example >= 0 && value >= 0 ? MatrixLayout.Long : MatrixLayout.Wide;
        if (layout == MatrixLayout.Long)
        {
            var missing = new[] { (o.TaskColumn, task), (o.ExampleColumn, example), (o.ValueColumn, value) }.Where(c => c.Item2 < 0).Select(c => Echo.Quote(c.Item1)).ToArray();
            if (missing.Length > 0)
            {
                throw new ForgettingDataException(reader.SourceName, OptionMessage.Of($"long layout needs columns {string.Join(", ", missing)} (found: {Echo.List(reader.Columns.Select(c => c.Name))}); name them with {new OptionReference(DataOptionNames.Columns, "TASK,EXAMPLE,VALUE")}."));
            }

            return ReadLong(reader, task, example, value, o);
        }

        var idColumn = task >= 0 ? task : WideIdColumn(reader);
        return ReadWide(reader, idColumn, RowIndexColumns(reader, idColumn), o);
    }

    // Beside a task id column, the columns that index the rows rather than hold an example: pandas' index (__index_level_0__,
    // Unnamed: 0, the column pyarrow's "pandas" metadata names), whatever it holds, and a whole-number column 'index' or
    // 'row_nr' holding the row numbers 0, 1, 2... in order (polars' with_row_index(), with_row_count() before polars 0.20).
    // Read as examples, they had added an example of row numbers. An 'index' or 'row_nr' of other whole numbers (a filtered
    // frame's old row numbers, or an example so named) reads two ways and is refused; one of decimals is an example.
    private static HashSet<int> RowIndexColumns(ParquetReader reader, int idColumn)
    {
        var left = new HashSet<int>();
        if (idColumn < 0)
        {
            return left;
        }

        var pandas = PandasIndexColumn(reader);
        foreach (var column in reader.Columns.Where(c => c.Index != idColumn))
        {
            if (TableColumns.IsPandasIndex(column.Name) || string.Equals(column.Name, pandas, StringComparison.Ordinal))
            {
                left.Add(column.Index);
            }
            else if (TableColumns.IsRowIndexName(column.Name) && IsWholeNumbers(column))
            {
                if (FirstNonRowNumber(reader, column.Index) is { } row)
                {
                    throw new ForgettingDataException(reader.SourceName, string.Create(CultureInfo.InvariantCulture,
                        $"holds whole numbers beside the task id column {Echo.Quote(reader.Columns[idColumn].Name)}, but not the row numbers 0, 1, 2... in order (row {row.Row + 1} holds {Echo.Quote(row.Value ?? "null")}, not {row.Row}), so it reads two ways: as an index of the rows (polars' with_row_index() or with_row_count() before a filter or sort) or as an example. If it is an index, drop it before writing (df.drop({Echo.Quote(column.Name)})); if it is an example, give it another name (df.rename({{{Echo.Quote(column.Name)}: 'e_index'}}))."),
                        row.Row + 1, column.Name);
                }

                left.Add(column.Index);
            }
        }

        return left;
    }

    // The first row of a column that does not hold its row number (0, 1, 2...), and its value; null when every row does.
    private static (long Row, string? Value)? FirstNonRowNumber(ParquetReader reader, int column)
    {
        var buffer = new string?[MaxRowGroupRows(reader)];
        long offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            reader.ReadStrings(column, g, buffer.AsSpan(0, rows));
            for (var r = 0; r < rows; r++)
            {
                if (buffer[r] != (offset + r).ToString(CultureInfo.InvariantCulture))
                {
                    return (offset + r, buffer[r]);
                }
            }

            offset += rows;
        }

        return null;
    }

    // A wide file's task id column when none is named task: the frame's index as pyarrow records it in the "pandas" metadata
    // (df.set_index("run_id").to_parquet() stores run_id as a column and names it there), pandas' unnamed index column, a
    // first column of text, or a first column of whole numbers under an id's name (id, index, row, task_id, run_id, ...; as
    // DuckDB writes a query's integer key) or named column0 beside named columns (DuckDB's read_csv over pandas' to_csv()
    // output, whose index header cell is empty: read as an example, the task ids had become an example 'column0'). Otherwise -1: every column is an example (an integer matrix's first example
    // keeps its place). An integer column named otherwise had been read as an example, its ids as forgetting values.
    private static int WideIdColumn(ParquetReader reader)
    {
        if (PandasIndexColumn(reader) is { } named && Find(reader, named) is var pandas and >= 0)
        {
            return pandas;
        }

        if (Find(reader, PandasIndex) is var index and >= 0)
        {
            return index;
        }

        if (reader.Columns.Count == 0)
        {
            return -1;
        }

        if (reader.Columns.Count > 2 && TableColumns.IsRowIndexName(reader.Columns[0].Name) && IsWholeNumbers(reader.Columns[0]) && FirstNonRowNumber(reader, 0) is null
            && IsIdColumn(reader.Columns[1]))
        {
            // polars' with_row_index() (with_row_count()) before the ids: the ids are the next column, the row numbers no example.
            return 1;
        }

        var first = reader.Columns[0];
        return first.IsString || TableColumns.IsDuckDbIndex(reader.Columns) || HeaderTakenForRow(reader) || (IsWholeNumbers(first) && IsIdName(first.Name)) ? 0 : -1;
    }

    // Every column named by DuckDB and a whole-number first column whose first cell is null: pandas wrote a frame with integer
    // column labels (header ",0,1,...,6"), which read_csv took for a data row. Read as the ids, so the null id is refused with
    // HeaderAsRowHint rather than the header read as a task. (Without the null, every column DuckDB named is data.)
    private static bool HeaderTakenForRow(ParquetReader reader)
    {
        if (!TableColumns.HasGeneratedNames(reader.Columns) || !IsWholeNumbers(reader.Columns[0]) || reader.RowGroupCount == 0 || reader.GetRowGroupRowCount(0) == 0)
        {
            return false;
        }

        var first = new string?[reader.GetRowGroupRowCount(0)];
        reader.ReadStrings(0, 0, first);
        return first[0] is null;
    }

    // The one index column pyarrow's "pandas" metadata names ({"index_columns": ["run_id"], ...}); null for a RangeIndex (an
    // object there), a MultiIndex (several), no such metadata, or metadata that is not the JSON pyarrow writes.
    private static string? PandasIndexColumn(ParquetReader reader)
    {
        if (reader.MetadataValue("pandas") is not { } json)
        {
            return null;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object
                || !document.RootElement.TryGetProperty("index_columns", out var columns)
                || columns.ValueKind != System.Text.Json.JsonValueKind.Array || columns.GetArrayLength() != 1)
            {
                return null;
            }

            var only = columns[0];
            return only.ValueKind == System.Text.Json.JsonValueKind.String ? only.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    // A column after polars' row numbers that holds the ids: text, or whole numbers under an id's name.
    private static bool IsIdColumn(ParquetColumn column) => column.IsString || (IsWholeNumbers(column) && IsIdName(column.Name) && !TableColumns.IsRowIndexName(column.Name));

    private static bool IsWholeNumbers(ParquetColumn column) =>
        column.PhysicalType is ParquetPhysicalType.Int32 or ParquetPhysicalType.Int64 && column.DecimalScale is null && !column.IsTemporal;

    // Names a column of whole-number ids goes by: the CSV reader's (TableColumns.IsIdColumnName), pandas' index names (empty,
    // Unnamed: 0), and in a typed file also ids, idx, row, rowid, row_nr (polars' with_row_count(), as 'index' is with_row_index()'s), task, tasks, run, runid and anything ending in _id or " id".
    private static bool IsIdName(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        return TableColumns.IsPandasIndex(name) || TableColumns.IsIdColumnName(n) || n is "ids" or "idx" or "row" or "rowid" or "row_nr" or "task" or "tasks" or "run" or "runid"
            || n.EndsWith("_id", StringComparison.Ordinal) || n.EndsWith(" id", StringComparison.Ordinal);
    }

    // A null first id in DuckDB's column0: pandas wrote a frame with integer column labels (header ",0,1,...,6"), which
    // read_csv takes for a data row, so the header became row 1 and the columns column0..columnN.
    private static string HeaderAsRowHint(ParquetReader reader, int idColumn, long row) =>
        row == 0 && idColumn == 0 && TableColumns.HasGeneratedNames(reader.Columns)
            ? " Row 1 may be a header DuckDB's read_csv took for data (its columns are then named column0, column1, ...): pandas writes a frame with integer column labels as ',0,1,2,...', a header of numbers; give the frame text labels before to_csv (df.columns = [f'e{j}' for j in df.columns]), or convert with read_csv(path, header=true)."
            : string.Empty;

    private static int Find(ParquetReader reader, string name)
    {
        var exact = reader.IndexOf(name);
        if (exact >= 0)
        {
            return exact;
        }

        var matches = reader.Columns.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).ToArray();
        return matches.Length == 1 ? matches[0].Index : -1;
    }

    private static ForgettingMatrix ReadWide(ParquetReader reader, int idColumn, HashSet<int> rowIndex, MatrixReadOptions o)
    {
        var examples = reader.Columns.Where(c => c.Index != idColumn && !rowIndex.Contains(c.Index)).ToArray();
        var text = examples.FirstOrDefault(c => c.IsString);
        if (text is not null)
        {
            throw new ForgettingDataException(reader.SourceName, OptionMessage.Of($"holds text, but a wide matrix has one numeric column per example (and one task id column); for one row per cell name the columns task,example,value or pass {new OptionReference(DataOptionNames.Columns)}."), column: text.Name);
        }

        var m = reader.RowCount;
        var n = examples.Length;
        if (m > int.MaxValue || m * (long)n > Array.MaxLength)
        {
            throw new ForgettingDataException(reader.SourceName, string.Create(CultureInfo.InvariantCulture, $"{m} rows x {n} example columns is more cells than one matrix holds ({Array.MaxLength}); split the examples into several files."));
        }

        o.CheckCells(reader.SourceName, m, n);

        var values = new float[m * n];
        var buffer = new float[MaxRowGroupRows(reader)];
        var taskIds = idColumn >= 0 ? new string[m] : null;
        var ids = idColumn >= 0 ? new string?[buffer.Length] : null;
        long offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            for (var j = 0; j < n; j++)
            {
                reader.ReadFloats(examples[j].Index, g, buffer.AsSpan(0, rows));
                for (var r = 0; r < rows; r++)
                {
                    values[((offset + r) * n) + j] = buffer[r];
                }
            }

            if (ids is not null)
            {
                reader.ReadStrings(idColumn, g, ids.AsSpan(0, rows));
                for (var r = 0; r < rows; r++)
                {
                    taskIds![offset + r] = ids[r] ?? throw new ForgettingDataException(reader.SourceName, "a task id is null; every row needs an id." + HeaderAsRowHint(reader, idColumn, offset + r), offset + r + 1, reader.Columns[idColumn].Name, string.Create(CultureInfo.InvariantCulture, $"row group {g}"));
                }
            }

            offset += rows;
        }

        if (taskIds is not null)
        {
            CheckUniqueTasks(reader, idColumn, taskIds, o);
        }

        return Wrap(reader.SourceName, values, (int)m, n, taskIds, examples.Select(c => c.Name).ToArray());
    }

    // A wide matrix's task ids repeated, said with the column and both rows (1-based), as the CSV reader says it; a table
    // that names the example column too is most likely a long one whose value column has another name ('loss': DuckDB's
    // COPY of a query), and the fix names its columns.
    private static void CheckUniqueTasks(ParquetReader reader, int idColumn, string[] taskIds, MatrixReadOptions o)
    {
        var first = new Dictionary<string, int>(taskIds.Length, StringComparer.Ordinal);
        for (var r = 0; r < taskIds.Length; r++)
        {
            if (!first.TryAdd(taskIds[r], r))
            {
                var name = reader.Columns[idColumn].Name;
                var example = Find(reader, o.ExampleColumn);
                var (value, which) = TableColumns.ValueColumnFix([.. reader.Columns.Where(c => c.Index != idColumn && c.Index != example).Select(c => c.Name)]);
                var repeated = string.Create(CultureInfo.InvariantCulture,
                    $"task {Echo.Quote(taskIds[r])} appears twice, in rows {first[taskIds[r]] + 1} and {r + 1}; task ids must be unique (keep one row per task).");
                var message = example >= 0 && o.Layout == MatrixLayout.Auto
                    ? OptionMessage.Of($"{repeated} If this is a long table (one row per cell), read it with {new OptionReference(DataOptionNames.Layout, "long")} and {new OptionReference(DataOptionNames.Columns, $"{name},{reader.Columns[example].Name},{value}")}{which}.")
                    : OptionMessage.Of($"{repeated}");
                throw new ForgettingDataException(reader.SourceName, message, r + 1, name);
            }
        }
    }

    private static ForgettingMatrix ReadLong(ParquetReader reader, int taskColumn, int exampleColumn, int valueColumn, MatrixReadOptions o)
    {
        if (reader.RowCount > int.MaxValue)
        {
            throw new ForgettingDataException(reader.SourceName, "has more rows than ForgetPredict reads from one file (2^31); split it.");
        }

        // Pass 1: the ids, in first-appearance order. Ids are read as indices into a table of their distinct values, so
        // no row allocates: a string per row (12 million for an 85 x 141,816 matrix) had kept the collector busy.
        var tasks = new LongIds(reader, taskColumn);
        var examples = new LongIds(reader, exampleColumn);
        var rowsMax = MaxRowGroupRows(reader);
        var taskRows = new int[rowsMax];
        var exampleRows = new int[rowsMax];
        ForEachRowGroup(reader, tasks, examples, taskRows, exampleRows, (g, offset, rows) =>
        {
            for (var r = 0; r < rows; r++)
            {
                tasks.Add(taskRows[r], g, offset + r);
                examples.Add(exampleRows[r], g, offset + r);
            }
        });

        int m = tasks.Count, n = examples.Count;
        var values = LongMatrixLimits.Allocate(reader.SourceName, 0, m, n, reader.RowCount, o);

        // Pass 2: the values, straight into the matrix; a bitmap of filled cells catches repeated pairs.
        var filled = new ulong[((long)m * n + 63) / 64];
        var numbers = new float[rowsMax];
        var order = new LongIdOrder(tasks.Ids, examples.Ids);
        ForEachRowGroup(reader, tasks, examples, taskRows, exampleRows, (g, offset, rows) =>
        {
            reader.ReadFloats(valueColumn, g, numbers.AsSpan(0, rows));
            for (var r = 0; r < rows; r++)
            {
                int task = tasks.Position(taskRows[r]), example = examples.Position(exampleRows[r]);
                order.Note(task, example);
                var cell = ((long)task * n) + example;
                if ((filled[cell >> 6] & (1UL << (int)(cell & 63))) != 0)
                {
                    throw Duplicate(reader, tasks, examples, taskRows[r], exampleRows[r], offset + r + 1);
                }

                filled[cell >> 6] |= 1UL << (int)(cell & 63);
                values[cell] = numbers[r];
            }
        });

        var (ordered, taskIds, exampleIds) = order.Apply(values, m, n, tasks.Ids, examples.Ids);
        return Wrap(reader.SourceName, ordered, m, n, taskIds, exampleIds);
    }

    private static void ForEachRowGroup(ParquetReader reader, LongIds tasks, LongIds examples, int[] taskRows, int[] exampleRows, Action<int, long, int> body)
    {
        long offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            tasks.Read(g, taskRows.AsSpan(0, rows));
            examples.Read(g, exampleRows.AsSpan(0, rows));
            body(g, offset, rows);
            offset += rows;
        }
    }

    private static ForgettingDataException EmptyId(ParquetReader reader, int column, int rowGroup, long row) =>
        new(reader.SourceName, "an id is null or empty; every row needs a task and an example id.", row + 1, reader.Columns[column].Name, string.Create(CultureInfo.InvariantCulture, $"row group {rowGroup}"));

    // Error path only: find the first row of the repeated pair to name both rows.
    private static ForgettingDataException Duplicate(ParquetReader reader, LongIds tasks, LongIds examples, int task, int example, long row)
    {
        var rowsMax = MaxRowGroupRows(reader);
        var taskRows = new int[rowsMax];
        var exampleRows = new int[rowsMax];
        long first = 0;
        ForEachRowGroup(reader, tasks, examples, taskRows, exampleRows, (_, offset, rows) =>
        {
            for (var r = 0; r < rows && first == 0; r++)
            {
                first = taskRows[r] == task && exampleRows[r] == example ? offset + r + 1 : 0;
            }
        });
        return new ForgettingDataException(reader.SourceName, string.Create(CultureInfo.InvariantCulture,
            $"task {Echo.Quote(tasks.Text(task))}, example {Echo.Quote(examples.Text(example))} appears twice, in rows {first} and {row}; keep one value per cell (average repeated measurements first)."), row);
    }

    private static int MaxRowGroupRows(ParquetReader reader)
    {
        long max = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            max = Math.Max(max, reader.GetRowGroupRowCount(g));
        }

        return (int)Math.Min(max, int.MaxValue);
    }

    /// <summary>One id column of a long file: each row's id as an index into a table of the distinct values (text read
    /// once per value), and the ids in order of first appearance.</summary>
    private sealed class LongIds(ParquetReader reader, int column)
    {
        private readonly ParquetColumn _info = reader.Columns[column];
        private readonly Utf8IdTable _table = new();
        private int[] _positions = new int[1024]; // table index -> 1 + position in first-appearance order; 0 = unseen
        private long[] _numbers = [];
        private bool[] _present = [];
        private string?[] _text = [];

        /// <summary>The ids in order of first appearance.</summary>
        public List<string> Ids { get; } = [];

        public int Count => Ids.Count;

        /// <summary>Reads row group <paramref name="rowGroup"/>'s ids as table indices, -1 for null.</summary>
        public void Read(int rowGroup, Span<int> rows)
        {
            if (_info.PhysicalType == ParquetPhysicalType.ByteArray)
            {
                reader.ReadIds(column, rowGroup, rows, _table);
                return;
            }

            if (_info.PhysicalType is ParquetPhysicalType.Int32 or ParquetPhysicalType.Int64 && _info.DecimalScale is null && !_info.IsTemporal && !HasNull(rowGroup, rows.Length))
            {
                // Whole numbers as ReadStrings writes them (culture-invariant; unsigned INT64 as ulong), formatted on the stack.
                if (_numbers.Length < rows.Length)
                {
                    _numbers = new long[rows.Length];
                }

                reader.ReadInt64s(column, rowGroup, _numbers);
                var unsigned = _info.IsUnsigned && _info.PhysicalType == ParquetPhysicalType.Int64;
                Span<byte> digits = stackalloc byte[24];
                for (var r = 0; r < rows.Length; r++)
                {
                    var number = _numbers[r];
                    int written;
                    _ = unsigned ? ((ulong)number).TryFormat(digits, out written, default, CultureInfo.InvariantCulture) : number.TryFormat(digits, out written, default, CultureInfo.InvariantCulture);
                    rows[r] = _table.GetOrAdd(digits[..written]);
                }

                return;
            }

            // Other types (decimals, booleans, floats): as text, then through the table.
            if (_text.Length < rows.Length)
            {
                _text = new string?[rows.Length];
            }

            reader.ReadStrings(column, rowGroup, _text.AsSpan(0, rows.Length));
            for (var r = 0; r < rows.Length; r++)
            {
                rows[r] = _text[r] is { } text ? _table.GetOrAdd(text) : -1;
            }

            Array.Clear(_text, 0, rows.Length);
        }

        /// <summary>Checks row <paramref name="row"/>'s id (refusing null or empty) and notes its first appearance.</summary>
        public void Add(int id, int rowGroup, long row)
        {
            if (id < 0)
            {
                throw EmptyId(reader, column, rowGroup, row);
            }

            if (id >= _positions.Length)
            {
                Array.Resize(ref _positions, Math.Max(id + 1, 2 * _positions.Length));
            }

            if (_positions[id] == 0)
            {
                // An empty id is refused on its first row, as every row is read in order: checking it once per value suffices.
                if (_table[id].Length == 0)
                {
                    throw EmptyId(reader, column, rowGroup, row);
                }

                Ids.Add(_table[id]);
                _positions[id] = Ids.Count;
            }
        }

        /// <summary>The position of a table index in first-appearance order (the index was seen in pass 1).</summary>
        public int Position(int id) => _positions[id] - 1;

        public string Text(int id) => _table[id];

        // Whether a nullable column holds a null in the row group (read from the levels only); nulls go the text way,
        // where pass 1 refuses them.
        private bool HasNull(int rowGroup, int rows)
        {
            if (!_info.IsNullable)
            {
                return false;
            }

            if (_present.Length < rows)
            {
                _present = new bool[rows];
            }

            reader.ReadPresence(column, rowGroup, _present);
            return _present.AsSpan(0, rows).Contains(false);
        }
    }

    private static ForgettingMatrix Wrap(string source, float[] values, int m, int n, IReadOnlyList<string>? taskIds, IReadOnlyList<string> exampleIds)
    {
        try
        {
            return ForgettingMatrix.Wrap(values, m, n, taskIds, exampleIds);
        }
        catch (ArgumentException e)
        {
            throw new ForgettingDataException(source, e.Message.Split(" (Parameter", 2)[0], innerException: e);
        }
    }

    private static void WriteLong(ForgettingMatrix matrix, Stream stream, MatrixWriteOptions o)
    {
        const int Chunk = 1 << 20;
        // Ids under the output rule (Tables.IdColumns): INT64 when every id of the axis is a canonical integer, else text.
        var taskNumbers = Tables.IdColumns.AsIntegerArray(matrix.TaskIds);
        var exampleNumbers = Tables.IdColumns.AsIntegerArray(matrix.ExampleIds);
        using var writer = ParquetWriter.Create(stream, [new(o.TaskColumn, taskNumbers is null ? ParquetValueType.String : ParquetValueType.Int64), new(o.ExampleColumn, exampleNumbers is null ? ParquetValueType.String : ParquetValueType.Int64), new(o.ValueColumn, ParquetValueType.Float)], leaveOpen: true);
        var tasks = taskNumbers is null ? new string?[Chunk] : null;
        var examples = exampleNumbers is null ? new string?[Chunk] : null;
        var taskValues = taskNumbers is null ? null : new long[Chunk];
        var exampleValues = exampleNumbers is null ? null : new long[Chunk];
        var values = new float[Chunk];
        var exampleIds = matrix.ExampleIds.ToArray();
        var count = 0;
        void Flush()
        {
            if (count > 0)
            {
                writer.WriteRowGroup([
                    tasks is null ? ParquetColumnData.FromInt64s(taskValues.AsMemory(0, count)) : ParquetColumnData.FromStrings(tasks.AsMemory(0, count)),
                    examples is null ? ParquetColumnData.FromInt64s(exampleValues.AsMemory(0, count)) : ParquetColumnData.FromStrings(examples.AsMemory(0, count)),
                    ParquetColumnData.FromFloats(values.AsMemory(0, count))]);
                count = 0;
            }
        }

        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var taskId = matrix.TaskIds[i];
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (float.IsNaN(row[j]))
                {
                    continue;
                }

                if (tasks is null)
                {
                    taskValues![count] = taskNumbers![i];
                }
                else
                {
                    tasks[count] = taskId;
                }

                if (examples is null)
                {
                    exampleValues![count] = exampleNumbers![j];
                }
                else
                {
                    examples[count] = exampleIds[j];
                }

                values[count++] = row[j];
                if (count == Chunk)
                {
                    Flush();
                }
            }
        }

        Flush();
        writer.Complete();
    }

    private static void WriteWide(ForgettingMatrix matrix, Stream stream, MatrixWriteOptions o)
    {
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var exampleIds = matrix.ExampleIds.ToArray();
        if (exampleIds.Contains(o.TaskColumn, StringComparer.Ordinal))
        {
            throw new OptionException(OptionMessage.Of($"An example is called '{o.TaskColumn}', the name of the task id column, so the file would read back with that example taken for the task ids; write the long layout ({new OptionReference(DataOptionNames.WriteLayout, "long")}), or .npz or .json, which keep the ids apart from the examples, or name the task column otherwise ({new OptionReference(DataOptionNames.WriteColumns)})."));
        }

        if (exampleIds.Contains(o.ExampleColumn, StringComparer.Ordinal) && exampleIds.Contains(o.ValueColumn, StringComparer.Ordinal))
        {
            // Columns task, example and value are the long layout's: the file would read back as a long table, losing the rest.
            throw new OptionException(OptionMessage.Of($"Examples are called '{o.ExampleColumn}' and '{o.ValueColumn}', which with the task column '{o.TaskColumn}' name the long layout's columns, so the file would read back as a long table; write the long layout ({new OptionReference(DataOptionNames.WriteLayout, "long")}) or name the columns otherwise ({new OptionReference(DataOptionNames.WriteColumns)})."));
        }

        // The task ids under the output rule (Tables.IdColumns): INT64 when every one is a canonical integer, else text.
        var taskNumbers = Tables.IdColumns.AsIntegerArray(matrix.TaskIds);
        var specs = new List<ParquetColumnSpec>(n + 1) { new(o.TaskColumn, taskNumbers is null ? ParquetValueType.String : ParquetValueType.Int64) };
        specs.AddRange(exampleIds.Select(id => new ParquetColumnSpec(id, ParquetValueType.Float, IsNullable: true)));
        var columns = new List<ParquetColumnData>(n + 1) { taskNumbers is null ? ParquetColumnData.FromStrings(matrix.TaskIds.ToArray()) : ParquetColumnData.FromInt64s(taskNumbers) };
        for (var j = 0; j < n; j++)
        {
            var column = new float[m];
            var isNull = new bool[m];
            for (var i = 0; i < m; i++)
            {
                column[i] = matrix[i, j];
                isNull[i] = float.IsNaN(column[i]);
            }

            columns.Add(ParquetColumnData.FromFloats(column, isNull));
        }

        using var writer = ParquetWriter.Create(stream, specs, leaveOpen: true);
        writer.WriteRowGroup(columns);
        writer.Complete();
    }
}
