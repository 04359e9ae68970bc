using System.Text;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data;

/// <summary>A small table of metadata (task or example ids plus columns such as source, domain, family), read from CSV.</summary>
public sealed class MetadataTable
{
    private readonly Dictionary<string, string[]> _columns;

    private MetadataTable(IReadOnlyList<string> names, Dictionary<string, string[]> columns, int rowCount)
    {
        ColumnNames = names;
        _columns = columns;
        RowCount = rowCount;
    }

    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Number of data rows.</summary>
    public int RowCount { get; }

    /// <summary>The values of a column.</summary>
    /// <exception cref="ArgumentException">No such column (the message lists the columns).</exception>
    public IReadOnlyList<string> Column(string name) =>
        _columns.TryGetValue(name, out var values) ? values : throw new ArgumentException($"No column '{name}'{Core.Models.Suggestion.DidYouMean(name, ColumnNames)}; columns: {string.Join(", ", ColumnNames)}.", nameof(name));

    /// <summary>Reads a CSV (TSV when the name ends in .tsv) with a header row.</summary>
    /// <exception cref="ForgettingDataException">The file is empty, has duplicate column names or ragged rows.</exception>
    public static MetadataTable Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var text = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var csv = new CsvTokenizer(text, sourceName, sourceName.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');
        var header = csv.Next() ?? throw new ForgettingDataException(sourceName, "the metadata file is empty; it needs a header row (e.g. id,source).");
        var names = header.Select(h => h.Trim()).ToArray();
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ForgettingDataException(sourceName, $"column '{duplicate.Key}' appears twice in the header; rename one.", 1);
        }

        var values = names.Select(_ => new List<string>()).ToArray();
        while (csv.Next() is { } record)
        {
            if (record.Count != names.Length)
            {
                throw new ForgettingDataException(sourceName, $"row has {record.Count} fields but the header has {names.Length}.", csv.RecordLine);
            }

            for (var c = 0; c < names.Length; c++)
            {
                values[c].Add(record[c]);
            }
        }

        var columns = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var c = 0; c < names.Length; c++)
        {
            columns[names[c]] = [.. values[c]];
        }

        return new MetadataTable(names, columns, values.Length == 0 ? 0 : values[0].Count);
    }

    /// <summary>Reads a metadata CSV file.</summary>
    /// <exception cref="ForgettingDataException">The file cannot be read or is malformed.</exception>
    public static MetadataTable Read(string path)
    {
        using var stream = NpyFormat.OpenRead(path);
        return Read(stream, path);
    }
}
