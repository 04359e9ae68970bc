using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>A new task's measured cells: example indices (into a model's examples) and their values.</summary>
/// <param name="Examples">Example indices, in input order.</param>
/// <param name="Values">Measured forgetting, one per index.</param>
/// <param name="ResolvedByIndex">How many entries named their example by column index rather than id.</param>
public sealed record ObservedCells(int[] Examples, double[] Values, int ResolvedByIndex)
{
    private const int ShownUnknown = 5;

    /// <summary>No known cells (a task-agnostic prediction).</summary>
    public static ObservedCells None { get; } = new([], [], 0);

    /// <summary>
    /// Reads a table with columns <c>example,value</c> (any order, more columns ignored): CSV or TSV, or Parquet; or a .json
    /// file holding either an object of example/value pairs (<c>{"ex_3": 0.41, "ex_9": 0.02}</c>, what the service takes) or
    /// an array of records (<c>[{"example": "ex_3", "value": 0.41}]</c>, pandas <c>to_json(orient="records")</c>). An example
    /// is matched by id first; a value that is not an id but an integer 0..N-1 is taken as a column index.
    /// </summary>
    /// <exception cref="ForgettingDataException">A column is missing, a value is not a finite number, an example is unknown or repeated (the message gives line numbers).</exception>
    public static ObservedCells Read(string path, IdList exampleIds)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(exampleIds);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".parquet" or ".pq" => ReadTable(path, exampleIds),
            ".json" => ReadJson(path, exampleIds),
            _ => ReadDelimited(path, exampleIds),
        };
    }

    /// <summary>Cells given as (example id, value) pairs, e.g. a JSON object; validated like a file.</summary>
    /// <exception cref="ForgettingDataException">An example is unknown or repeated, or a value is not finite.</exception>
    public static ObservedCells FromPairs(IEnumerable<KeyValuePair<string, double>> pairs, IdList exampleIds, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Resolve(sourceName, pairs.Select((p, i) => (p.Key, p.Value.ToString("R", CultureInfo.InvariantCulture), (long)i + 1)), exampleIds, "entry");
    }

    private static ObservedCells ReadDelimited(string path, IdList exampleIds)
    {
        using var stream = NpyFormat.OpenRead(path);
        using var csv = new CsvTokenizer(stream, path, CsvMatrixFormat.DelimiterFor(path));
        var header = csv.Next() ?? throw new ForgettingDataException(path, "the file is empty; expected a header 'example,value' and one row per measured example.");
        var (exampleColumn, valueColumn) = Columns(path, header);
        return Resolve(path, Rows(), exampleIds, "line");

        IEnumerable<(string Id, string Value, long Line)> Rows()
        {
            while (csv.Next() is { } record)
            {
                if (record.Count != header.Count)
                {
                    throw new ForgettingDataException(path, $"row has {record.Count} fields but the header has {header.Count}.", csv.RecordLine);
                }

                yield return (record[exampleColumn], record[valueColumn], csv.RecordLine);
            }
        }
    }

    private static ObservedCells ReadJson(string path, IdList exampleIds)
    {
        const string Shapes = "expected an object of example/value pairs ({\"ex_3\": 0.41}) or an array of records ([{\"example\": \"ex_3\", \"value\": 0.41}], pandas to_json(orient=\"records\"))";
        using var stream = NpyFormat.OpenRead(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new ForgettingDataException(path, $"is not valid JSON ({e.Message.Split(" Path:", 2)[0].TrimEnd('.')}); {Shapes}.", (e.LineNumber ?? 0) + 1, innerException: e);
        }

        using (document)
        {
            var root = document.RootElement;
            var rows = new List<(string Id, string Value, long Line)>();
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in root.EnumerateObject())
                    {
                        rows.Add((property.Name, JsonNumber(path, property.Value, property.Name, rows.Count + 1), rows.Count + 1));
                    }

                    return Resolve(path, rows, exampleIds, "entry");
                case JsonValueKind.Array:
                    foreach (var record in root.EnumerateArray())
                    {
                        var number = rows.Count + 1;
                        if (record.ValueKind != JsonValueKind.Object
                            || !TryGetProperty(record, "example", out var example) || !TryGetProperty(record, "value", out var value))
                        {
                            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture, $"record {number} is not an object with 'example' and 'value'; {Shapes}."), number);
                        }

                        var id = example.ValueKind switch
                        {
                            JsonValueKind.String => example.GetString() ?? string.Empty,
                            JsonValueKind.Number => example.GetRawText(),
                            _ => throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture, $"record {number}'s 'example' is {example.ValueKind.ToString().ToLowerInvariant()}; give an example id (text) or a column index."), number, "example"),
                        };
                        rows.Add((id, JsonNumber(path, value, id, number), number));
                    }

                    return Resolve(path, rows, exampleIds, "record");
                default:
                    throw new ForgettingDataException(path, $"holds a JSON {root.ValueKind.ToString().ToLowerInvariant()}; {Shapes}.");
            }
        }
    }

    private static bool TryGetProperty(JsonElement record, string name, out JsonElement value)
    {
        foreach (var property in record.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string JsonNumber(string path, JsonElement value, string id, long number) =>
        value.ValueKind == JsonValueKind.Number
            ? value.GetRawText()
            : throw new ForgettingDataException(path, $"the value for example '{id}' is {value.ValueKind.ToString().ToLowerInvariant()}, not a number; give each measured example a finite number.", number, "value");

    private static ObservedCells ReadTable(string path, IdList exampleIds)
    {
        var table = MetadataTable.Read(path);
        var (exampleColumn, valueColumn) = Columns(path, table.ColumnNames);
        var ids = table.Column(table.ColumnNames[exampleColumn]);
        var values = table.Column(table.ColumnNames[valueColumn]);
        return Resolve(path, Enumerable.Range(0, table.RowCount).Select(r => (ids[r] ?? string.Empty, values[r] ?? string.Empty, (long)r + 1)), exampleIds, "row");
    }

    private static (int Example, int Value) Columns(string path, IReadOnlyList<string> names)
    {
        var list = names.ToList();
        var example = list.FindIndex(h => h.Trim().Equals("example", StringComparison.OrdinalIgnoreCase));
        var value = list.FindIndex(h => h.Trim().Equals("value", StringComparison.OrdinalIgnoreCase));
        if (example < 0 || value < 0)
        {
            throw new ForgettingDataException(path, $"the table must have columns 'example' and 'value' (found: {string.Join(", ", names.Select(h => $"'{h}'"))}).", 1);
        }

        return (example, value);
    }

    /// <summary>
    /// The example a user names: by id first, then by column index (0-based) when no id matches; -1 when neither does.
    /// </summary>
    /// <param name="exampleIds">The model's or matrix's example ids.</param>
    /// <param name="id">The name given (an id, or a column index as text).</param>
    /// <param name="byPosition">True when the name matched as a column index.</param>
    public static int ExampleIndex(IdList exampleIds, string id, out bool byPosition)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        var index = exampleIds.IndexOf(id);
        if (index >= 0)
        {
            byPosition = false;
            return index;
        }

        byPosition = int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < exampleIds.Count;
        return byPosition ? position : -1;
    }

    // Matches each entry to an example (id first, then column index), parses its value, and refuses repeats. Unknown ids
    // are collected and reported together (count and the first few) so a user fixes them in one go.
    private static ObservedCells Resolve(string source, IEnumerable<(string Id, string Value, long Line)> rows, IdList exampleIds, string unit)
    {
        var examples = new List<int>();
        var values = new List<double>();
        var firstLine = new Dictionary<int, long>();
        var unknown = new List<(string Id, long Line)>();
        var byIndex = 0;
        foreach (var (rawId, text, line) in rows)
        {
            var id = rawId.Trim();
            var index = ExampleIndex(exampleIds, id, out var byPosition);
            byIndex += byPosition ? 1 : 0;

            if (index < 0)
            {
                unknown.Add((id, line));
                continue;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw new ForgettingDataException(source, $"value '{text}' is not a finite number (use '.' as the decimal point).", line, "value");
            }

            if (!firstLine.TryAdd(index, line))
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"example '{id}' is measured twice, on {unit}s {firstLine[index]} and {line}; keep one."), line, "example");
            }

            examples.Add(index);
            values.Add(value);
        }

        if (unknown.Count > 0)
        {
            var shown = string.Join(", ", unknown.Take(ShownUnknown).Select(u => $"'{u.Id}'"));
            var what = unknown.Count == 1
                ? $"example {shown} is not one of the model's {exampleIds.Count} examples"
                : string.Create(CultureInfo.InvariantCulture, $"{unknown.Count} examples are not among the model's {exampleIds.Count} (first: {shown})");
            throw new ForgettingDataException(source, $"{what} (by id or column index). Check the ids, or refit the model on a matrix that has them.", unknown[0].Line, "example");
        }

        return new ObservedCells([.. examples], [.. values], byIndex);
    }
}
