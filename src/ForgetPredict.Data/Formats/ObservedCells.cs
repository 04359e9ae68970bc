using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>A new task's measured cells: example indices (into a model's examples) and their values.</summary>
/// <param name="Examples">Example indices, in input order.</param>
/// <param name="Values">Measured forgetting, one per index.</param>
public sealed record ObservedCells(int[] Examples, double[] Values)
{
    private const int ShownUnknown = 5;

    // Where each cell was read (a text file's line, a Parquet row, a JSON entry or record), for messages about one cell;
    // empty for cells built in code.
    private long[] _lines = [];
    private string _source = string.Empty;
    private string _unit = "line";
    private string _valueColumn = "value";

    /// <summary>
    /// What the reader saw that may not be what was meant, each a sentence naming the file and the fix: a <c>task</c> column
    /// (in a CSV or TSV file, a Parquet table or a JSON array of records) holding several tasks, whose cells are taken as one
    /// new task's. Empty when nothing was seen.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    /// <summary>
    /// An exception about cell <paramref name="cell"/> (an index into <see cref="Examples"/>) naming where it was read: the
    /// source, its line (a Parquet table's row, a JSON entry) and the value column, then <paramref name="detail"/>; null for
    /// cells built in code, which have no such place.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cell"/> is not a cell's index.</exception>
    public ForgettingDataException? AtCell(int cell, string detail)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cell);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cell, Examples.Length);
        return _lines.Length == Examples.Length ? Located(_source, _unit, detail, _lines[cell], _valueColumn) : null;
    }

    // A line number where the cells are a text file's lines; a Parquet table's row, or an entry or record of a JSON document
    // (one line, perhaps), is named by its number instead ("row 1", not line 1).
    private static ForgettingDataException Located(string source, string unit, string detail, long line, string column) => unit is "line"
        ? new ForgettingDataException(source, detail, line, column)
        : new ForgettingDataException(source, detail, 0, column, location: string.Create(CultureInfo.InvariantCulture, $"{unit} {line}"));

    /// <summary>No known cells (a task-agnostic prediction).</summary>
    public static ObservedCells None { get; } = new([], []);

    /// <summary>
    /// Reads a table with columns <c>example,value</c> (any order, more columns ignored): CSV or TSV, or Parquet; or a .json
    /// file holding either an object of example/value pairs (<c>{"ex_3": 0.41, "ex_9": 0.02}</c>, what the service takes) or
    /// an array of records (<c>[{"example": "ex_3", "value": 0.41}]</c>, pandas <c>to_json(orient="records")</c>). An example
    /// is matched as <paramref name="matching"/> says: by id exactly (the default), or by column position.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="exampleIds">The model's example ids.</param>
    /// <param name="matching">How examples are named: by id or by position.</param>
    /// <param name="columns">The example and value columns' names (<see cref="TableColumns.Parse"/> with roles EXAMPLE,VALUE), or null for <c>example,value</c>.</param>
    /// <exception cref="ForgettingDataException">The file holds no cells, a column is missing, a value is not a finite number, an example is unknown or repeated (the message gives line numbers).</exception>
    public static ObservedCells Read(string path, IdList exampleIds, ExampleMatching matching, IReadOnlyList<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(matching);
        if (columns is not null && columns.Count != 2)
        {
            throw new ArgumentException("Give two column names: the example column and the value column.", nameof(columns));
        }

        var references = new ExampleReferences(exampleIds, matching);
        var names = columns is null ? ("example", "value") : (columns[0], columns[1]);
        var cells = InputFile.ReaderExtension(path) switch
        {
            ".parquet" or ".pq" => ReadTable(path, references, names, named: columns is not null),
            ".json" => ReadJson(path, references, names, named: columns is not null),
            ".ndjson" or ".jsonl" => throw new ForgettingDataException(path, "is JSON Lines by its name (a record per line: polars' write_ndjson(), pandas' to_json(orient=\"records\", lines=True)), which is not read here: write one array of records (polars' write_json(), pandas' to_json(orient=\"records\")) to a .json file, or CSV or Parquet."),
            _ => ReadDelimited(path, references, names, named: columns is not null),
        };

        // A file of measured cells with none in it is a mistake (an export that lost its rows), not a request for a
        // prediction without cells, which is asked for by giving no cells at all.
        return cells.Examples.Length > 0 ? cells
            : throw new ForgettingDataException(path, "holds no measured cells; write one row per measured example (its id and value), or leave the measured cells out to predict without any.");
    }

    /// <summary>Cells given as (example reference, value) pairs, e.g. a JSON object; validated like a file.</summary>
    /// <exception cref="ForgettingDataException">An example is unknown or repeated, or a value is not finite.</exception>
    public static ObservedCells FromPairs(IEnumerable<KeyValuePair<string, double>> pairs, IdList exampleIds, ExampleMatching matching, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(matching);
        return Resolve(sourceName, pairs.Select((p, i) => (p.Key, p.Value.ToString("R", CultureInfo.InvariantCulture), (long)i + 1, (string?)null)), new ExampleReferences(exampleIds, matching), "entry");
    }

    private static ObservedCells ReadDelimited(string path, ExampleReferences exampleIds, (string Example, string Value) names, bool named)
    {
        using var stream = InputFile.OpenText(path);
        using var csv = new CsvTokenizer(stream, path, CsvMatrixFormat.DelimiterFor(path));
        var header = csv.Next() ?? throw new ForgettingDataException(path, $"the file is empty; expected a header '{names.Example},{names.Value}' and one row per measured example.");
        RefuseCellAsHeader(path, header, names, named, exampleIds);
        var (exampleColumn, valueColumn) = Columns(path, header, names, csv.RecordLine, named);
        var taskColumn = TaskColumn(header, exampleColumn, valueColumn);
        return Resolve(path, Rows(), exampleIds, "line", TableColumns.PandasName(header[exampleColumn], exampleColumn), TableColumns.PandasName(header[valueColumn], valueColumn),
            taskColumn < 0 ? null : header[taskColumn].Trim());

        IEnumerable<(string Id, string Value, long Line, string? Task)> Rows()
        {
            while (csv.Next() is { } record)
            {
                if (record.Count != header.Count)
                {
                    throw new ForgettingDataException(path, $"row has {record.Count} fields but the header has {header.Count}.", csv.RecordLine);
                }

                yield return (record[exampleColumn], record[valueColumn], csv.RecordLine, taskColumn < 0 ? null : record[taskColumn]);
            }
        }
    }

    // A long table's task column beside the example and value columns (a column named task, any case), or -1: its rows'
    // tasks are collected by Resolve, which warns when there are several (their cells would be taken as one new task's).
    private static int TaskColumn(IReadOnlyList<string> header, int exampleColumn, int valueColumn) =>
        TableColumns.IndexOf(header, "task") is var task && task != exampleColumn && task != valueColumn ? task : -1;

    // The warning of a task column naming several tasks, for every reader (a text file's line, a Parquet table's row, a JSON
    // array's record): the cells are one new task's, so this is most likely a long table of several tasks' cells given whole.
    // It names the file, the column, where the second task starts, and how to keep one task's rows in that format.
    private static string SeveralTasks(string source, string unit, string column, List<string> tasks, long secondLine)
    {
        const int Shown = 5;
        var shown = string.Join(", ", tasks.Take(Shown).Select(Echo.Quote)) + (tasks.Count > Shown ? string.Create(CultureInfo.InvariantCulture, $" and {tasks.Count - Shown:N0} more") : string.Empty);
        var rows = column == "task" ? $"df[df.task == {Echo.Quote(tasks[0])}]" : $"df[df[{Echo.Quote(column)}] == {Echo.Quote(tasks[0])}]";
        var write = unit switch
        {
            "row" => "to_parquet(..., index=False)",
            "record" => "to_json(..., orient=\"records\")",
            _ => "to_csv(..., index=False)",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"{source}: column {Echo.Quote(column)} holds {tasks.Count:N0} tasks ({shown}), the second starting at {unit} {secondLine}, and their cells were taken as one new task's. Keep one task's rows (pandas: {rows}.{write}), or give each task its own file.");
    }

    private static ObservedCells ReadJson(string path, ExampleReferences exampleIds, (string Example, string Value) names, bool named)
    {
        const string Shapes = "expected an object of example/value pairs ({\"ex_3\": 0.41}) or an array of records ([{\"example\": \"ex_3\", \"value\": 0.41}], pandas to_json(orient=\"records\"))";
        using var stream = InputFile.OpenText(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            // The parser's own text, without its position (the line is reported) and path; a second value after the first
            // is JSON Lines, which pandas writes with to_json(orient="records", lines=True).
            var reason = JsonText.Reason(e);
            if (JsonText.IsBareNonFinite(e))
            {
                throw new ForgettingDataException(path, $"{JsonText.Where(e)}: {JsonText.NonFiniteHint} leave out the cells that were not measured (a measured cell has a finite value).", JsonText.Line(e), innerException: e);
            }

            var lines = reason.Contains("after a single JSON value", StringComparison.Ordinal)
                ? " It looks like JSON Lines (one record per line), which is not read here: write one array (to_json(orient=\"records\") without lines=True)." : string.Empty;
            throw new ForgettingDataException(path, $"is not valid JSON ({reason}); {Shapes}.{lines}", JsonText.Line(e), innerException: e);
        }

        using (document)
        {
            var root = document.RootElement;
            var rows = new List<(string Id, string Value, long Line, string? Task)>();
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    if (root.TryGetProperty("columns", out var splitColumns) && splitColumns.ValueKind == JsonValueKind.Array
                        && root.TryGetProperty("data", out var splitData) && splitData.ValueKind == JsonValueKind.Array)
                    {
                        // pandas' to_json(orient="split"): {"columns": [...], "index": [...], "data": [[...]]}; its keys would be read as examples.
                        throw new ForgettingDataException(path, $"holds pandas' orient=\"split\" JSON (\"columns\", \"index\", \"data\"), a table rather than example/value pairs; {Shapes}. Write the table with to_json(orient=\"records\").");
                    }

                    if (root.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object
                        && root.TryGetProperty("data", out var tableData) && tableData.ValueKind == JsonValueKind.Array)
                    {
                        // pandas' to_json(orient="table"): {"schema": {"fields": [...], ...}, "data": [{...}]}; its "schema" is no example.
                        throw new ForgettingDataException(path, $"holds pandas' orient=\"table\" JSON (an object with \"schema\" and \"data\"), a table with its schema rather than example/value pairs; {Shapes}. Write the table with to_json(orient=\"records\").");
                    }

                    foreach (var property in root.EnumerateObject())
                    {
                        if (property.Value.ValueKind == JsonValueKind.Object)
                        {
                            var orient = IsIndexOrient(root, names, exampleIds)
                                ? "pandas' orient=\"index\" JSON (an object keyed by row labels whose values are row objects"
                                : "pandas' orient=\"columns\" JSON (an object keyed by column names whose values are objects keyed by row labels, as DataFrame.to_json() writes by default";
                            throw new ForgettingDataException(path, $"holds {orient}; {Echo.Quote(property.Name)} holds one), a table rather than example/value pairs; {Shapes}. Write the table with to_json(orient=\"records\"), after reset_index() if the examples are its index.");
                        }

                        rows.Add((property.Name, JsonNumber(path, property.Value, property.Name, $"entry {rows.Count + 1}"), rows.Count + 1, null));
                    }

                    return Resolve(path, rows, exampleIds, "entry");
                case JsonValueKind.Array:
                    // A record's task beside its example and value, as a long table's task column (see TaskColumn).
                    var taskKey = "task".Equals(names.Example, StringComparison.OrdinalIgnoreCase) || "task".Equals(names.Value, StringComparison.OrdinalIgnoreCase) ? null : "task";
                    string? taskName = null;
                    foreach (var record in root.EnumerateArray())
                    {
                        var number = rows.Count + 1;
                        if (record.ValueKind != JsonValueKind.Object
                            || !TryGetProperty(record, names.Example, out var example) || !TryGetProperty(record, names.Value, out var value, out var valueName))
                        {
                            if (named && number == 1 && record.ValueKind == JsonValueKind.Object)
                            {
                                // Keys the option names that the first record lacks are the option's to change, as a table's
                                // missing named column is (Columns); had been exit 1, the file's fault.
                                var keys = record.EnumerateObject().Select(p => p.Name).ToList();
                                var lacking = string.Join(" or ", new[] { names.Example, names.Value }.Where(k => !keys.Contains(k, StringComparer.OrdinalIgnoreCase)).Select(Echo.Quote));
                                throw new ForgettingDataException(path, OptionMessage.Of(
                                    $"{new OptionReference(DataOptionNames.ObservedColumns, $"{names.Example},{names.Value}")} names keys the records lack: record 1 has no {lacking} (its keys: {Echo.List(keys)}). Name the example and value keys with {new OptionReference(DataOptionNames.ObservedColumns, "EXAMPLE,VALUE")}, or drop it if they are example and value."), number)
                                { ContradictsOption = true };
                            }

                            throw new ForgettingDataException(path, OptionMessage.Of(
                                $"record {number} is not an object with {Echo.Quote(names.Example)} and {Echo.Quote(names.Value)}; {Shapes}. Other names: {new OptionReference(DataOptionNames.ObservedColumns, "EXAMPLE,VALUE")}."), number);
                        }

                        if ((Repeated(record, names.Example) ?? Repeated(record, names.Value)) is { } twice)
                        {
                            // Two values for one key: a JSON reader keeps one (Python's json the last, this reader the first).
                            throw new ForgettingDataException(path, $"record {number} gives {Echo.Quote(twice)} twice; give each record one {Echo.Quote(names.Example)} and one {Echo.Quote(names.Value)}.", 0, twice, location: $"record {number}");
                        }

                        var id = example.ValueKind switch
                        {
                            JsonValueKind.String => example.GetString() ?? string.Empty,
                            JsonValueKind.Number => example.GetRawText(),
                            _ => throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture, $"record {number}'s {Echo.Quote(names.Example)} is {example.ValueKind.ToString().ToLowerInvariant()}; give an example id (text) or a column index."), number, names.Example),
                        };
                        string? task = null;
                        if (taskKey is not null && TryGetProperty(record, taskKey, out var taskValue, out var key))
                        {
                            taskName ??= key;
                            task = taskValue.ValueKind switch
                            {
                                JsonValueKind.String => taskValue.GetString(),
                                JsonValueKind.Null or JsonValueKind.Undefined => null,
                                _ => taskValue.GetRawText(),
                            };
                        }

                        rows.Add((id, JsonNumber(path, value, id, $"record {number}", valueName), number, task));
                    }

                    return Resolve(path, rows, exampleIds, "record", taskColumn: taskName);
                default:
                    throw new ForgettingDataException(path, $"holds a JSON {root.ValueKind.ToString().ToLowerInvariant()}; {Shapes}.");
            }
        }
    }

    // pandas writes a table as an object of objects two ways: orient="columns" (DataFrame.to_json()'s default) keys the outer
    // object by column names and the inner ones by row labels ({"example": {"0": "ex_3"}, "value": {"0": 0.41}}), and
    // orient="index" the other way round ({"0": {"example": "ex_3", "value": 0.41}}, or {"ex_3": {"value": 0.41}} from a frame
    // indexed by example). The example and value columns' names say which side holds the columns, else the model's example
    // ids say which holds the rows, else the side with fewer keys is taken for the columns.
    private static bool IsIndexOrient(JsonElement root, (string Example, string Value) names, ExampleReferences exampleIds)
    {
        bool IsColumn(string key) => key.Equals(names.Example, StringComparison.OrdinalIgnoreCase) || key.Equals(names.Value, StringComparison.OrdinalIgnoreCase);
        var outer = root.EnumerateObject().Select(p => p.Name).ToList();
        var inner = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).SelectMany(p => p.Value.EnumerateObject().Select(q => q.Name)).Distinct(StringComparer.Ordinal).ToList();
        if (outer.Any(IsColumn) != inner.Any(IsColumn))
        {
            return inner.Any(IsColumn);
        }

        var outerExamples = outer.Count(k => exampleIds.IndexOf(k) >= 0);
        var innerExamples = inner.Count(k => exampleIds.IndexOf(k) >= 0);
        return outerExamples != innerExamples ? outerExamples > innerExamples : outer.Count > inner.Count;
    }

    // The name of a key given more than once in the record (compared as the columns are, ignoring case), or null.
    private static string? Repeated(JsonElement record, string name)
    {
        string? seen = null;
        foreach (var property in record.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                if (seen is not null)
                {
                    return property.Name;
                }

                seen = property.Name;
            }
        }

        return null;
    }

    private static bool TryGetProperty(JsonElement record, string name, out JsonElement value) => TryGetProperty(record, name, out value, out _);

    // The record's property named name, compared ignoring case, and its name as written.
    private static bool TryGetProperty(JsonElement record, string name, out JsonElement value, out string written)
    {
        foreach (var property in record.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                written = property.Name;
                return true;
            }
        }

        value = default;
        written = name;
        return false;
    }

    // column: the value column's name as the record writes it (an object of example: value pairs has none; "value").
    private static string JsonNumber(string path, JsonElement value, string id, string entry, string column = "value") =>
        value.ValueKind == JsonValueKind.Number
            ? value.GetRawText()
            : throw new ForgettingDataException(path, $"the value for example {Echo.Quote(id)} is {value.ValueKind.ToString().ToLowerInvariant()}, not a number; give each measured example a finite number.", 0, column, location: entry);

    private static ObservedCells ReadTable(string path, ExampleReferences exampleIds, (string Example, string Value) names, bool named)
    {
        if (InputFile.ReaderExtension(path) is ".parquet" or ".pq")
        {
            // The matrix's value column and this one are held to one rule: numbers, not text that looks like them, nor dates
            // (a table is read without its date columns, so the value column is checked first).
            using var reader = Parquet.ParquetReader.Open(path);
            if (TableColumns.IndexOf([.. reader.Columns.Select(c => c.Name)], names.Value) is var v and >= 0)
            {
                reader.RequireNumbers(v);
            }
        }

        var table = MetadataTable.Read(path);
        var (exampleColumn, valueColumn) = Columns(path, table.ColumnNames, names, headerLine: 0, named);
        var ids = table.Column(table.ColumnNames[exampleColumn]);
        var values = table.Column(table.ColumnNames[valueColumn]);
        var taskColumn = TaskColumn(table.ColumnNames, exampleColumn, valueColumn);
        var tasks = taskColumn < 0 ? null : table.Column(table.ColumnNames[taskColumn]);

        return Resolve(path, Enumerable.Range(0, table.RowCount).Select(r => (ids[r] ?? string.Empty, values[r] ?? string.Empty, (long)r + 1, tasks?[r])), exampleIds, "row",
            table.ColumnNames[exampleColumn], table.ColumnNames[valueColumn], taskColumn < 0 ? null : table.ColumnNames[taskColumn]);
    }

    // A first line that is a measured cell (one of the model's examples, then a number), as pandas writes a Series or a frame
    // with header=False, is not a header: read as one, that cell would be dropped without a word. Refused whether the line's
    // fields were looked for under the default names or named as the columns (--observed-columns "1740,0.93" would take the
    // cell's own id and value for column names and read the other 29 cells).
    private static void RefuseCellAsHeader(string path, List<string> header, (string Example, string Value) names, bool named, ExampleReferences exampleIds)
    {
        int example, value;
        if (named)
        {
            (example, value) = (TableColumns.IndexOf(header, names.Example), TableColumns.IndexOf(header, names.Value));
            if (example < 0 || value < 0 || !IsExample(header[example]) || !TableColumns.IsNumber(header[value]))
            {
                return;
            }
        }
        else
        {
            if (TableColumns.IndexOf(header, names.Example) >= 0 && TableColumns.IndexOf(header, names.Value) >= 0)
            {
                return;
            }

            example = Enumerable.Range(0, header.Count).FirstOrDefault(i => IsExample(header[i]), -1);
            value = example < 0 ? -1 : Enumerable.Range(example + 1, header.Count - example - 1).FirstOrDefault(i => TableColumns.IsNumber(header[i]), -1);
            if (value < 0)
            {
                return;
            }
        }

        var cell = $"its first line ({Echo.List(header)}) is a measured cell, not a header: example {Echo.Quote(header[example].Trim())} with value {header[value].Trim()}. The file has no header line (pandas writes none with header=False), so that cell would be dropped";
        const string Fix = "Write the file with its header (pandas: series.to_csv(path, index_label='example', header=['value']), or df.to_csv(path, index=False) with columns example and value), or add the line 'example,value' above the cells.";
        throw new ForgettingDataException(path, named
            ? OptionMessage.Of($"{cell} (naming its fields with {new OptionReference(DataOptionNames.ObservedColumns)} does not make them a header). {Fix}")
            : OptionMessage.Plain($"{cell}. {Fix}"), 1);

        bool IsExample(string field) => exampleIds.IndexOf(field) >= 0 || exampleIds.IndexOf(field.Trim()) >= 0;
    }

    // The example and value columns; any other column (a pandas index, a seed...) is ignored.
    // headerLine: the header's line in a text file, 0 for a table whose columns are named in its schema (Parquet).
    // named: the columns were named by the caller (--observed-columns), so a name the table lacks is the option's to change
    // (ContradictsOption, a usage error), as an id column the table lacks is; the default names missing are the file's fault.
    private static (int Example, int Value) Columns(string path, IReadOnlyList<string> header, (string Example, string Value) names, long headerLine, bool named)
    {
        var example = TableColumns.IndexOf(header, names.Example);
        var value = TableColumns.IndexOf(header, names.Value);
        if ((example < 0 || value < 0) && named)
        {
            var lacking = string.Join(" or ", new[] { (names.Example, example), (names.Value, value) }.Where(c => c.Item2 < 0).Select(c => Echo.Quote(c.Item1)));
            throw new ForgettingDataException(path, OptionMessage.Of(
                $"{new OptionReference(DataOptionNames.ObservedColumns, $"{names.Example},{names.Value}")} names columns the table lacks: it has no {lacking} (its columns: {Echo.List(TableColumns.PandasNames(header))}). Name its example and value columns with {new OptionReference(DataOptionNames.ObservedColumns, "EXAMPLE,VALUE")}, or drop it if they are example and value."), headerLine)
            { ContradictsOption = true };
        }

        if (example < 0 || value < 0)
        {
            throw new ForgettingDataException(path, OptionMessage.Of(
                $"the table needs an example column {Echo.Quote(names.Example)} and a value column {Echo.Quote(names.Value)} (found: {Echo.List(TableColumns.PandasNames(header))}). Rename them, or name them with {new OptionReference(DataOptionNames.ObservedColumns, "EXAMPLE,VALUE")}."), headerLine);
        }

        return (example, value);
    }

    // Matches each entry to an example (by id, or by position when asked), parses its value, and refuses repeats. Unknown
    // references are collected and reported together (count and the first few) so a user fixes them in one go. An entry's
    // task (a long table's task column, taskColumn; null where there is none) is collected: several are warned of.
    private static ObservedCells Resolve(string source, IEnumerable<(string Id, string Value, long Line, string? Task)> rows, ExampleReferences exampleIds, string unit,
        string exampleColumn = "example", string valueColumn = "value", string? taskColumn = null)
    {
        var tasks = new List<string>();
        var seenTasks = new HashSet<string>(StringComparer.Ordinal);
        long secondTaskLine = 0;
        var examples = new List<int>();
        var values = new List<double>();
        var firstLine = new Dictionary<int, long>();
        var unknown = new List<(string Id, long Line)>();
        var lines = new List<long>();
        ForgettingDataException At(string detail, long line, string column) => Located(source, unit, detail, line, column);
        foreach (var (rawId, text, line, task) in rows)
        {
            if (task is not null && task.Trim().Length > 0 && seenTasks.Add(task))
            {
                tasks.Add(task);
                secondTaskLine = tasks.Count == 2 ? line : secondTaskLine;
            }

            // Ids match exactly, as the matrix's do (' abc' and 'abc' are two examples); spaces around an id ("5, 0.1")
            // are dropped only when the id as written names no example.
            var id = rawId;
            var index = exampleIds.IndexOf(id);
            if (index < 0 && rawId.Trim() is var trimmed && trimmed.Length != rawId.Length)
            {
                (id, index) = (trimmed, exampleIds.IndexOf(trimmed));
            }

            if (index < 0 && id.Trim().Length == 0)
            {
                // An empty cell (a null in Parquet) names no example: said so, not listed as the unknown id ''.
                throw At($"the example id is {(unit == "row" ? "null or empty" : "empty")}; every measured cell needs its example's id: fill it in, or drop the row.", line, exampleColumn);
            }

            if (index < 0)
            {
                unknown.Add((id, line));
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                throw At($"example '{id}' has no value; write its measured forgetting (its loss after the fine-tune minus before), or drop the row if it was not measured (a 'design' template leaves every value empty).", line, valueColumn);
            }

            // numpy and pandas write infinity as "inf"; it is a number, just not a finite one (refused below).
            var parsed = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value);
            if (!parsed && text.Trim().TrimStart('+', '-').ToUpperInvariant() is "INF" or "INFINITY")
            {
                (parsed, value) = (true, double.PositiveInfinity);
            }

            // True/False (pandas' booleans), true/false and TRUE/FALSE are 1 and 0, as the matrix readers take them.
            if (!parsed && CellParser.TryParseBoolean(text, out var flag))
            {
                (parsed, value) = (true, flag);
            }

            if (!parsed)
            {
                throw At(text.Trim().ToUpperInvariant() is "NA" or "NAN" or "N/A" or "NULL" or "NONE" or "<NA>"
                    ? $"example '{id}' has value {Echo.Quote(text)}, a missing value; drop the row if the example was not measured."
                    : $"value {Echo.Quote(text)} is not a number (use '.' as the decimal point).", line, valueColumn);
            }

            if (!double.IsFinite(value))
            {
                throw At($"value {Echo.Quote(text)} is not finite; give the measured forgetting, or drop the row if the example was not measured.", line, valueColumn);
            }

            if (!firstLine.TryAdd(index, line))
            {
                throw At(string.Create(CultureInfo.InvariantCulture, $"example {Echo.Quote(id)} is measured twice, on {(unit == "entry" ? "entries" : unit + "s")} {firstLine[index]} and {line}; keep one."), line, exampleColumn);
            }

            examples.Add(index);
            values.Add(value);
            lines.Add(line);
        }

        if (unknown.Count > 0)
        {
            throw At($"{exampleIds.DescribeUnknown([.. unknown.Select(u => u.Id)])}.", unknown[0].Line, exampleColumn);
        }

        return new ObservedCells([.. examples], [.. values])
        {
            _lines = [.. lines],
            _source = source,
            _unit = unit,
            _valueColumn = valueColumn,
            Warnings = tasks.Count > 1 ? [SeveralTasks(source, unit, taskColumn ?? "task", tasks, secondTaskLine)] : [],
        };
    }
}
