using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Reads and writes forgetting matrices as JSON: <c>{"tasks": [...], "examples": [...], "values": [[...], ...]}</c>, or
/// pandas' split orientation (<c>{"columns": [...], "index": [...], "data": [[...], ...]}</c>, the form written), one inner
/// array per task, <c>null</c> for a missing cell.
/// </summary>
/// <remarks>
/// <para><c>tasks</c> and <c>examples</c> are optional (ids "0".."M-1" and "0".."N-1" without them); ids may be strings
/// or numbers. pandas' split orientation (<c>df.to_json(orient="split")</c>: <c>index</c>, <c>columns</c>,
/// <c>data</c>) is read too, and so is a bare list of rows (<c>json.dump(z.tolist())</c>, <c>df.to_json(orient="values")</c>),
/// a matrix without ids. Any other key is refused (a misspelt one would lose its data), and pandas' other orients are
/// named with the fix (<c>orient="split"</c>). A missing cell is <c>null</c> (or the string "NaN"); numbers
/// must be finite.</para>
/// <para>The file is read as a token stream (<see cref="Utf8JsonReader"/> over a 1 MiB buffer), never as a document:
/// rows go straight into the matrix's row blocks, so memory is about twice the matrix. A ragged row is refused naming
/// its JSON path (<c>values[3]</c>).</para>
/// </remarks>
public static class JsonMatrixFormat
{
    private const int MaxTokenBytes = 1 << 24;

    /// <summary>Reads a JSON matrix file.</summary>
    /// <exception cref="ForgettingDataException">The file is missing, not JSON, or not a matrix (the message names the JSON path and line).</exception>
    public static ForgettingMatrix Read(string path) => Read(path, maxCells: null);

    internal static ForgettingMatrix Read(string path, long? maxCells)
    {
        using var stream = InputFile.OpenText(path);
        return Read(stream, path, maxCells);
    }

    /// <summary>Reads a JSON matrix from <paramref name="stream"/> (left open).</summary>
    /// <exception cref="ForgettingDataException">See <see cref="Read(string)"/>.</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName) => Read(stream, sourceName, maxCells: null);

