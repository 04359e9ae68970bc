using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Reads and writes forgetting matrices as delimited text (CSV, TSV), in the wide or the long layout.
/// </summary>
/// <remarks>
/// <para><b>Wide</b> (what <c>DataFrame.to_csv()</c> writes for a tasks x examples frame):</para>
/// <code>
/// task,ex_0,ex_1,ex_2        header: first cell is the index name (often empty), then the example ids
/// t0,0.012,,0.3              one row per task: its id, then one cell per example
/// t1,NaN,0.25,1.5e-05        empty, NaN, nan, NA (and pandas' other NA markers) are missing cells
/// </code>
/// <para><b>Long</b> (one row per observed cell; columns task, example, value in any order, more columns allowed):</para>
/// <code>
/// example,task,value,seed
/// ex_0,t0,0.012,1
/// </code>
/// <para>Wide files without ids are recognised: a first line of numbers that is not pandas' 0, 1, 2... column header is
/// data (<c>np.savetxt</c>, <c>to_csv(header=False)</c>), unless it is all whole numbers and the next line starts with a
/// value written with a decimal point or an exponent, or missing (then it is a header of integer example ids, as
/// <c>to_csv(index=False)</c> writes them); a first line of a name followed by numbers, one of
/// them with a decimal point or an exponent, is data too (<c>to_csv(header=False)</c> with a named index: example ids are names or
/// integers), unless the name is that of an id column (task, task_id, id, index, name: this format's own header when the
/// example ids look like numbers); examples are then numbered 0, 1, 2...; a first data cell that is
/// missing or written with a decimal point or exponent is a value, not a task id (<c>to_csv(index=False)</c>), and
/// tasks are numbered, unless the first header cell is empty or names an id column (task, task_id, id, index, name).</para>
/// <para>Long files: task and example ids are taken in order of first appearance, except that ids that are all whole
/// numbers are put in numeric order unless the file keeps an order of its own (<see cref="LongIdOrder"/>: a matrix without
/// ids, and one whose whole-number ids are in another order, round-trip exactly); cells no row mentions are missing; a cell named
/// twice is refused with both line numbers. The layout is detected from the header (long when it names all three long
/// columns) unless <see cref="MatrixReadOptions.Layout"/> says otherwise; when the header could also be a wide matrix's
/// (a first column that is pandas' index, or 'task' followed by more than two columns), it is read as long unless its first
/// 64 rows say otherwise (a fractional number in the example column, or text in pandas' index column, is a wide matrix's),
/// and whole numbers written as decimals there fit both and are refused naming the layout option (a stream that cannot be
/// read twice is read as long; the writer refuses a wide matrix whose examples include all three long columns).</para>
/// <para>Text is UTF-8 with or without a byte order mark, RFC 4180 quoting, LF or CRLF line ends. Numbers are
/// culture-invariant ('.' decimal point); a decimal comma, an infinity or a ragged row is refused naming the line and
/// column.</para>
/// <para>Reading streams the file through a 1 MiB buffer and parses numbers straight from the UTF-8 bytes. A wide file
/// needs at most about twice the matrix in memory. A long file is read in two passes (ids first, then values straight
/// into the matrix), so it needs the matrix, one bit per cell and its ids; a stream that cannot be rewound is read in
/// one pass that keeps 12 bytes per row until the shape is known. The matrix a
/// long file implies is capped by what it could justify: at most 1,000 cells per row of the file (or 2^20 cells,
/// whichever is larger) and <see cref="Array.MaxLength"/>.</para>
/// </remarks>
public static class CsvMatrixFormat
{
    /// <summary>A long file may imply at most this many matrix cells per data row (a 0.1% dense matrix).</summary>
    public const int MaxCellsPerLongRow = 1000;

    /// <summary>A long file may always imply this many cells (4 MiB of float32), however few rows it has.</summary>
    public const int MinLongCellAllowance = 1 << 20;

    /// <summary>Reads a matrix from a CSV or TSV file (tab-delimited when the name ends in .tsv or .tab).</summary>
    /// <exception cref="ForgettingDataException">The file is missing or malformed (the message names the line, column and fix).</exception>
    public static ForgettingMatrix Read(string path, MatrixReadOptions? options = null)
    {
        using var stream = InputFile.OpenText(path);
        return Read(stream, path, options);
    }

    /// <summary>Reads a matrix from delimited text in <paramref name="stream"/> (left open); <paramref name="sourceName"/> names it in messages and, by its extension, picks tab for .tsv/.tab.</summary>
    /// <exception cref="ForgettingDataException">The text is malformed.</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new MatrixReadOptions();
        options.Validate();
        var start = stream.CanSeek ? stream.Position : -1;
        using var csv = Utf8CsvReader.Create(stream, sourceName, options.Delimiter ?? DelimiterFor(sourceName), leaveOpen: true);
        if (!csv.NextRecord())
        {
            throw new ForgettingDataException(sourceName, "the file is empty; expected a header row (example ids for the wide layout, or task,example,value for the long layout) and data rows.");
        }

        var headerLine = csv.RecordLine;
        // A header of more examples than the cells accepted is refused before it is read whole: each row holds that many.
        var header = csv.ReadRemainingFields(maxFields: options.MaxCells is { } max ? max + 2 : long.MaxValue);
        if (options.MaxCells is { } limit && header.Count > limit + 1)
        {
            MatrixReadOptions.CheckCells(limit, sourceName, 1, header.Count - 1, soFar: true);
        }

        if (header.Count > 0 && header[0].StartsWith("# ", StringComparison.Ordinal))
        {
            // np.savetxt(header="a,b", delimiter=",") writes its header as a comment, "# a,b": the names are after the '# '.
            header[0] = header[0][2..];
        }

        var names = header.Select(h => h.Trim()).ToArray();
        var taskColumn = TableColumns.IndexOf(names, options.TaskColumn);
        var exampleColumn = TableColumns.IndexOf(names, options.ExampleColumn);
        var valueColumn = TableColumns.IndexOf(names, options.ValueColumn);
        var isLong = options.Layout switch
        {
            MatrixLayout.Long => true,
            MatrixLayout.Wide => false,
            _ => taskColumn >= 0 && exampleColumn >= 0 && valueColumn >= 0,
        };
        if (options.Layout == MatrixLayout.Auto && isLong && start >= 0 && (TableColumns.IsPandasIndex(names[0]) || (taskColumn == 0 && names.Length > 3)))
        {
            // The header names the long layout's columns, but it is also a wide matrix's: task ids first (pandas' index,
            // unnamed or named 'task'), then example ids that include task, example and value. The first rows decide
            // (an input read once, a pipe, stays long).
            var layout = LayoutOfFirstRows(csv, names, taskColumn, exampleColumn, headerLine, valueColumn);
            stream.Position = start;
            return Read(stream, sourceName, options with { Layout = layout });
        }

        if (options.Layout == MatrixLayout.Auto && !isLong && taskColumn > 0 && exampleColumn > 0)
        {
            // The long layout's task and example columns after a first column (pandas' index, as
            // df.stack().reset_index().to_csv() writes, or a row number) and a value column of another name: read as wide,
            // its rows would be tasks, and 'task' and 'example' two examples whose cells are the ids. The first rows decide,
            // as above (ids with a fraction are a wide matrix's values); a long table is refused with the fix, since which
            // column holds the values is not known.
            if (start < 0 || LayoutOfFirstRows(csv, names, taskColumn, exampleColumn, headerLine) == MatrixLayout.Long)
            {
                throw new ForgettingDataException(sourceName, OptionMessage.Of(LongUnderAnIndex(TableColumns.PandasNames(names), taskColumn, exampleColumn)), headerLine);
            }

            stream.Position = start;
            return Read(stream, sourceName, options with { Layout = MatrixLayout.Wide });
        }

