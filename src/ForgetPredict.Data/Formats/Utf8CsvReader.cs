using System.Buffers;
using System.Globalization;

namespace ForgetPredict.Data.Formats;

// Design note: the matrix readers parse numbers straight from the UTF-8 bytes of the file, so the reader works on bytes
// and hands out spans into its own buffer: no string per field, no UTF-16 decoding of numeric cells. Strings are made
// only for the fields a caller keeps (ids, metadata), by the caller.

/// <summary>
/// A forward-only RFC 4180 reader over UTF-8 (or ASCII) bytes: quoted fields with doubled quotes, embedded delimiters
/// and line breaks, LF, CRLF or CR line ends, an optional UTF-8 byte order mark, blank lines skipped. Fields are
/// returned as spans into an internal buffer, valid until the next call.
/// </summary>
/// <remarks>
/// Usage: <c>while (reader.NextRecord()) { while (reader.TryReadField(out var field)) { ... } }</c>. The reader tracks
/// the 1-based line where each record starts (<see cref="RecordLine"/>). A field may be at most
/// <see cref="MaxFieldBytes"/> long; a longer one (usually an unclosed quote) is refused.
/// </remarks>
internal sealed class Utf8CsvReader : IDisposable
{
    /// <summary>Longest field accepted (16 MiB): an id or a number is far shorter; a longer field is an unclosed quote or not CSV.</summary>
    public const int MaxFieldBytes = 1 << 24;

    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';
    private const byte Quote = (byte)'"';

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly string _sourceName;
    private byte[] _buffer;
    private byte[] _scratch = new byte[256];
    private int _pos;
    private int _end;
    private bool _eof;
    private bool _pendingLf;
    private bool _inRecord;
    private long _line = 1;
    private int _fieldIndex;

