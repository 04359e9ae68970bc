using System.Globalization;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Reads and writes whitespace-separated text matrices, what <c>np.savetxt</c> writes by default and <c>np.loadtxt</c> reads:
/// one row per task, values separated by spaces or tabs (any run of them), <c>nan</c> (or an NA marker) for a missing cell.
/// </summary>
/// <remarks>
/// <para>Lines starting with <c>#</c> are comments. A first comment line before the data holding as many words as a row
/// has values (<c>np.savetxt(path, z, header=" ".join(example_ids))</c> writes <c># ex_0 ex_1 ...</c>) gives the example
/// ids; otherwise examples are numbered 0, 1, 2... Tasks are always numbered (the format has no place for their ids).
/// Blank lines are skipped; UTF-8 with or without a byte order mark, LF or CRLF line ends.</para>
/// <para>The format is chosen by the extensions .txt and .dat, or by name (<c>txt</c>) for any file.</para>
/// </remarks>
public static class TextMatrixFormat
{
    /// <summary>Reads a whitespace-separated matrix from <paramref name="stream"/> (left open); <paramref name="sourceName"/> names it in messages.</summary>
    /// <exception cref="ForgettingDataException">The text is malformed (the message names the line, column and fix).</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName) => Read(stream, sourceName, maxCells: null);