        if (!isLong)
        {
            try
            {
                return ReadWide(csv, header, headerLine, start >= 0 ? stream : null, start, options.TaskColumn, options.MaxCells);
            }
            catch (ForgettingDataException e) when (options.Layout == MatrixLayout.Auto && names.Length == 3 && e.Line > 0 && !names.Any(n => n.Length > 0 && LooksLikeValue(n)))
            {
                // A header of three names (pandas' melt or stack: 'index,variable,value', ',,0') that fails as a wide matrix
                // (a task id repeated, a text value, an empty example id: a row's fault) is most likely a long table under
                // other names. A fault of the file as a whole (a damaged gzip) is not.
                throw new ForgettingDataException(sourceName, OptionMessage.Of(
                    $"{e.Detail} If this is a long table (one row per cell), read it with {new OptionReference(DataOptionNames.Layout, "long")} and {new OptionReference(DataOptionNames.Columns, string.Join(",", TableColumns.PandasNames(names)))}."),
                    e.Line, e.Column, e.Location, e);
            }
            catch (ForgettingDataException e) when (options.Layout == MatrixLayout.Auto && e.Column is not null && LooksLong(names))
            {
                // A few columns, one of them text: most likely a long table whose columns are named otherwise.
                throw new ForgettingDataException(sourceName, OptionMessage.Of(
                    $"{e.Detail} If this is a long table (one row per cell; its columns are {Shown(TableColumns.PandasNames(names))}), name its task, example and value columns with {new OptionReference(DataOptionNames.Columns, "TASK,EXAMPLE,VALUE")}."),
                    e.Line, e.Column, e.Location, e);
            }
        }

        if (taskColumn < 0 || exampleColumn < 0 || valueColumn < 0)
        {
            var missing = new[] { (taskColumn, options.TaskColumn), (exampleColumn, options.ExampleColumn), (valueColumn, options.ValueColumn) }
                .Where(x => x.Item1 < 0).Select(x => Echo.Quote(x.Item2));
            throw new ForgettingDataException(sourceName,
                OptionMessage.Of($"the long layout needs columns '{options.TaskColumn}', '{options.ExampleColumn}' and '{options.ValueColumn}' but the header has no {string.Join(" or ", missing)} (it has {Shown(TableColumns.PandasNames(names))}). Rename the columns, name them in the options ({new OptionReference(DataOptionNames.Columns, "TASK,EXAMPLE,VALUE")}), or read the file as wide ({new OptionReference(DataOptionNames.Layout, "wide")})."),
                headerLine);
        }