    /// <summary>As <see cref="Read(Stream, string)"/>, refusing a matrix of more than <paramref name="maxCells"/> cells
    /// (<see cref="MatrixReadOptions.MaxCells"/>; null: no limit) as soon as its rows pass it.</summary>
    internal static ForgettingMatrix Read(Stream stream, string sourceName, long? maxCells)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        var tokens = new JsonTokens(stream, sourceName);
        try
        {
            return Parse(ref tokens, sourceName, maxCells);
        }
        catch (JsonException e)
        {
            // The parser's text names its own position ("LineNumber: 0 | BytePositionInLine: 48") and a path: said here in
            // the file's terms instead (the line, then the character in it).
            var where = JsonText.Where(e);
            var detail = JsonText.IsBareNonFinite(e)
                ? $"{where}: {JsonText.NonFiniteHint} write null for a missing cell (pandas to_json does, or json.dump after replacing NaN by None)."
                : $"{where}: the file is not valid JSON ({JsonText.Reason(e)}); check it is complete.";
            throw new ForgettingDataException(sourceName, detail, JsonText.Line(e), innerException: e);
        }
    }

    /// <summary>
    /// Writes <paramref name="matrix"/> as compact UTF-8 JSON in pandas' split orientation, which
    /// <c>pd.read_json(path, orient="split")</c> reads as the frame (tasks as its index, examples as its columns):
    /// <c>columns</c> (the example ids) and <c>index</c> (the task ids) when the ids are explicit (numbers when every id of
    /// the list is a canonical integer, <see cref="Tables.IdColumns"/>; else strings), then <c>data</c>, one row per task of
    /// float32 shortest round-trip numbers with <c>null</c> for missing cells.
    /// </summary>
    public static void Write(ForgettingMatrix matrix, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        if (!matrix.ExampleIds.IsImplicit)
        {
            WriteStrings(writer, "columns", matrix.ExampleIds);
        }

        if (!matrix.TaskIds.IsImplicit)
        {
            WriteStrings(writer, "index", matrix.TaskIds);
        }

        writer.WriteStartArray("data");
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            writer.WriteStartArray();
            foreach (var v in matrix.Row(i))
            {
                if (float.IsNaN(v))
                {
                    writer.WriteNullValue();
                }
                else if (v == MathF.Round(v))
                {
                    // A whole value as a float (1.0, -0.0): "1" reads back as an integer in Python's json and polars.
                    Tables.JsonFloat.WriteValue(writer, v);
                }
                else
                {
                    writer.WriteNumberValue(v);
                }
            }

            writer.WriteEndArray();
            if (writer.BytesPending > 1 << 16)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // Ids under the output rule (Tables.IdColumns): numbers when every id is a canonical integer, else strings.
    private static void WriteStrings(Utf8JsonWriter writer, string name, IdList ids)
    {
        writer.WriteStartArray(name);
        if (Tables.IdColumns.AsIntegerArray(ids) is { } numbers)
        {
            foreach (var number in numbers)
            {
                writer.WriteNumberValue(number);
            }
        }
        else
        {
            foreach (var id in ids)
            {
                writer.WriteStringValue(id);
            }
        }

        writer.WriteEndArray();
        writer.Flush();
    }

    private static ForgettingMatrix Parse(ref JsonTokens tokens, string source, long? maxCells)
    {
        if (tokens.IsEmpty)
        {
            throw new ForgettingDataException(source, "the file is empty; expected a JSON object {\"tasks\": [...], \"examples\": [...], \"values\": [[...], ...]}.");
        }

        if (tokens.Read() && tokens.TokenType == JsonTokenType.StartArray)
        {
            // A bare list of rows (json.dump(z.tolist()), pandas to_json(orient='values')): a matrix without ids, numbered.
            var bare = ReadRows(ref tokens, string.Empty, source, maxCells);
            if (tokens.Read())
            {
                throw new ForgettingDataException(source, $"unexpected {Describe(tokens.TokenType)} after the list of rows; the file must hold one JSON array or object.", tokens.Line);
            }

            return Wrap(bare, null, null, source);
        }

        if (tokens.TokenType != JsonTokenType.StartObject)
        {
            throw new ForgettingDataException(source, "expected a JSON object {\"tasks\": [...], \"examples\": [...], \"values\": [[...], ...]} or a list of rows [[...], ...]" + (tokens.TokenType == JsonTokenType.None ? " but the file is empty." : $" but it starts with {Describe(tokens.TokenType)}; write df.to_json(orient='split'), or that form."), tokens.Line);
        }

        List<string>? taskIds = null, exampleIds = null;
        RowBuffer? rows = null;
        while (true)
        {
            if (!tokens.Read())
            {
                throw new ForgettingDataException(source, "the JSON object is not closed; the file is truncated.", tokens.Line);
            }

            if (tokens.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = tokens.GetString();
            switch (name)
            {
                case "tasks" or "index":
                    Once(taskIds, name, source, tokens.Line);
                    taskIds = ReadIds(ref tokens, name, source, maxCells, tasks: true);
                    break;
                case "examples" or "columns":
                    Once(exampleIds, name, source, tokens.Line);
                    exampleIds = ReadIds(ref tokens, name, source, maxCells, tasks: false);
                    break;
                case "values" or "data":
                    Once(rows, name, source, tokens.Line);
                    rows = ReadValues(ref tokens, name, source, maxCells);
                    break;
                case "schema":
                    throw new ForgettingDataException(source, "holds pandas' orient='table' JSON (a \"schema\" and a record per row), which is not a matrix form read here; write df.to_json(orient='split'), or the {\"tasks\": [...], \"examples\": [...], \"values\": [[...]]} form.", tokens.Line, location: name);
                default:
                    // pandas' default to_json() (orient='columns', or 'index'): an object per column (or row) of the frame.
                    var line = tokens.Line;
                    if (tokens.Read() && tokens.TokenType == JsonTokenType.StartObject)
                    {
                        throw new ForgettingDataException(source, $"holds an object of objects (under {Echo.Quote(name)}), as pandas' default df.to_json() writes a frame (orient='columns', or 'index'), which is not a matrix form read here; write df.to_json(orient='split'), or the {{\"tasks\": [...], \"examples\": [...], \"values\": [[...]]}} form.", line, location: name);
                    }

                    // One record of a table per line (polars' write_ndjson(), pandas' to_json(orient='records', lines=True)).
                    if (name is "task" or "example" or "value")
                    {
                        throw new ForgettingDataException(source, $"holds a record with key {Echo.Quote(name)}, as a table written a record per line (JSON Lines: polars' write_ndjson(), pandas' to_json(orient='records', lines=True)) holds, which is not a matrix form read here; write the table as Parquet or CSV, which are read in its layout, wide or long (polars: df.write_parquet(path); pandas: df.to_csv(path, index=False)), or the {{\"tasks\": [...], \"examples\": [...], \"values\": [[...]]}} form.", line, location: name);
                    }

                    // A misspelt key ("valuez") would be ignored while its data is lost: refused.
                    throw new ForgettingDataException(source, $"unknown key {Echo.Quote(name)}{(Core.Models.Suggestion.DidYouMean(name, ["tasks", "examples", "values"]) is { Length: > 0 } guess ? guess : ".")} A matrix is {{\"tasks\": [...], \"examples\": [...], \"values\": [[...]]}} (or pandas' orient='split': \"index\", \"columns\", \"data\"), with no other keys.", line, location: name);
            }
        }

        if (tokens.Read())
        {
            throw new ForgettingDataException(source, $"unexpected {Describe(tokens.TokenType)} after the matrix object; the file must hold one JSON object.", tokens.Line);
        }

        if (rows is null)
        {
            throw new ForgettingDataException(source, "the JSON object has no \"values\" array (one array of numbers per task; pandas' orient='split' \"data\" is also accepted).");
        }

        if (taskIds is not null && taskIds.Count != rows.Rows)
        {
            throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"\"tasks\" has {taskIds.Count} ids but \"values\" has {rows.Rows} rows; give one id per row."), location: "tasks");
        }

        if (exampleIds is not null && exampleIds.Count != rows.Columns)
        {
            throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"\"examples\" has {exampleIds.Count} ids but the rows of \"values\" have {rows.Columns} values; give one id per column."), location: "examples");
        }

        return Wrap(rows, taskIds, exampleIds, source);
    }

    private static ForgettingMatrix Wrap(RowBuffer rows, List<string>? taskIds, List<string>? exampleIds, string source)
    {
        try
        {
            return ForgettingMatrix.Wrap(rows.ToArray(), rows.Rows, rows.Columns, taskIds, exampleIds);
        }
        catch (ArgumentException e)
        {
            // Only an id error is fixed in the ids (an infinite cell or a matrix too small for single precision says its own fix).
            var ids = e.ParamName is "ids" or "taskIds" or "exampleIds";
            throw new ForgettingDataException(source, e.Message.Split(" (Parameter", 2)[0] + (ids ? " Fix the \"tasks\"/\"examples\" ids." : string.Empty), innerException: e);
        }
    }

    private static void Once(object? previous, string name, string source, long line)
    {
        if (previous is not null)
        {
            throw new ForgettingDataException(source, $"\"{name}\" is given twice (or together with its alias); keep one.", line);
        }
    }

    // Every id is a row or a column of at least one cell, so more ids than the cells accepted are refused as they are read
    // (a gzipped upload can decompress to millions of them).
    private static List<string> ReadIds(ref JsonTokens tokens, string name, string source, long? maxCells, bool tasks)
    {
        tokens.ReadRequired(source);
        if (tokens.TokenType != JsonTokenType.StartArray)
        {
            throw new ForgettingDataException(source, $"\"{name}\" is {Describe(tokens.TokenType)}; expected an array of ids (strings or numbers).", tokens.Line, location: name);
        }

        var ids = new List<string>();
        while (true)
        {
            tokens.ReadRequired(source);
            switch (tokens.TokenType)
            {
                case JsonTokenType.EndArray:
                    return ids;
                case JsonTokenType.String:
                    ids.Add(tokens.GetString());
                    break;
                case JsonTokenType.Number:
                    ids.Add(Utf8CsvReader.Text(tokens.ValueSpan));
                    break;
                default:
                    throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture, $"{name}[{ids.Count}] is {Describe(tokens.TokenType)}; ids must be strings or numbers."), tokens.Line, location: string.Create(CultureInfo.InvariantCulture, $"{name}[{ids.Count}]"));
            }

            if (maxCells is { } max && ids.Count > max)
            {
                MatrixReadOptions.CheckCells(max, source, tasks ? ids.Count : 1, tasks ? 1 : ids.Count, soFar: true);
            }
        }
    }

    private static RowBuffer ReadValues(ref JsonTokens tokens, string name, string source, long? maxCells)
    {
        tokens.ReadRequired(source);
        if (tokens.TokenType != JsonTokenType.StartArray)
        {
            throw new ForgettingDataException(source, $"\"{name}\" is {Describe(tokens.TokenType)}; expected an array of rows, one array of numbers per task.", tokens.Line, location: name);
        }

        return ReadRows(ref tokens, name, source, maxCells);
    }

    // The rows of an array whose '[' has been read; name is its key ("values", "data"), or empty for a bare list.
    private static RowBuffer ReadRows(ref JsonTokens tokens, string name, string source, long? maxCells)
    {
        RowBuffer? rows = null;
        var first = new List<float>();
        var row = 0;
        while (true)
        {
            tokens.ReadRequired(source);
            if (tokens.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            var path = string.Create(CultureInfo.InvariantCulture, $"{name}[{row}]");
            if (tokens.TokenType != JsonTokenType.StartArray)
            {
                throw new ForgettingDataException(source, $"{path} is {Describe(tokens.TokenType)}; each row must be an array of numbers (null for a missing cell).{(tokens.TokenType == JsonTokenType.StartObject ? " Rows of records are pandas' orient='table' or 'records' JSON, or polars' write_json(): write df.to_json(orient='split'), the {\"tasks\", \"examples\", \"values\"} form, or Parquet or CSV, which keep a frame's columns (polars: df.write_parquet(path))." : "")}", tokens.Line, location: path);
            }

            var destination = rows is null ? default : rows.AddRow(0);
            var j = 0;
            while (true)
            {
                tokens.ReadRequired(source);
                if (tokens.TokenType == JsonTokenType.EndArray)
                {
                    break;
                }

                var value = ReadCell(ref tokens, source, name, row, j);
                if (rows is null)
                {
                    // The first row fixes the width: held in a list until it ends, and bounded like the rows after it.
                    MatrixReadOptions.CheckCells(maxCells, source, 1, first.Count + 1L, soFar: true);
                    first.Add(value);
                }
                else if (j < rows.Columns)
                {
                    destination[j] = value;
                }
                else
                {
                    throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                        $"{path} has more than {rows.Columns} values but {name}[0] has {rows.Columns}; every row needs one value per example."), tokens.Line, location: path);
                }

                j++;
            }

            if (rows is null)
            {
                if (first.Count == 0)
                {
                    throw new ForgettingDataException(source, $"{path} is empty; each row needs one value per example.", tokens.Line, location: path);
                }

                rows = new RowBuffer(first.Count, source, maxCells: maxCells);
                first.CopyTo(rows.AddRow(tokens.Line));
                first = [];
            }
            else if (j != rows.Columns)
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                    $"{path} has {j} values but {name}[0] has {rows.Columns}; every row needs one value per example (null for a missing cell)."), tokens.Line, location: path);
            }

            row++;
        }

        return rows ?? throw new ForgettingDataException(source, name.Length == 0 ? "the list has no rows." : $"\"{name}\" has no rows.", tokens.Line, location: name.Length == 0 ? null : name);
    }

    private static float ReadCell(ref JsonTokens tokens, string source, string name, int row, int column)
    {
        switch (tokens.TokenType)
        {
            case JsonTokenType.Null:
                return float.NaN;
            case JsonTokenType.Number:
            {
                var kind = CellParser.Parse(tokens.ValueSpan, out var value);
                if (kind is CellKind.Number)
                {
                    return value;
                }

                throw new ForgettingDataException(source, CsvMatrixFormat.CellMessage(kind, tokens.ValueSpan, null), tokens.Line, location: Path(name, row, column));
            }

            case JsonTokenType.String:
            {
                var text = tokens.GetString();
                if (text is "NaN" or "nan" or "")
                {
                    return float.NaN;
                }

                throw new ForgettingDataException(source, $"{Echo.Quote(text)} is a string; cells must be numbers, or null for a missing cell.", tokens.Line, location: Path(name, row, column));
            }

            default:
                throw new ForgettingDataException(source, $"found {Describe(tokens.TokenType)}; cells must be numbers, or null for a missing cell.", tokens.Line, location: Path(name, row, column));
        }
    }

    private static string Path(string name, int row, int column) => string.Create(CultureInfo.InvariantCulture, $"{name}[{row}][{column}]");

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => type.ToString(),
    };

    /// <summary>A <see cref="Utf8JsonReader"/> over a stream: refills its buffer whenever the reader needs more bytes.</summary>
    private ref struct JsonTokens
    {
        private static readonly JsonReaderOptions s_options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 };
        private readonly Stream _stream;
        private readonly string _source;
        private byte[] _buffer;
        private int _start;
        private int _length;
        private long _linesBefore;
        private bool _final;
        private Utf8JsonReader _reader;

        public JsonTokens(Stream stream, string source)
        {
            _stream = stream;
            _source = source;
            _buffer = new byte[Utf8CsvReader.BufferSizeFor(stream, 1 << 20)];
            _length = 0;
            _linesBefore = 0;
            _final = false;
            while (!_final && _length < _buffer.Length && (_length < 3 || _buffer.AsSpan(0, _length).Trim(" \t\r\n"u8).IsEmpty))
            {
                Fill();
            }

            _start = _buffer.AsSpan(0, _length).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
            _reader = new Utf8JsonReader(_buffer.AsSpan(_start, _length - _start), _final, new JsonReaderState(s_options));
        }

        public readonly JsonTokenType TokenType => _reader.TokenType;

        /// <summary>True when the input holds nothing but an optional byte order mark and white space.</summary>
        public readonly bool IsEmpty => _final && _buffer.AsSpan(_start, _length - _start).Trim(" \t\r\n"u8).IsEmpty;

        public readonly ReadOnlySpan<byte> ValueSpan => _reader.ValueSpan;

        /// <summary>1-based line of the current token (newlines before the buffer plus those before the token in it); for messages only.</summary>
        public readonly long Line => _linesBefore + 1 + _buffer.AsSpan(_start, (int)Math.Min(_reader.TokenStartIndex, _length - _start)).Count((byte)'\n');

        public readonly string GetString()
        {
            try
            {
                return _reader.GetString() ?? string.Empty;
            }
            catch (InvalidOperationException e)
            {
                throw new ForgettingDataException(_source, $"a string is not valid UTF-8 ({e.Message}); save the file as UTF-8.", Line, innerException: e);
            }
        }

        public bool Read()
        {
            while (!_reader.Read())
            {
                if (_final)
                {
                    return false;
                }

                Refill();
            }

            return true;
        }

        public void ReadRequired(string source)
        {
            if (!Read())
            {
                throw new ForgettingDataException(source, "the JSON ends early; the file is truncated.", Line);
            }
        }

        public void SkipValue()
        {
            if (!Read())
            {
                throw new ForgettingDataException(_source, "the JSON ends early; the file is truncated.", Line);
            }

            if (TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                return;
            }

            var depth = 1;
            while (depth > 0)
            {
                if (!Read())
                {
                    throw new ForgettingDataException(_source, "the JSON ends early; the file is truncated.", Line);
                }

                depth += TokenType switch
                {
                    JsonTokenType.StartObject or JsonTokenType.StartArray => 1,
                    JsonTokenType.EndObject or JsonTokenType.EndArray => -1,
                    _ => 0,
                };
            }
        }

        private void Refill()
        {
            var consumed = _start + (int)_reader.BytesConsumed;
            _linesBefore += _buffer.AsSpan(_start, consumed - _start).Count((byte)'\n');
            var remaining = _length - consumed;
            Buffer.BlockCopy(_buffer, consumed, _buffer, 0, remaining);
            _length = remaining;
            _start = 0;
            if (_length == _buffer.Length)
            {
                if (_buffer.Length >= MaxTokenBytes)
                {
                    throw new ForgettingDataException(_source, string.Create(CultureInfo.InvariantCulture, $"a single JSON token is longer than {MaxTokenBytes >> 20} MiB; the file is not a forgetting matrix (or a string is never closed)."));
                }

                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var state = _reader.CurrentState;
            Fill();
            _reader = new Utf8JsonReader(_buffer.AsSpan(0, _length), _final, state);
        }

        private void Fill()
        {
            int read;
            try
            {
                read = _stream.Read(_buffer, _length, _buffer.Length - _length);
            }
            catch (IOException e)
            {
                throw new ForgettingDataException(_source, $"cannot read the file: {e.Message}", innerException: e);
            }

            if (read == 0)
            {
                _final = true;
            }
            else
            {
                _length += read;
            }
        }
    }
}
