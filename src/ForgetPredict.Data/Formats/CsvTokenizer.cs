namespace ForgetPredict.Data.Formats;

/// <summary>
/// Splits delimited text (RFC 4180 CSV, or TSV) into records of strings: quoted fields with doubled quotes, embedded
/// delimiters and line breaks, LF or CRLF line ends, UTF-8 with or without BOM. Tracks the 1-based line where each
/// record starts. For small tables (metadata, measured cells); matrices use <see cref="Utf8CsvReader"/> directly.
/// </summary>
internal sealed class CsvTokenizer : IDisposable
{
    private readonly Utf8CsvReader _reader;

    /// <summary>Reads <paramref name="stream"/>; a null <paramref name="delimiter"/> is sniffed from the first line.</summary>
    public CsvTokenizer(Stream stream, string sourceName, char? delimiter, bool leaveOpen = true)
    {
        _reader = Utf8CsvReader.Create(stream, sourceName, delimiter, leaveOpen, 1 << 16);
    }

    /// <summary>Line number (1-based) where the last record returned by <see cref="Next"/> started.</summary>
    public long RecordLine => _reader.RecordLine;

    /// <summary>The next record's fields, or null at the end of the input. Blank lines are skipped.</summary>
    /// <exception cref="ForgettingDataException">A quoted field is not closed, or text follows a closing quote.</exception>
    public List<string>? Next() => _reader.NextRecord() ? _reader.ReadRemainingFields() : null;

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();
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

    /// <summary>
    /// A boolean as every CSV writer here spells it: <c>True</c> or <c>False</c>, as pandas writes them (pandas and DuckDB read
    /// them back as booleans).
    /// </summary>
    public static string Boolean(bool value) => value ? s_true : s_false;

    /// <summary><see cref="Boolean"/> as UTF-8 bytes.</summary>
    internal static ReadOnlySpan<byte> BooleanUtf8(bool value) => value ? "True"u8 : "False"u8;

    private static readonly string s_true = System.Text.Encoding.ASCII.GetString(BooleanUtf8(true));
    private static readonly string s_false = System.Text.Encoding.ASCII.GetString(BooleanUtf8(false));
}