        var columns = new LongLayout(names, taskColumn, exampleColumn, valueColumn) { Options = options };
        return start >= 0
            ? ReadLongTwoPass(csv, stream, start, columns, headerLine)
            : ReadLongOnePass(csv, columns, headerLine);
    }

    /// <summary>
    /// Writes <paramref name="matrix"/> as delimited UTF-8 text (no byte order mark, LF line ends): wide (header
    /// <c>task,&lt;example ids&gt;</c>, the first cell empty when an example is named 'task', then one row per task, missing
    /// cells empty) or long (header
    /// <c>task,example,value</c>, one row per observed cell in row-major order). Values are float32 shortest
    /// round-trip text, a whole one with ".0" (<c>1.0</c>, <c>-0.0</c>) as pandas writes floats, so pandas and numpy read back
    /// identical float32 values, as floats (a column of whole values is no int64 column, and -0.0 keeps its sign).
    /// </summary>
    public static void Write(ForgettingMatrix matrix, Stream stream, MatrixWriteOptions? options = null, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new MatrixWriteOptions();
        options.Validate();
        using var output = new Utf8TextWriter(stream, (byte)delimiter);
        if (options.Layout == MatrixLayout.Long)
        {
            output.Field(options.TaskColumn).Delimiter().Field(options.ExampleColumn).Delimiter().Field(options.ValueColumn).EndLine();
            var exampleIds = new byte[matrix.ExampleCount][];
            for (var i = 0; i < matrix.TaskCount; i++)
            {
                var row = matrix.Row(i);
                byte[]? taskId = null;
                for (var j = 0; j < row.Length; j++)
                {
                    if (float.IsNaN(row[j]))
                    {
                        continue;
                    }

                    taskId ??= output.Encode(matrix.TaskIds[i]);
                    exampleIds[j] ??= output.Encode(matrix.ExampleIds[j]);
                    output.Raw(taskId).Delimiter().Raw(exampleIds[j]).Delimiter().FloatNumber(row[j]).EndLine();
                }
            }

            return;
        }

        // The index column's name must not be an example id too (a header "task,task" reads back as pandas' 'task.1'), nor
        // complete the long layout's header with two examples (task,example,value,z reads back as a long table, losing
        // column z): then the cell is left empty, pandas' unnamed index, which every reader takes for the ids.
        var ambiguous = matrix.ExampleIds.IndexOf(options.TaskColumn) >= 0
            || (matrix.ExampleIds.IndexOf(options.ExampleColumn) >= 0 && matrix.ExampleIds.IndexOf(options.ValueColumn) >= 0);
        // When the examples include all three long columns the header is a long table's too, and rows of whole numbers fit
        // both layouts (a long table's ids, or a wide matrix's values): refused, as the Parquet writer refuses, naming the fix.
        // (the reader's default names count too: a file written with other column names is read with the defaults)
        foreach (var (task, example, value) in new[] { (options.TaskColumn, options.ExampleColumn, options.ValueColumn), ("task", "example", "value") })
        {
            if (matrix.ExampleIds.IndexOf(task) >= 0 && matrix.ExampleIds.IndexOf(example) >= 0 && matrix.ExampleIds.IndexOf(value) >= 0)
            {
                throw new OptionException(OptionMessage.Of($"Examples are called '{task}', '{example}' and '{value}', the long layout's columns, so the file could read back as a long table; write the long layout ({new OptionReference(DataOptionNames.WriteLayout, "long")}), or write .npz or .json, which keep ids as they are."));
            }
        }

        output.Field(ambiguous ? string.Empty : options.TaskColumn);
        for (var j = 0; j < matrix.ExampleCount; j++)
        {
            output.Delimiter().Field(matrix.ExampleIds[j]);
        }

        output.EndLine();
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            output.Field(matrix.TaskIds[i]);
            foreach (var v in matrix.Row(i))
            {
                output.Delimiter().FloatNumber(v);
            }

            output.EndLine();
        }
    }

    /// <summary>Tab for names ending in .tsv or .tab, else null (sniff).</summary>
    internal static char? DelimiterFor(string sourceName) =>
        InputFile.ReaderExtension(sourceName) is ".tsv" or ".tab" ? '\t' : null;

    // A seekable stream is pre-scanned for its line breaks (fast, from the page cache) to bound the rows, so the rows go
    // straight into one array: 1x the matrix instead of 2x. The bound is also capped by the bytes left / (N + 1), since
    // every row holds at least N delimiters and a line end, so blank lines cannot inflate the allocation.
    private static ForgettingMatrix ReadWide(Utf8CsvReader csv, List<string> header, long headerLine, Stream? seekable, long start, string taskColumn, long? maxCells)
    {
        var source = csv.SourceName;

        // np.savetxt writes no header and no task ids: a first row of numbers (not the 0, 1, 2... of a pandas column
        // index) is data, and the examples are numbered.
        var headerless = IsDataRow(header, taskColumn);
        string? firstCell = null;

        // A first line of whole numbers alone is either a header of integer example ids (pandas to_csv(index=False) of a
        // frame whose columns are 10, 20, 30...) or a row of an integer matrix (np.savetxt fmt='%d'). The second line
        // tells them apart: a value written with a decimal point or an exponent, or missing, under integers is a header.
        var wholeNumbers = headerless && header.All(f => IsNumber(f) && !LooksLikeValue(f));
        if (!headerless || wholeNumbers)
        {
            if (csv.NextRecord())
            {
                csv.TryReadField(out var peek);
                firstCell = Utf8CsvReader.StrictText(peek, source, csv.RecordLine, "1");
            }
            else if (!headerless)
            {
                throw new ForgettingDataException(source, "the file has a header but no task rows.", headerLine);
            }

            headerless &= firstCell is null || !LooksLikeValue(firstCell);

            // A missing first value, then values written as decimals (",0.22,0.33" from to_csv(header=False, index=False)) is
            // not pandas' unnamed index over decimal example ids when the next line starts with a value too: a header's index
            // column heads task ids, which are names or integers. It is the first row of a matrix without ids.
            // But when those header values are distinct whole numbers written as decimals, not all 0 or 1 (a binary row), and
            // so is the first cell (",100.0,101.0" over "0.0,0.0856,...": pandas' pivot of ids that were floats), both
            // readings fit, and the file is refused.
            if (firstCell is not null && header.Count > 1 && header[0].Trim().Length == 0 && IsWholeDecimal(firstCell) && header.Skip(1).All(IsWholeDecimal)
                && header.Skip(1).Select(f => f.Trim()).Distinct(StringComparer.Ordinal).Count() == header.Count - 1
                && header.Skip(1).Any(f => KindOf(f, out var v) == CellKind.Number && v is not (0 or 1)))
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                    $"the first line ({Shown(header)}) reads two ways: as pandas' unnamed index over example ids written as decimals (a pivot of ids held as floats, whose task ids then read {Echo.Quote(firstCell)}, ...), or as a first row of values whose first value is missing. Write the ids as integers or text (df.index = df.index.astype(int); df.columns = df.columns.astype(int)) before to_csv, or save the matrix as .npz with task_ids and example_ids."), headerLine);
            }

            headerless |= firstCell is not null && header.Count > 1 && header[0].Trim().Length == 0 && LooksLikeValue(firstCell)
                && header.Skip(1).All(f => IsNumber(f) && LooksLikeValue(f));
        }

        // pandas to_csv(index=False) writes no task ids either: a first cell that is a fractional number or missing is a
        // value, not an id (ids are names or integers), and the tasks are numbered. But an empty first header cell is
        // pandas' unnamed index, and a first column named like an id column holds ids whatever they look like. A header
        // that is exactly pandas' default column names 0, 1, ..., n-1 has no index column (with one pandas writes an
        // empty first header cell), so a number in its first column is data even when it is an integer.
        var withIds = headerless
            ? !LooksLikeValue(header[0])
            : NamesIds(header[0], taskColumn) || (!LooksLikeValue(firstCell!) && !(IsPandasColumnSequence(header) && IsNumber(firstCell!)));
        if (!headerless && firstCell is not null && TableColumns.IndexOf([.. header.Select(h => h.Trim())], taskColumn) is var k and > 0)
        {
            // A column named task after the first: the ids when it holds names (polars writes its columns in any order, and
            // with_row_index() or pandas' to_csv() put their row numbers first), else an example as before.
            return ReadWideWithTaskColumn(csv, header, headerLine, firstCell, k, withIds, maxCells);
        }

        var n = header.Count - (withIds ? 1 : 0);
        if (n < 1)
        {
            // A .tsv whose one header cell holds commas: named for tabs and written with commas (a .csv sniffs its delimiter).
            var single = OptionMessage.Of($"the header has a single column ({Shown(header)}); a wide matrix needs the task id column followed by one column per example, and a long one needs columns task,example,value (see {new OptionReference(DataOptionNames.Layout)} and {new OptionReference(DataOptionNames.Columns)}).");
            throw new ForgettingDataException(source, csv.Delimiter == (byte)'\t' && header[0].Contains(',', StringComparison.Ordinal)
                ? single.Then(OptionMessage.Of($"Its cells are separated by commas, not the tabs a {Path.GetExtension(source)} file's are: name the file .csv or pass {new OptionReference(DataOptionNames.Format, "csv")}."))
                : single.Then(OptionMessage.Of($"If the values are separated by spaces (np.savetxt's default), name the file .txt or pass {new OptionReference(DataOptionNames.Format, "txt")}; if by tabs, name it .tsv.")), headerLine);
        }

        var exampleIds = headerless ? null : ExampleIds(source, header, withIds, headerLine);
        var expectedRows = 0;
        if (seekable is not null)
        {
            var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                var lines = Utf8CsvReader.CountLines(seekable, start, scratch) - (headerless ? headerLine - 1 : headerLine);
                var bySize = (seekable.Length - start) / (n + 1);
                expectedRows = (int)Math.Clamp(Math.Min(lines, bySize), 0, Array.MaxLength / n);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        var rows = new RowBuffer(n, source, expectedRows, maxCells);
        var taskIds = new List<string>();
        var checks = new WideRowChecks(source, header, headerless, withIds ? 0 : -1, exampleIds, csv.Delimiter == (byte)',');
        if (headerless)
        {
            // pandas to_csv(header=False) keeps the index: the first field of the first line is then its task id. The line
            // is split into as many fields as there are columns (it sets their count).
            var fields = header;
            string? firstId = null;
            if (withIds)
            {
                firstId = header[0];
                checks.TaskId(firstId, headerLine);
                taskIds.Add(firstId);
                fields = header.GetRange(1, header.Count - 1);
            }

            var row = rows.AddRow(headerLine);
            for (var j = 0; j < fields.Count; j++)
            {
                ParseCell(source, System.Text.Encoding.UTF8.GetBytes(fields[j]), row, j, headerLine, firstId, exampleIds);
            }
        }

        ParseDataRows(csv, firstCell, withIds, rows, taskIds, n, checks);

        if (rows.Rows == 0)
        {
            throw new ForgettingDataException(source, "the file has a header but no task rows.", headerLine);
        }

        var matrix = rows.ToArray();
        if (!headerless && CouldBeIntegerRow(header, taskColumn) && AllWhole(matrix.AsSpan(0, rows.Rows * n)))
        {
            throw new ForgettingDataException(source, $"the first line ({Shown(header)}) reads two ways: as a header (an index named {Echo.Quote(header[0].Trim())} over integer example ids) or as the row of task {Echo.Quote(header[0].Trim())} in a matrix of whole numbers written without its header (to_csv(header=False)). If it is a header, name its first cell 'task' (df.index.name = 'task' before to_csv); if it is a row, write the file with its header (df.to_csv(path)) or save the matrix as .npy or .npz.", headerLine);
        }

        return Wrap(source, matrix, rows.Rows, n, withIds ? taskIds : null, exampleIds);
    }

    // A wide file with a column named task (position k > 0). The rest of the first row decides what it is: the task ids when
    // its cell there is a name, or an integer beside polars' row numbers; then a first column 'index' or 'row_nr' (polars'
    // with_row_index(), with_row_count()) must hold the row numbers 0, 1, 2... in order and a first column that is pandas'
    // index (an empty header cell, 'Unnamed: 0') whole numbers, and either is left out, not read as an example of row
    // numbers. Otherwise (a number there) the column is an example, as this format's writer names one ('task' after an empty
    // first header cell) and the first column holds the ids or not as in any other file. Read a row at a time, like ReadWide.
    private static ForgettingMatrix ReadWideWithTaskColumn(Utf8CsvReader csv, List<string> header, long headerLine, string firstCell, int k, bool withIds, long? maxCells)
    {
        var source = csv.SourceName;
        var first = new List<string>(header.Count + 1) { firstCell };
        csv.ReadRemainingFields(first, maxFields: header.Count + 1);
        var firstExtra = 0;
        while (csv.TryReadField(out _))
        {
            firstExtra++;
        }

        var head = header[0].Trim();
        var taskCell = k < first.Count ? first[k] : string.Empty;
        var name = KindOf(taskCell, out _) == CellKind.Invalid;
        var rowNumbers = TableColumns.IsRowIndexName(head) && !LooksLikeValue(taskCell) && !IsMissing(taskCell);
        var pandasIndex = TableColumns.IsPandasIndex(head) && name;
        var idPosition = rowNumbers || pandasIndex || (!withIds && name) ? k : withIds ? 0 : -1;
        var skip = rowNumbers || pandasIndex ? 0 : -1;

        // Each field's role: the id (-1), the left-out row index (-2), or the example it holds (0, 1, ...).
        var roles = new int[header.Count];
        var exampleIds = new List<string>(header.Count);
        for (var p = 0; p < header.Count; p++)
        {
            roles[p] = p == idPosition ? -1 : p == skip ? -2 : exampleIds.Count;
            if (roles[p] >= 0)
            {
                exampleIds.Add(header[p]);
            }
        }

        var kept = new List<string>(exampleIds.Count + 1) { string.Empty };
        kept.AddRange(exampleIds);
        var ids = ExampleIds(source, kept, withIds: true, headerLine);
        var n = ids.Length;
        var checks = new WideRowChecks(source, header, headerless: false, idPosition, ids, csv.Delimiter == (byte)',');
        var idName = checks.IdColumn;
        var rows = new RowBuffer(n, source, 0, maxCells);
        var taskIds = new List<string>();
        var fields = new List<string>(header.Count);
        var pending = first;
        var count = first.Count + firstExtra;
        do
        {
            var line = csv.RecordLine;
            if (pending is null)
            {
                // The row's fields, up to the header's count (the rest only counted): the id as UTF-8 that is checked, as
                // ParseDataRows reads it, and the others as they come (a value's bytes are judged by ParseCell).
                fields.Clear();
                count = 0;
                while (csv.TryReadField(out var field))
                {
                    if (count < header.Count)
                    {
                        fields.Add(count == idPosition ? Utf8CsvReader.StrictText(field, source, line, idName) : Utf8CsvReader.Text(field));
                    }

                    count++;
                }

                pending = fields;
            }

            checks.FieldCount(line, count);
            var row = rows.AddRow(line);
            string? taskId = idPosition >= 0 ? pending[idPosition] : null;
            if (taskId is not null)
            {
                checks.TaskId(taskId, line);
                if (idPosition > 0 && LooksLikeValue(taskId))
                {
                    throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                        $"a column named {Echo.Quote(idName)} (column {idPosition + 1}) holds the task ids, but {Echo.Quote(taskId)} is a value, not an id (ids are names or integers). If it is an example, give it another name (df.rename(columns={{{Echo.Quote(idName)}: 'e_task'}})); if it holds the ids, write them as names or integers."), line, idName);
                }
            }

            for (var p = 0; p < header.Count; p++)
            {
                if (roles[p] >= 0)
                {
                    ParseCell(source, System.Text.Encoding.UTF8.GetBytes(pending[p]), row, roles[p], line, taskId, ids);
                }
                else if (roles[p] == -2)
                {
                    CheckRowIndex(source, pending[p], taskIds.Count, line, TableColumns.PandasName(header[p], p), TableColumns.IsRowIndexName(head), idName);
                }
            }

            if (taskId is not null)
            {
                taskIds.Add(taskId);
            }

            pending = null;
        }
        while (csv.NextRecord());

        return Wrap(source, rows.ToArray(), rows.Rows, n, idPosition >= 0 ? taskIds : null, ids);
    }

    // A left-out row index: polars' row numbers (0, 1, 2... in order) or pandas' index (whole numbers). Anything else could be
    // the ids or an example, and is refused naming both fixes.
    private static void CheckRowIndex(string source, string cell, int row, long line, string column, bool rowNumbers, string idColumn)
    {
        var ok = rowNumbers
            ? cell.Trim() == row.ToString(CultureInfo.InvariantCulture)
            : KindOf(cell, out var value) == CellKind.Number && !LooksLikeValue(cell) && value == MathF.Round(value);
        if (!ok)
        {
            var what = rowNumbers ? string.Create(CultureInfo.InvariantCulture, $"the row numbers 0, 1, 2... in order (polars' with_row_index() or with_row_count()), but holds {Echo.Quote(cell)} where {row} would be") : $"pandas' index of whole numbers, but holds {Echo.Quote(cell)}";
            throw new ForgettingDataException(source,
                $"beside the task id column {Echo.Quote(idColumn)} this column should be {what}, so it reads two ways (an index of the rows, or the ids or an example). If it is an index, drop it before writing (polars: df.drop({Echo.Quote(column)}); pandas: to_csv(index=False)); if it is an example, give it another name.",
                line, column);
        }
    }

    // Whole numbers, at least one, and missing cells.
    private static bool AllWhole(ReadOnlySpan<float> values)
    {
        var any = false;
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                continue;
            }

            if (v != MathF.Round(v))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    // The data rows; when firstCell is not null, the current record is the first and its first field has been read. The
    // row's checks (its field count, its task id, its values) are the ones ReadWideWithTaskColumn makes (WideRowChecks).
    private static void ParseDataRows(Utf8CsvReader csv, string? firstCell, bool withIds, RowBuffer rows, List<string> taskIds, int n, WideRowChecks checks)
    {
        var source = csv.SourceName;
        var pending = firstCell;
        if (pending is null && !csv.NextRecord())
        {
            return;
        }

        var exampleIds = checks.ExampleIds;
        do
        {
            var line = csv.RecordLine;
            string? taskId = null;
            if (withIds)
            {
                if (pending is null)
                {
                    csv.TryReadField(out var idField);
                    pending = Utf8CsvReader.StrictText(idField, source, line, checks.IdColumn);
                }

                taskId = pending;
                checks.TaskId(taskId, line);
            }

            var row = rows.AddRow(line);
            var j = 0;
            if (!withIds && pending is not null)
            {
                ParseCell(source, System.Text.Encoding.UTF8.GetBytes(pending), row, j++, line, taskId, exampleIds);
            }

            pending = null;
            while (csv.TryReadField(out var cell))
            {
                if (j == n)
                {
                    var extra = 1;
                    while (csv.TryReadField(out _))
                    {
                        extra++;
                    }

                    throw checks.Ragged(line, j + extra + (withIds ? 1 : 0));
                }

                ParseCell(source, cell, row, j++, line, taskId, exampleIds);
            }

            checks.FieldCount(line, j + (withIds ? 1 : 0));
            if (taskId is not null)
            {
                taskIds.Add(taskId);
            }
        }
        while (csv.NextRecord());
    }

    private static void ParseCell(string source, ReadOnlySpan<byte> cell, Span<float> row, int j, long line, string? taskId, string[]? exampleIds)
    {
        var kind = CellParser.Parse(cell, out row[j]);
        if (kind != CellKind.Number && kind != CellKind.Missing && !CellParser.TryParseBoolean(cell, out row[j]))
        {
            throw new ForgettingDataException(source, CellMessage(kind, cell, taskId), line, exampleIds?[j] ?? string.Create(CultureInfo.InvariantCulture, $"{j + 1}"));
        }
    }

    // Every example column under one name (",value,value,..."): pandas' df.pivot(index=..., columns=...) without values=
    // writes the value column's name over each example, the example ids on a second header line.
    private static string PivotHint(List<string> header, int skip, string id) =>
        header.Skip(skip).All(h => string.Equals(h, id, StringComparison.Ordinal))
            ? $" Every column is named {Echo.Quote(id)}, as pandas writes a pivot without values= (the examples' ids on a second header line): pivot with the value column named, e.g. df.pivot(index='task', columns='example', values={Echo.Quote(id)}).to_csv(path)."
            : string.Empty;

    private static string[] ExampleIds(string source, List<string> header, bool withIds, long headerLine)
    {
        var skip = withIds ? 1 : 0;
        var exampleIds = new string[header.Count - skip];
        var seen = new Dictionary<string, int>(exampleIds.Length, StringComparer.Ordinal);
        for (var j = 0; j < exampleIds.Length; j++)
        {
            var id = header[j + skip];
            if (id.Length == 0)
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                    $"header cell {j + skip + 1} is empty; in the wide layout every column after the first is an example and needs an id. Remove the empty column (a trailing delimiter?) or name it."), headerLine);
            }

            if (!seen.TryAdd(id, j))
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                    $"example id {Echo.Quote(id)} is in the header twice, as columns {seen[id] + skip + 1} and {j + skip + 1}; example ids must be unique.{PivotHint(header, skip, id)}"), headerLine, id);
            }

            exampleIds[j] = id;
        }

        return exampleIds;
    }

    // A first row that is data, not a header: every field a number or a missing marker (at least one a number), the
    // first not empty (pandas' unnamed index) nor the name of an id column (this format's own header, task,0.5,1.5 when
    // the example ids look like numbers), and not the integers 0, 1, 2, ... pandas writes for unnamed columns.
    private static bool IsDataRow(List<string> fields, string taskColumn)
    {
        if (fields.Count == 0 || NamesIds(fields[0], taskColumn))
        {
            return false;
        }

        // Every cell a number (np.savetxt; to_csv(header=False) with a numeric index), and not pandas' 0, 1, 2... header.
        var sequence = true;
        var numbers = 0;
        var values = 0;
        var allNumbers = true;
        for (var j = 0; j < fields.Count; j++)
        {
            var kind = KindOf(fields[j], out _);
            if (kind is not (CellKind.Number or CellKind.Missing))
            {
                if (j > 0)
                {
                    return false;
                }

                allNumbers = false;
                continue;
            }

            numbers += kind == CellKind.Number ? 1 : 0;
            values += j > 0 && kind == CellKind.Number && LooksLikeValue(fields[j]) ? 1 : 0;
            sequence &= fields[j].Trim() == j.ToString(CultureInfo.InvariantCulture);
        }

        // to_csv(header=False) with a named index: a task id, then numbers. A header's example ids are names or integers, so
        // a first line that goes on with a number written with a decimal point or an exponent is a task's row; so is one that
        // goes on with whole numbers of which two are the same (a binary or count matrix's row: example ids are unique).
        return allNumbers ? numbers > 0 && !sequence : values > 0 || (numbers == fields.Count - 1 && HasRepeats(fields, 1));
    }

    private static bool HasRepeats(List<string> fields, int from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var j = from; j < fields.Count; j++)
        {
            if (!seen.Add(fields[j].Trim()))
            {
                return true;
            }
        }

        return false;
    }

    // A header read as one whose first cell is a name but not an id column's, over distinct whole numbers out of order: the
    // row of a task of that name in an integer matrix written without its header (to_csv(header=False)) looks the same.
    // Sorted whole numbers are example ids (a pivot sorts its columns), and so is anything over a matrix with a fraction.
    private static bool CouldBeIntegerRow(List<string> header, string taskColumn)
    {
        if (header.Count < 3 || NamesIds(header[0], taskColumn))
        {
            return false;
        }

        var previous = float.NegativeInfinity;
        var increasing = true;
        for (var j = 1; j < header.Count; j++)
        {
            if (KindOf(header[j], out var value) != CellKind.Number || LooksLikeValue(header[j]))
            {
                return false;
            }

            increasing &= value > previous;
            previous = value;
        }

        return !increasing;
    }

    // pandas' default column names, 0, 1, ..., n-1, written by to_csv(index=False) for a frame made from an array.
    private static bool IsPandasColumnSequence(List<string> header)
    {
        for (var j = 0; j < header.Count; j++)
        {
            if (header[j].Trim() != j.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return header.Count > 0;
    }

    // What the value parser makes of a cell of text (the one place these checks parse).
    private static CellKind KindOf(string cell, out float value) => CellParser.Parse(System.Text.Encoding.UTF8.GetBytes(cell), out value);

    private static bool IsNumber(string cell) => KindOf(cell, out _) == CellKind.Number;

    // A whole number written with a decimal point or an exponent (1.0, 1e2), as pandas writes ids held as floats.
    private static bool IsWholeDecimal(string cell) =>
        KindOf(cell, out var value) == CellKind.Number && cell.AsSpan().IndexOfAny(".eE") >= 0 && float.IsFinite(value) && value == MathF.Round(value);

    private static bool NamesIds(string name, string taskColumn)
    {
        var trimmed = name.Trim();
        return trimmed.Length == 0 || trimmed.Equals(taskColumn, StringComparison.OrdinalIgnoreCase) || TableColumns.IsIdColumnName(trimmed);
    }

    // The layout of a table whose header is both a long table's (task, example and value among its columns; or task and
    // example after a first column of its own, the value column named otherwise) and a wide
    // matrix's (a first column of task ids: pandas' index, or one named 'task' before more than two other columns). Almost
    // always it is a long table (pandas' to_csv() of one writes its index first), and it is read as one unless its first
    // 64 rows say otherwise: text in a later column is a long table's ids; a number with a fractional part in the example
    // column (or the task column, when it is not the first) can only be a wide matrix's value, and text in pandas' index
    // column a wide matrix's task ids (a long table's index is its row numbers). Whole numbers written as
    // decimals or missing cells there ("1.0", as pandas writes an id column that held a NaN, or a wide matrix's values)
    // fit both, and the file is refused naming the layout option.
    private static MatrixLayout LayoutOfFirstRows(Utf8CsvReader csv, string[] names, int taskColumn, int exampleColumn, long headerLine, int valueColumn = -1)
    {
        string[]? undecided = null;
        for (var read = 0; read < 64 && csv.NextRecord(); read++)
        {
            var row = csv.ReadRemainingFields(maxFields: names.Length + 1);
            if (row.Count != names.Length || row.Skip(1).Any(cell => !IsNumber(cell) && !IsMissing(cell)))
            {
                return MatrixLayout.Long;
            }

            string[] idCells = taskColumn > 0 ? [row[exampleColumn], row[taskColumn]] : [row[exampleColumn]];
            if (idCells.Any(IsFraction))
            {
                return MatrixLayout.Wide;
            }

            // pandas' index over a long table holds its row numbers; text there is a wide matrix's task ids.
            if (TableColumns.IsPandasIndex(names[0]) && !IsNumber(row[0]))
            {
                return MatrixLayout.Wide;
            }

            if (undecided is null && idCells.Any(LooksLikeValue))
            {
                undecided = [.. row];
            }
        }

        if (undecided is null)
        {
            return MatrixLayout.Long;
        }

        var which = OptionMessage.Of($"Read it with {new OptionReference(DataOptionNames.Layout, "wide")} if the first column holds task ids and the others are examples, or with {new OptionReference(DataOptionNames.Layout, "long")} if each row is one cell.");
        throw new ForgettingDataException(csv.SourceName, OptionMessage.Of(
            $"the header ({Shown(TableColumns.PandasNames(names))}) heads either a long table or a wide matrix whose examples include {Shown([.. new[] { taskColumn, exampleColumn, valueColumn }.Where(c => c > 0).Order().Select(c => names[c])])}, and its rows fit both: a row such as ({Shown(undecided)}) has whole numbers written as decimals or missing cells in its task and example columns, which are ids written as floats in a long table and values in a wide one.").Then(which), headerLine + 1);
    }

    private static bool IsMissing(string cell) => KindOf(cell, out _) == CellKind.Missing;

    // A number with a fractional part: never an id.
    private static bool IsFraction(string cell) =>
        KindOf(cell, out var value) == CellKind.Number && float.IsFinite(value) && value != MathF.Floor(value);

    // A cell that is a value rather than an id: a missing marker, or a number written with a decimal point or an exponent.
    private static bool LooksLikeValue(string cell)
    {
        var kind = KindOf(cell, out _);
        return kind == CellKind.Missing || (kind == CellKind.Number && cell.AsSpan().IndexOfAny(".eE") >= 0);
    }

    // Files (seekable streams): pass 1 interns the ids and checks every row's shape; the matrix is then allocated once,
    // and pass 2 parses the values straight into it. Peak memory is the matrix, a 1-bit-per-cell "seen" map and the ids.
    private static ForgettingMatrix ReadLongTwoPass(Utf8CsvReader csv, Stream stream, long start, LongLayout layout, long headerLine)
    {
        var source = csv.SourceName;
        var tasks = new IdInterner();
        var examples = new IdInterner();
        long rows = 0;
        while (csv.NextRecord())
        {
            var line = csv.RecordLine;
            var field = 0;
            while (csv.TryReadField(out var text))
            {
                if (field == layout.Task)
                {
                    tasks.Intern(text, source, line, layout.Names[layout.Task]);
                }
                else if (field == layout.Example)
                {
                    examples.Intern(text, source, line, layout.Names[layout.Example]);
                }

                field++;
            }

            if (field != layout.Names.Length)
            {
                throw Ragged(source, line, field, layout.Names.Length, csv.Delimiter == (byte)',');
            }

            rows++;
        }

        int m = tasks.Count, n = examples.Count;
        var values = LongMatrixLimits.Allocate(source, headerLine, m, n, rows, layout.Options);
        var seen = new ulong[(values.LongLength + 63) / 64];
        var order = new LongIdOrder(tasks.ToList(), examples.ToList());
        using var again = Restart(stream, start, csv);
        while (again.NextRecord())
        {
            var line = again.RecordLine;
            int field = 0, task = -1, example = -1;
            var value = float.NaN;
            while (again.TryReadField(out var text))
            {
                if (field == layout.Task)
                {
                    task = tasks.Find(text);
                }
                else if (field == layout.Example)
                {
                    example = examples.Find(text);
                }
                else if (field == layout.Value)
                {
                    value = ParseLongValue(text, source, line, layout);
                }

                field++;
            }

            if (task < 0 || example < 0 || field != layout.Names.Length)
            {
                throw new ForgettingDataException(source, "the file changed while it was being read (a row differs between the two passes); read it again once it is complete.", line);
            }

            order.Note(task, example);
            var index = ((long)task * n) + example;
            var bit = 1UL << (int)(index & 63);
            if ((seen[index >> 6] & bit) != 0)
            {
                var first = FirstLineOf(stream, start, csv, layout, tasks, examples, task, example);
                throw Duplicate(source, tasks[task], examples[example], first, line);
            }

            seen[index >> 6] |= bit;
            values[index] = value;
        }

        var (ordered, taskIds, exampleIds) = order.Apply(values, m, n, tasks.ToList(), examples.ToList());
        return Wrap(source, ordered, m, n, taskIds, exampleIds);
    }

    // Streams that cannot be rewound: one pass keeps every cell (12 bytes each) until the shape is known.
    private static ForgettingMatrix ReadLongOnePass(Utf8CsvReader csv, LongLayout layout, long headerLine)
    {
        var source = csv.SourceName;
        var tasks = new IdInterner();
        var examples = new IdInterner();
        var cells = new CellList();
        var lines = new LineMap();
        while (csv.NextRecord())
        {
            var line = csv.RecordLine;
            if (cells.Count == Array.MaxLength)
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"the file has more than {Array.MaxLength} rows; split it."), line);
            }

            lines.Note(cells.Count, line);
            int field = 0, task = -1, example = -1;
            var value = float.NaN;
            while (csv.TryReadField(out var text))
            {
                if (field == layout.Task)
                {
                    task = tasks.Intern(text, source, line, layout.Names[layout.Task]);
                }
                else if (field == layout.Example)
                {
                    example = examples.Intern(text, source, line, layout.Names[layout.Example]);
                }
                else if (field == layout.Value)
                {
                    value = ParseLongValue(text, source, line, layout);
                }

                field++;
            }

            if (field != layout.Names.Length)
            {
                throw Ragged(source, line, field, layout.Names.Length, csv.Delimiter == (byte)',');
            }

            cells.Add(task, example, value);
        }

        int m = tasks.Count, n = examples.Count;
        var values = LongMatrixLimits.Allocate(source, headerLine, m, n, cells.Count, layout.Options);
        var seen = new ulong[(values.LongLength + 63) / 64];
        var order = new LongIdOrder(tasks.ToList(), examples.ToList());
        for (var r = 0; r < cells.Count; r++)
        {
            var (t, e, v) = cells[r];
            order.Note(t, e);
            var index = ((long)t * n) + e;
            var bit = 1UL << (int)(index & 63);
            if ((seen[index >> 6] & bit) != 0)
            {
                throw Duplicate(source, tasks[t], examples[e], lines.LineOf(cells.IndexOf(t, e)), lines.LineOf(r));
            }

            seen[index >> 6] |= bit;
            values[index] = v;
        }

        var (ordered, taskIds, exampleIds) = order.Apply(values, m, n, tasks.ToList(), examples.ToList());
        return Wrap(source, ordered, m, n, taskIds, exampleIds);
    }

    private static float ParseLongValue(ReadOnlySpan<byte> text, string source, long line, LongLayout layout)
    {
        var kind = CellParser.Parse(text, out var value);
        if (kind != CellKind.Number && kind != CellKind.Missing && !CellParser.TryParseBoolean(text, out value))
        {
            throw new ForgettingDataException(source, CellMessage(kind, text, null), line, layout.Names[layout.Value]);
        }

        return value;
    }

    private static Utf8CsvReader Restart(Stream stream, long start, Utf8CsvReader first)
    {
        stream.Position = start;
        var reader = Utf8CsvReader.Create(stream, first.SourceName, (char)first.Delimiter, leaveOpen: true);
        reader.NextRecord();
        reader.ReadRemainingFields();
        return reader;
    }

    // Only on the error path: the line of the first row naming (task, example).
    private static long FirstLineOf(Stream stream, long start, Utf8CsvReader first, LongLayout layout, IdInterner tasks, IdInterner examples, int task, int example)
    {
        using var reader = Restart(stream, start, first);
        while (reader.NextRecord())
        {
            int field = 0, t = -1, e = -1;
            while (reader.TryReadField(out var text))
            {
                t = field == layout.Task ? tasks.Find(text) : t;
                e = field == layout.Example ? examples.Find(text) : e;
                field++;
            }

            if (t == task && e == example)
            {
                return reader.RecordLine;
            }
        }

        return 0;
    }

    private static ForgettingDataException Duplicate(string source, string task, string example, long firstLine, long line) =>
        new(source, string.Create(CultureInfo.InvariantCulture,
            $"task {Echo.Quote(task)}, example {Echo.Quote(example)} appears twice, on lines {firstLine} and {line}; keep one value per cell (average repeated measurements first)."), line);

    // The ids become IdLists inside the try, so a repeated or twice-written id is named with the file.
    private static ForgettingMatrix Wrap(string source, float[] values, int m, int n, IEnumerable<string>? taskIds, IEnumerable<string>? exampleIds)
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

    internal static string CellMessage(CellKind kind, ReadOnlySpan<byte> text, string? taskId)
    {
        var where = taskId is null ? string.Empty : $"task {Echo.Quote(taskId)}: ";
        return where + (kind == CellKind.Infinite ? CellParser.ExplainInfinite(text) : CellParser.Explain(text));
    }

    private static ForgettingDataException Ragged(string source, long line, int fields, int expected, bool commaDelimited, bool firstHeaderCellNamed = true)
    {
        var hint = fields == expected + 1 && firstHeaderCellNamed
            ? " The header is one name short: if the first column holds row names with no header cell (R write.table or write.csv(row.names=TRUE, col.names=TRUE); pandas to_csv(index_label=False)), name it in the header (R: write.csv(x, col.names=NA) or row.names=FALSE; pandas: index_label='task')."
                + (commaDelimited ? " If instead a number uses a decimal comma (1,5), re-export with '.' as the decimal point." : string.Empty)
            : commaDelimited && fields > expected
            ? " If the numbers use decimal commas (1,5), re-export them with '.' as the decimal point; if a field contains commas, quote it."
            : " Every row needs one field per header column; check for missing or extra delimiters, or unquoted delimiters inside ids.";
        return new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"row has {fields} fields but the header has {expected}.{hint}"), line);
    }

    // Three to six columns besides a pandas index: the shape of a long table (task, example, value and a few more).
    private static bool LooksLong(string[] names) => names.Count(n => !TableColumns.IsPandasIndex(n)) is >= 3 and <= 6;

    private static string Shown(IReadOnlyList<string> names) => Echo.List(names);

    // The refusal of a header that names the long layout's task and example columns after a first column of its own.
    private static FormattableString LongUnderAnIndex(IReadOnlyList<string> names, int taskColumn, int exampleColumn)
    {
        var (value, which) = TableColumns.ValueColumnFix([.. names.Where((_, c) => c != 0 && c != taskColumn && c != exampleColumn)]);
        return $"the header ({Shown(names)}) names the columns '{names[taskColumn]}' and '{names[exampleColumn]}' after a first column of its own (pandas' index, as df.stack().reset_index().to_csv() writes it), as a long table (one row per cell) saved with its index has; read as a wide matrix, its rows would be tasks and '{names[taskColumn]}' and '{names[exampleColumn]}' two examples holding ids. Read it with {new OptionReference(DataOptionNames.Layout, "long")} and {new OptionReference(DataOptionNames.Columns, $"{names[taskColumn]},{names[exampleColumn]},{value}")}{which} (or save it without the index: to_csv(index=False)); if it is a wide matrix whose examples are named so, read it with {new OptionReference(DataOptionNames.Layout, "wide")}.";
    }

    /// <summary>
    /// The checks of a wide file's row, made by both wide readers (ReadWide's ParseDataRows, and ReadWideWithTaskColumn for
    /// a column named task after the first) so that one mistake gets one message whichever reads the file: the row's field
    /// count against the header's, and its task id (not empty, not repeated). Its values are parsed by ParseCell in both.
    /// </summary>
    private sealed class WideRowChecks
    {
        private readonly string _source;
        private readonly int _width;
        private readonly bool _comma;
        private readonly bool _firstHeaderCellNamed;
        private readonly int _idPosition;
        private readonly Dictionary<string, long> _taskLines = new(StringComparer.Ordinal);

        /// <param name="source">The file's name, for messages.</param>
        /// <param name="header">The header's fields (or, headerless, the first row's): every row has as many.</param>
        /// <param name="headerless">The file has no header (its first line is a row).</param>
        /// <param name="idPosition">The task id's field, or -1 when the rows hold no ids.</param>
        /// <param name="exampleIds">The example ids, which name a value's column (null: by number).</param>
        /// <param name="comma">The delimiter is a comma (a ragged row may then be a decimal comma's).</param>
        public WideRowChecks(string source, List<string> header, bool headerless, int idPosition, string[]? exampleIds, bool comma)
        {
            _source = source;
            _width = header.Count;
            _comma = comma;
            _firstHeaderCellNamed = !headerless && header[0].Trim().Length > 0;
            _idPosition = idPosition;
            ExampleIds = exampleIds;

            // The id column is named by its header cell, as the example columns are; unnamed (pandas' index) or headerless,
            // by its number.
            var named = !headerless && idPosition >= 0 && header[idPosition].Trim().Length > 0;
            IdColumn = named ? header[idPosition].Trim() : (Math.Max(idPosition, 0) + 1).ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>The task id column's name in messages.</summary>
        public string IdColumn { get; }

        /// <summary>The example ids naming the value columns (null: numbered).</summary>
        public string[]? ExampleIds { get; }

        /// <summary>Refuses a row of <paramref name="fields"/> fields when the header has another count.</summary>
        public void FieldCount(long line, int fields)
        {
            if (fields != _width)
            {
                throw Ragged(line, fields);
            }
        }

        /// <summary>The refusal of a row of <paramref name="fields"/> fields (not the header's count).</summary>
        public ForgettingDataException Ragged(long line, int fields) => CsvMatrixFormat.Ragged(_source, line, fields, _width, _comma, _firstHeaderCellNamed);

        /// <summary>Refuses an empty task id or one an earlier row gave, and notes the line of a new one.</summary>
        public void TaskId(string taskId, long line)
        {
            if (taskId.Length == 0)
            {
                throw new ForgettingDataException(_source, string.Create(CultureInfo.InvariantCulture, $"the task id (column {_idPosition + 1}) is empty; every row needs a task id."), line, IdColumn);
            }

            if (!_taskLines.TryAdd(taskId, line))
            {
                throw new ForgettingDataException(_source, string.Create(CultureInfo.InvariantCulture,
                    $"task {Echo.Quote(taskId)} appears twice, on lines {_taskLines[taskId]} and {line}; task ids must be unique (keep one row per task). If this column holds values rather than task ids (pandas to_csv(index=False) or np.savetxt of whole numbers), add an id column or save the matrix as .npy."), line, IdColumn);
            }
        }
    }

    /// <summary>The long layout's header (trimmed names) and the positions of its three columns.</summary>
    private sealed record LongLayout(string[] Names, int Task, int Example, int Value)
    {
        public MatrixReadOptions Options { get; init; } = new();
    }

    /// <summary>
    /// Ids in order of first appearance, looked up from UTF-8 bytes without a string per lookup. Long files are usually
    /// sorted (task-major, examples in the same order for every task), so the id after the last one is tried first by
    /// comparing bytes; only a miss decodes and hashes.
    /// </summary>
    private sealed class IdInterner
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<string> _ids = [];
        private readonly List<byte[]> _bytes = [];
        private char[] _chars = new char[256];
        private int _last = -1;

        public int Count => _ids.Count;

        public string this[int index] => _ids[index];

        public int Intern(ReadOnlySpan<byte> bytes, string source, long line, string column)
        {
            if (bytes.IsEmpty)
            {
                throw new ForgettingDataException(source, "the id is empty; every row needs a task id and an example id.", line, column);
            }

            var known = Lookup(bytes, add: false);
            if (known >= 0)
            {
                return known;
            }

            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                Utf8CsvReader.StrictText(bytes, source, line, column);
            }

            return Lookup(bytes, add: true);
        }

        /// <summary>The id's index, or -1 when it has not been interned.</summary>
        public int Find(ReadOnlySpan<byte> bytes) => Lookup(bytes, add: false);

        private int Lookup(ReadOnlySpan<byte> bytes, bool add)
        {
            if (_last >= 0)
            {
                if (bytes.SequenceEqual(_bytes[_last]))
                {
                    return _last;
                }

                if (_last + 1 < _bytes.Count && bytes.SequenceEqual(_bytes[_last + 1]))
                {
                    return ++_last;
                }

                if (_bytes.Count > 0 && bytes.SequenceEqual(_bytes[0]))
                {
                    return _last = 0;
                }
            }

            if (_chars.Length < bytes.Length)
            {
                _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
            }

            var count = Encoding.UTF8.GetChars(bytes, _chars);
            var lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(_chars.AsSpan(0, count), out var index))
            {
                if (!add)
                {
                    return -1;
                }

                index = _ids.Count;
                var id = new string(_chars, 0, count);
                _index.Add(id, index);
                _ids.Add(id);
                _bytes.Add(bytes.ToArray());
            }

            return _last = index;
        }

        public List<string> ToList() => _ids;
    }

    /// <summary>The long file's cells in file order (12 bytes per cell): blocks of 2^20 cells; the first one grows from 1,024 by doubling.</summary>
    private sealed class CellList
    {
        private const int Shift = 20;
        private const int BlockSize = 1 << Shift;
        private readonly List<(int[] Tasks, int[] Examples, float[] Values)> _blocks = [];

        public int Count { get; private set; }

        public (int Task, int Example, float Value) this[int index]
        {
            get
            {
                var block = _blocks[index >> Shift];
                var i = index & (BlockSize - 1);
                return (block.Tasks[i], block.Examples[i], block.Values[i]);
            }
        }

        public void Add(int task, int example, float value)
        {
            var i = Count & (BlockSize - 1);
            if (i == 0)
            {
                // The first block starts small and doubles (small files allocate little); later ones are full-size.
                var size = _blocks.Count == 0 ? 1024 : BlockSize;
                _blocks.Add((new int[size], new int[size], new float[size]));
            }

            var block = _blocks[^1];
            if (i == block.Tasks.Length)
            {
                var size = Math.Min(block.Tasks.Length * 2, BlockSize);
                Array.Resize(ref block.Tasks, size);
                Array.Resize(ref block.Examples, size);
                Array.Resize(ref block.Values, size);
                _blocks[^1] = block;
            }

            block.Tasks[i] = task;
            block.Examples[i] = example;
            block.Values[i] = value;
            Count++;
        }

        public int IndexOf(int task, int example)
        {
            for (var r = 0; r < Count; r++)
            {
                var (t, e, _) = this[r];
                if (t == task && e == example)
                {
                    return r;
                }
            }

            return -1;
        }
    }

    /// <summary>Maps a data row's ordinal to its line, storing only where the line sequence jumps (blank lines, multi-line fields).</summary>
    private sealed class LineMap
    {
        private readonly List<(int Record, long Line)> _jumps = [];

        public void Note(int record, long line)
        {
            if (_jumps.Count == 0 || _jumps[^1].Line + (record - _jumps[^1].Record) != line)
            {
                _jumps.Add((record, line));
            }
        }

        public long LineOf(int record)
        {
            var (lo, hi) = (0, _jumps.Count - 1);
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (_jumps[mid].Record <= record)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return _jumps[lo].Line + (record - _jumps[lo].Record);
        }
    }
}

