using System.Globalization;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tables;

/// <summary>
/// RFC 4180 delimited text: a header of column names, one line per row (LF line ends, UTF-8 without BOM), fields
/// quoted only when they hold the delimiter, a quote or a line break. Doubles are shortest round-trip text ("R"), a whole
/// number with ".0" as pandas writes floats (so a column of whole values still reads back as floats);
/// nulls (and NaN) are empty cells; booleans are True/False as pandas writes them.
/// </summary>
public sealed class CsvTableFormat : TableFormat
{
    private readonly char _delimiter;

    private CsvTableFormat(string name, char delimiter, string[] extensions)
    {
        Name = name;
        _delimiter = delimiter;
        Extensions = extensions;
    }

    /// <summary>Comma-separated (.csv).</summary>
    public static CsvTableFormat Csv { get; } = new("csv", ',', [".csv"]);

    /// <summary>Tab-separated (.tsv, .tab).</summary>
    public static CsvTableFormat Tsv { get; } = new("tsv", '\t', [".tsv", ".tab"]);

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> Extensions { get; }

    /// <inheritdoc />
    public override void Write(OutputTable table, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(destination);
        using var output = new Utf8TextWriter(destination, (byte)_delimiter);
        var columns = table.Columns;
        for (var c = 0; c < columns.Count; c++)
        {
            (c == 0 ? output : output.Delimiter()).Field(columns[c].Name);
        }

        output.EndLine();
        for (var r = 0; r < table.RowCount; r++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0)
                {
                    output.Delimiter();
                }

                switch (columns[c])
                {
                    case StringColumn s:
                        if (s[r] is { } text)
                        {
                            output.Field(text);
                        }

                        break;
                    case DoubleColumn d:
                        output.FloatNumber(d[r]);
                        break;
                    case Int64Column l:
                        if (l[r] is { } integer)
                        {
                            output.Raw(System.Text.Encoding.ASCII.GetBytes(integer.ToString(CultureInfo.InvariantCulture)));
                        }

                        break;
                    case BooleanColumn b:
                        if (b[r] is { } flag)
                        {
                            output.Raw(CsvText.BooleanUtf8(flag));
                        }

                        break;
                }
            }

            output.EndLine();
        }
    }
}