    private Utf8CsvReader(Stream stream, string sourceName, bool leaveOpen, int bufferSize)
    {
        _stream = stream;
        _sourceName = sourceName;
        _leaveOpen = leaveOpen;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>The field delimiter (',' ';' or tab).</summary>
    public byte Delimiter { get; private set; }

    /// <summary>1-based line where the current record starts.</summary>
    public long RecordLine { get; private set; }

    /// <summary>0-based index of the field last returned by <see cref="TryReadField"/> within its record.</summary>
    public int FieldIndex => _fieldIndex - 1;

    /// <summary>1-based line of the reader's position (after the last record read).</summary>
    public long Line => _line;

    /// <summary>The file or stream name used in messages.</summary>
    public string SourceName => _sourceName;

    /// <summary>
    /// Opens a reader. A UTF-8 byte order mark is skipped; UTF-16/UTF-32 byte order marks are refused. When
    /// <paramref name="delimiter"/> is null it is sniffed from the first line: the most frequent of ',', tab and ';'
    /// outside quotes (',' when none occurs).
    /// </summary>
    /// <exception cref="ForgettingDataException">The text is UTF-16 or UTF-32.</exception>
    public static Utf8CsvReader Create(Stream stream, string sourceName, char? delimiter, bool leaveOpen = false, int bufferSize = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new Utf8CsvReader(stream, sourceName, leaveOpen, BufferSizeFor(stream, Math.Max(bufferSize, 64)));
        try
        {
            reader.Start(delimiter);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>A read buffer no larger than the rest of a seekable stream (plus slack), at most <paramref name="maximum"/> and at least 64 bytes.</summary>
    internal static int BufferSizeFor(Stream stream, int maximum)
    {
        if (!stream.CanSeek)
        {
            return maximum;
        }

        var remaining = stream.Length - stream.Position;
        return (int)Math.Clamp(remaining + 16, 64, maximum);
    }

    /// <summary>
    /// Counts the lines (text ended by LF, CRLF or a lone CR, plus a last line without a break) from
    /// <paramref name="from"/> to the end of a seekable stream and restores its position; for sizing. Reads through
    /// <paramref name="buffer"/>.
    /// </summary>
    internal static long CountLines(Stream stream, long from, byte[] buffer)
    {
        var restore = stream.Position;
        stream.Position = from;
        long breaks = 0;
        var previousCr = false;
        var last = Lf;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            breaks += span.Count(Lf) + span.Count(Cr) - span.Count("\r\n"u8);
            if (previousCr && span[0] == Lf)
            {
                breaks--;
            }

            previousCr = span[^1] == Cr;
            last = span[^1];
        }

        stream.Position = restore;
        return breaks + (last is Lf or Cr ? 0 : 1);
    }

    /// <summary>Moves to the next record, skipping blank lines; false at the end of the input.</summary>
    public bool NextRecord()
    {
        while (_inRecord && TryReadField(out _))
        {
        }

        while (true)
        {
            if (!EnsureData(1))
            {
                return false;
            }

            var b = _buffer[_pos];
            if (_pendingLf)
            {
                _pendingLf = false;
                if (b == Lf)
                {
                    _pos++;
                    continue;
                }
            }

            if (b == Lf)
            {
                _pos++;
                _line++;
                continue;
            }

            if (b == Cr)
            {
                _pos++;
                _line++;
                _pendingLf = true;
                continue;
            }

            // A line of spaces (tabs too, unless they delimit) or a DOS end-of-file mark (0x1A) is blank, as pandas reads it.
            var blank = 0;
            while (EnsureData(blank + 1) && IsBlank(_buffer[_pos + blank]))
            {
                blank++;
            }

            if (blank > 0 && (_end - _pos == blank || _buffer[_pos + blank] is Lf or Cr))
            {
                _pos += blank;
                continue;
            }

            break;
        }

        RecordLine = _line;
        _inRecord = true;
        _fieldIndex = 0;
        return true;
    }

    private bool IsBlank(byte b) => b is (byte)' ' or 0x1A || (b == (byte)'\t' && Delimiter != (byte)'\t');

    /// <summary>Reads the current record's next field; false when the record has no more fields.</summary>
    /// <exception cref="ForgettingDataException">A quoted field is not closed, text follows a closing quote, or a field is too long.</exception>
    public bool TryReadField(out ReadOnlySpan<byte> field)
    {
        if (!_inRecord)
        {
            field = default;
            return false;
        }

        _fieldIndex++;
        if (_pos >= _end && !EnsureData(1))
        {
            // End of input right after a delimiter: a final empty field.
            field = default;
            _inRecord = false;
            return true;
        }

        if (_buffer[_pos] == Quote)
        {
            field = ReadQuoted();
            return true;
        }

        var scanned = 0;
        while (true)
        {
            var span = _buffer.AsSpan(_pos + scanned, _end - _pos - scanned);
            var i = span.IndexOfAny(Delimiter, Lf, Cr);
            if (i >= 0)
            {
                var stop = _pos + scanned + i;
                field = _buffer.AsSpan(_pos, stop - _pos);
                var terminator = _buffer[stop];
                _pos = stop + 1;
                if (terminator != Delimiter)
                {
                    EndRecord(terminator);
                }

                return true;
            }

            if (_eof)
            {
                field = _buffer.AsSpan(_pos, _end - _pos);
                _pos = _end;
                _inRecord = false;
                return true;
            }

            scanned = _end - _pos;
            Refill(RecordLine);
        }
    }

    /// <summary>
    /// Reads the rest of the current record as strings (for headers and small tables), at most <paramref name="maxFields"/>
    /// of them: a caller that knows how many it can use stops there (the rest of the record is skipped by
    /// <see cref="NextRecord"/>), so a record of millions of fields (a header a gzip bomb decompresses to) is never held.
    /// </summary>
    public List<string> ReadRemainingFields(List<string>? into = null, long maxFields = long.MaxValue)
    {
        var fields = into ?? [];
        while (fields.Count < maxFields && TryReadField(out var field))
        {
            fields.Add(StrictText(field, _sourceName, RecordLine, (fields.Count + 1).ToString(CultureInfo.InvariantCulture)));
        }

        return fields;
    }

    /// <summary>The field's text (UTF-8 decoded; invalid bytes become U+FFFD). For messages; ids go through <see cref="StrictText"/>.</summary>
    public static string Text(ReadOnlySpan<byte> field) => field.IsEmpty ? string.Empty : System.Text.Encoding.UTF8.GetString(field);

    /// <summary>The field's text, refusing bytes that are not UTF-8 (an id silently turned into U+FFFD would match
    /// nothing, or two different ids would become one).</summary>
    /// <exception cref="ForgettingDataException">The field is not valid UTF-8; the message names the line, field and byte.</exception>
    public static string StrictText(ReadOnlySpan<byte> field, string source, long line, string column)
    {
        return Utf8Text.TryDecode(field, out var invalid) ?? throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
            $"byte {invalid.Position} of the field is 0x{invalid.Value:X2} (after '{invalid.Before}'), which is not UTF-8; the file is probably Latin-1 or Windows-1252. Re-save it as UTF-8 (pandas: to_csv(path, encoding='utf-8'); iconv -f cp1252 -t utf-8 IN > OUT)."), line, column);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Start(char? delimiter)
    {
        Refill(1);
        while (!_eof && _end < 4)
        {
            Refill(1);
        }

        var head = _buffer.AsSpan(0, _end);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _pos = 3;
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            throw new ForgettingDataException(_sourceName, "the file is UTF-16 or UTF-32 text (it starts with that byte order mark); ForgetPredict reads UTF-8. Save it as UTF-8 CSV (Excel: 'CSV UTF-8'; pandas: encoding='utf-8').", 1);
        }

        if (delimiter is { } d)
        {
            if (d is '\n' or '\r' or '"' || d > 127)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Delimiter U+{(int)d:X4} cannot be used; use ',', ';', '|' or tab."), nameof(delimiter));
            }

            Delimiter = (byte)d;
            return;
        }