/// <summary>Buffered UTF-8 output of delimited text: fields quoted when needed, float32 values as shortest round-trip text.</summary>
internal sealed class Utf8TextWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly byte _delimiter;
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _length;

    public Utf8TextWriter(Stream stream, byte delimiter)
    {
        _stream = stream;
        _delimiter = delimiter;
    }

    public Utf8TextWriter Field(string text) => Raw(Encode(text));

    /// <summary>The UTF-8 bytes of <paramref name="text"/> as a field: quoted (with quotes doubled) when it holds the delimiter, a quote or a line break (RFC 4180).</summary>
    public byte[] Encode(string text)
    {
        var needsQuotes = text.AsSpan().IndexOfAny('"', '\n', '\r') >= 0 || text.Contains((char)_delimiter, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(needsQuotes ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text);
    }

    public Utf8TextWriter Raw(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _buffer.Length)
        {
            Flush();
            if (bytes.Length > _buffer.Length)
            {
                _stream.Write(bytes);
                return this;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
        return this;
    }

    public Utf8TextWriter Delimiter()
    {
        if (_length == _buffer.Length)
        {
            Flush();
        }

        _buffer[_length++] = _delimiter;
        return this;
    }

    public Utf8TextWriter Number(float value) => Number<float>(value, wholeAsFloat: false);

    public Utf8TextWriter Number(double value) => Number<double>(value, wholeAsFloat: false);

    // A table's double: as Number, with ".0" after a whole number ("1.0", as pandas writes a float column), so that a column
    // whose every value happens to be whole (probabilities that all saturate) reads back as floats, not integers.
    public Utf8TextWriter FloatNumber(double value) => Number<double>(value, wholeAsFloat: true);

    // A matrix's float32 cell: as FloatNumber ("1.0", "-0.0"), shortest round-trip digits otherwise.
    public Utf8TextWriter FloatNumber(float value) => Number<float>(value, wholeAsFloat: true);

    // Round-trip text of a float or double; NaN (missing) writes nothing. Both fit in 32 bytes, and ".0" in two more.
    private Utf8TextWriter Number<T>(T value, bool wholeAsFloat)
        where T : IFloatingPoint<T>, IUtf8SpanFormattable
    {
        if (T.IsNaN(value))
        {
            return this;
        }

        if (_buffer.Length - _length < 34)
        {
            Flush();
        }

        value.TryFormat(_buffer.AsSpan(_length), out var written, "R", CultureInfo.InvariantCulture);
        var whole = wholeAsFloat && T.IsFinite(value) && _buffer.AsSpan(_length, written).IndexOfAny(".Ee"u8) < 0;
        _length += written;
        if (whole)
        {
            _buffer[_length++] = (byte)'.';
            _buffer[_length++] = (byte)'0';
        }

        return this;
    }

    public Utf8TextWriter EndLine()
    {
        if (_length == _buffer.Length)
        {
            Flush();
        }

        _buffer[_length++] = (byte)'\n';
        return this;
    }

    public void Flush()
    {
        _stream.Write(_buffer, 0, _length);
        _length = 0;
    }

    public void Dispose()
    {
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