    /// <summary>As <see cref="Read(Stream, string)"/>, refusing a matrix of more than <paramref name="maxCells"/> cells
    /// (<see cref="MatrixReadOptions.MaxCells"/>; null: no limit) as soon as its rows pass it.</summary>
    internal static ForgettingMatrix Read(Stream stream, string sourceName, long? maxCells)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        var lines = new LineReader(stream);
        string[]? header = null;
        var sawData = false;
        RowBuffer? rows = null;
        long headerLine = 0;
        while (lines.Next(out var text, out var line))
        {
            text = Trim(text);
            if (text.IsEmpty)
            {
                continue;
            }

            if (text[0] == (byte)'#')
            {
                if (!sawData && header is null)
                {
                    header = (Utf8Text.TryDecode(text[1..], out var invalid) ?? throw new ForgettingDataException(sourceName,
                        $"the header line is not UTF-8 text: its {invalid}; save the file as UTF-8.", line)).Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    headerLine = line;
                }

                continue;
            }

            var count = Fields(text);
            if (rows is null)
            {
                rows = new RowBuffer(count, sourceName, maxCells: maxCells);
                sawData = true;
            }
            else if (count != rows.Columns)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                    $"row has {count} values but the first row has {rows.Columns}; every row of a whitespace-separated matrix needs one value per example (write a missing cell as nan)."), line);
            }

            ParseRow(sourceName, text, rows.AddRow(line), line);
        }

        if (rows is null)
        {
            throw new ForgettingDataException(sourceName, "the file holds no rows of numbers; expected one line per task with whitespace-separated values (np.savetxt).");
        }

        IEnumerable<string>? exampleIds = header is not null && header.Length == rows.Columns ? ExampleIds(sourceName, header, headerLine) : null;
        var values = rows.ToArray();
        try
        {
            return ForgettingMatrix.Wrap(values, rows.Rows, rows.Columns, IdList.Implicit(rows.Rows), exampleIds);
        }
        catch (ArgumentException e)
        {
            throw new ForgettingDataException(sourceName, e.Message.Split(" (Parameter", 2)[0], innerException: e);
        }
    }

    /// <summary>
    /// Writes <paramref name="matrix"/> as np.savetxt does (space-separated, one line per task, <c>nan</c> for a missing cell),
    /// with a <c># </c> header of the example ids when the matrix has them (np.loadtxt skips it). Values are float32
    /// shortest round-trip text, a whole one with ".0" (<c>1.0</c>, <c>-0.0</c>). Task ids are not written.
    /// </summary>
    public static void Write(ForgettingMatrix matrix, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        if (!matrix.ExampleIds.IsImplicit && CanWriteExampleIds(matrix))
        {
            writer.Write("# ");
            writer.WriteLine(string.Join(' ', matrix.ExampleIds));
        }

        Span<char> text = stackalloc char[32];
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < row.Length; j++)
            {
                if (j > 0)
                {
                    writer.Write(' ');
                }

                if (float.IsNaN(row[j]))
                {
                    writer.Write("nan");
                    continue;
                }

                // Shortest round-trip digits; a whole number with ".0" (1.0, -0.0), as the CSV writer and np.savetxt's floats.
                row[j].TryFormat(text, out var written, "R", CultureInfo.InvariantCulture);
                writer.Write(text[..written]);
                if (float.IsFinite(row[j]) && text[..written].IndexOfAny('.', 'E', 'e') < 0)
                {
                    writer.Write(".0");
                }
            }

            writer.WriteLine();
        }
    }

    /// <summary>Whether the '# ' header can carry the example ids: not when one is empty or holds whitespace (the words would not split back).</summary>
    internal static bool CanWriteExampleIds(ForgettingMatrix matrix) =>
        matrix.ExampleIds.IsImplicit || Enumerable.Range(0, matrix.ExampleCount).All(j => matrix.ExampleIds[j].Length > 0 && matrix.ExampleIds[j].AsSpan().IndexOfAny(" \t\r\n") < 0);

    private static string[] ExampleIds(string source, string[] header, long line)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < header.Length; j++)
        {
            if (!seen.TryAdd(header[j], j))
            {
                throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                    $"example id {Echo.Quote(header[j])} is in the '#' header twice (words {seen[header[j]] + 1} and {j + 1}); example ids must be unique."), line);
            }
        }

        return header;
    }

    private static void ParseRow(string source, ReadOnlySpan<byte> text, Span<float> row, long line)
    {
        var j = 0;
        while (NextField(ref text, out var field))
        {
            var kind = CellParser.Parse(field, out row[j]);
            if (kind is not (CellKind.Number or CellKind.Missing))
            {
                var message = CsvMatrixFormat.CellMessage(kind, field, null);
                var column = string.Create(CultureInfo.InvariantCulture, $"{j + 1}");
                throw field.IndexOf((byte)',') >= 0 || field.IndexOf((byte)';') >= 0
                    ? new ForgettingDataException(source, OptionMessage.Of($"{message} The values look delimited by ',' or ';' rather than whitespace: name the file .csv, or pass {new OptionReference(DataOptionNames.Format, "csv")}."), line, column)
                    : new ForgettingDataException(source, message, line, column);
            }

            j++;
        }
    }

    private static int Fields(ReadOnlySpan<byte> text)
    {
        var count = 0;
        while (NextField(ref text, out _))
        {
            count++;
        }

        return count;
    }

    private static bool NextField(ref ReadOnlySpan<byte> text, out ReadOnlySpan<byte> field)
    {
        var start = 0;
        while (start < text.Length && IsSpace(text[start]))
        {
            start++;
        }

        if (start == text.Length)
        {
            field = default;
            text = default;
            return false;
        }

        var end = start;
        while (end < text.Length && !IsSpace(text[end]))
        {
            end++;
        }

        field = text[start..end];
        text = text[end..];
        return true;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r';

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text)
    {
        var start = 0;
        while (start < text.Length && IsSpace(text[start]))
        {
            start++;
        }

        return text[start..];
    }

    /// <summary>Lines of a stream as UTF-8 bytes (without the line end; a leading byte order mark dropped), through a growing buffer.</summary>
    private sealed class LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 16];
        private int _start;
        private int _end;
        private bool _eof;
        private long _line;

        public bool Next(out ReadOnlySpan<byte> text, out long line)
        {
            while (true)
            {
                var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline >= 0 || (_eof && _end > _start))
                {
                    var length = newline >= 0 ? newline : _end - _start;
                    text = _buffer.AsSpan(_start, length);
                    if (_line == 0 && text.StartsWith("\uFEFF"u8))
                    {
                        text = text[3..];
                    }

                    _start += newline >= 0 ? length + 1 : length;
                    line = ++_line;
                    return true;
                }

                if (_eof)
                {
                    text = default;
                    line = _line;
                    return false;
                }

                Fill();
            }
        }

        private void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, checked(_buffer.Length * 2));
            }

            var read = stream.Read(_buffer, _end, _buffer.Length - _end);
            _eof = read == 0;
            _end += read;
        }
    }
}
