using System.Text;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Splits delimited text (RFC 4180 CSV, or TSV) into records: quoted fields with doubled quotes, embedded delimiters
/// and line breaks, LF or CRLF line ends, UTF-8 with or without BOM. Tracks the 1-based line where each record starts.
/// </summary>
internal sealed class CsvTokenizer(TextReader reader, string sourceName, char delimiter = ',')
{
    private readonly StringBuilder _field = new();
    private int _line = 1;

    /// <summary>Line number (1-based) where the last record returned by <see cref="Next"/> started.</summary>
    public long RecordLine { get; private set; }

    /// <summary>The next record's fields, or null at the end of the input. Blank lines are skipped.</summary>
    /// <exception cref="ForgettingDataException">A quoted field is not closed, or text follows a closing quote.</exception>
    public List<string>? Next()
    {
        while (true)
        {
            var first = reader.Peek();
            if (first < 0)
            {
                return null;
            }

            if (first is '\n' or '\r')
            {
                ConsumeLineEnd();
                continue;
            }

            break;
        }

        RecordLine = _line;
        var fields = new List<string>();
        while (true)
        {
            var (field, end) = ReadField();
            fields.Add(field);
            if (end)
            {
                return fields;
            }
        }
    }

    // Reads one field; returns it and whether it ended the record.
    private (string Field, bool EndOfRecord) ReadField()
    {
        _field.Clear();
        if (reader.Peek() == '"')
        {
            reader.Read();
            var quoteLine = _line;
            while (true)
            {
                var c = reader.Read();
                if (c < 0)
                {
                    throw new ForgettingDataException(sourceName, "a quoted field is never closed; add the closing quote (\") or remove the opening one.", quoteLine);
                }

                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                        continue;
                    }

                    break;
                }

                if (c == '\n')
                {
                    _line++;
                }

                _field.Append((char)c);
            }

            var next = reader.Peek();
            if (next == delimiter)
            {
                reader.Read();
                return (_field.ToString(), false);
            }

            if (next is < 0 or '\n' or '\r')
            {
                ConsumeLineEnd();
                return (_field.ToString(), true);
            }

            throw new ForgettingDataException(sourceName, $"unexpected '{(char)next}' after a closing quote; quote the whole field or escape quotes inside it as \"\".", _line);
        }

        while (true)
        {
            var c = reader.Peek();
            if (c < 0 || c is '\n' or '\r')
            {
                ConsumeLineEnd();
                return (_field.ToString(), true);
            }

            reader.Read();
            if (c == delimiter)
            {
                return (_field.ToString(), false);
            }

            _field.Append((char)c);
        }
    }

    private void ConsumeLineEnd()
    {
        var c = reader.Read();
        if (c == '\r' && reader.Peek() == '\n')
        {
            reader.Read();
        }

        if (c >= 0)
        {
            _line++;
        }
    }
}

/// <summary>Writes RFC 4180 CSV: fields with delimiters, quotes or line breaks are quoted; numbers are culture-invariant round-trip.</summary>
public static class CsvText
{
    /// <summary>The field, quoted if it needs to be.</summary>
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>A double as pandas/numpy read it back exactly: shortest round-trip, invariant culture; NaN as empty.</summary>
    public static string Number(double value) =>
        double.IsNaN(value) ? string.Empty : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