        // Sniff from the first line in the buffer (the first 1 MiB is plenty for any header worth sniffing).
        int commas = 0, tabs = 0, semicolons = 0;
        var quoted = false;
        for (var i = _pos; i < _end; i++)
        {
            var b = _buffer[i];
            if (b == Quote)
            {
                quoted = !quoted;
            }
            else if (!quoted)
            {
                if (b is Lf or Cr)
                {
                    break;
                }

                commas += b == ',' ? 1 : 0;
                tabs += b == '\t' ? 1 : 0;
                semicolons += b == ';' ? 1 : 0;
            }
        }

        Delimiter = tabs > commas && tabs >= semicolons ? (byte)'\t' : semicolons > commas ? (byte)';' : (byte)',';
    }

    private void EndRecord(byte terminator)
    {
        _inRecord = false;
        _line++;
        if (terminator == Cr)
        {
            if (_pos < _end)
            {
                if (_buffer[_pos] == Lf)
                {
                    _pos++;
                }
            }
            else
            {
                _pendingLf = true;
            }
        }
    }

    // _pos stays on the opening quote until the field is complete, so refills keep the whole field in the buffer.
    private ReadOnlySpan<byte> ReadQuoted()
    {
        var startLine = _line;
        var scanned = 1;
        var escaped = false;
        int close;
        while (true)
        {
            var i = _buffer.AsSpan(_pos + scanned, _end - _pos - scanned).IndexOf(Quote);
            if (i < 0)
            {
                if (_eof)
                {
                    throw new ForgettingDataException(_sourceName, "a quoted field is never closed; add the closing quote (\") or remove the opening one.", startLine);
                }

                scanned = _end - _pos;
                Refill(startLine);
                continue;
            }

            var q = _pos + scanned + i;
            if (q + 1 >= _end && !_eof)
            {
                // Need the byte after the quote to tell "" from a closing quote.
                scanned = q - _pos;
                Refill(startLine);
                continue;
            }

            if (q + 1 < _end && _buffer[q + 1] == Quote)
            {
                escaped = true;
                scanned = q - _pos + 2;
                continue;
            }

            close = q;
            break;
        }

        var content = _buffer.AsSpan(_pos + 1, close - _pos - 1);
        _line += content.Count(Lf);
        ReadOnlySpan<byte> field = content;
        if (escaped)
        {
            if (_scratch.Length < content.Length)
            {
                _scratch = new byte[Math.Max(content.Length, _scratch.Length * 2)];
            }

            var n = 0;
            for (var k = 0; k < content.Length; k++)
            {
                _scratch[n++] = content[k];
                if (content[k] == Quote)
                {
                    k++;
                }
            }

            field = _scratch.AsSpan(0, n);
        }

        // What follows the closing quote: a delimiter, a line end or the end of input. Nothing may need a refill
        // here: when the quote is the last buffered byte, the loop above either saw the end of input or refilled.
        _pos = close + 1;
        if (_pos >= _end)
        {
            _inRecord = false;
            return field;
        }

        var next = _buffer[_pos];
        if (next == Delimiter)
        {
            _pos++;
            return field;
        }

        if (next is Lf or Cr)
        {
            _pos++;
            EndRecord(next);
            return field;
        }

        throw new ForgettingDataException(_sourceName, $"unexpected '{Printable(next)}' after a closing quote; quote the whole field or escape quotes inside it as \"\".", _line);
    }

    private static string Printable(byte b) => b is >= 32 and < 127 ? ((char)b).ToString() : string.Create(CultureInfo.InvariantCulture, $"\\x{b:X2}");

    private bool EnsureData(int count)
    {
        while (_end - _pos < count)
        {
            if (_eof)
            {
                return false;
            }

            Refill(_line);
        }

        return true;
    }

    // Moves the unread bytes [_pos, _end) to the front, grows the buffer when it is full, and reads more.
    private void Refill(long lineForErrors)
    {
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _end - _pos);
            _end -= _pos;
            _pos = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxFieldBytes)
            {
                throw new ForgettingDataException(_sourceName, string.Create(CultureInfo.InvariantCulture,
                    $"a field is longer than {MaxFieldBytes >> 20} MiB; this is usually a quoted field that is never closed (check the quotes on this line) or a file that is not CSV."), lineForErrors);
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, MaxFieldBytes));
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        int read;
        try
        {
            read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (IOException e)
        {
            throw new ForgettingDataException(_sourceName, $"cannot read the file: {e.Message}", lineForErrors, innerException: e);
        }

        if (read == 0)
        {
            _eof = true;
        }
        else
        {
            _end += read;
        }
    }
}
