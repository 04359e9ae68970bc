using System.Globalization;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>A new task's measured cells: example indices (into a model's examples) and their values.</summary>
/// <param name="Examples">Example indices, in file order.</param>
/// <param name="Values">Measured forgetting, one per index.</param>
/// <param name="ResolvedByIndex">How many rows named their example by column index rather than id.</param>
public sealed record ObservedCells(int[] Examples, double[] Values, int ResolvedByIndex)
{
    /// <summary>No known cells (a task-agnostic prediction).</summary>
    public static ObservedCells None { get; } = new([], [], 0);

    /// <summary>
    /// Reads a CSV (or TSV) with columns <c>example,value</c> (any order, more columns ignored). An example is matched by
    /// id first; a value that is not an id but an integer 0..N-1 is taken as a column index.
    /// </summary>
    /// <exception cref="ForgettingDataException">A column is missing, a value is not a finite number, an example is unknown or repeated (the message gives line numbers).</exception>
    public static ObservedCells Read(string path, IdList exampleIds)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        using var stream = NpyFormat.OpenRead(path);
        using var csv = new CsvTokenizer(stream, path, CsvMatrixFormat.DelimiterFor(path));
        var header = csv.Next() ?? throw new ForgettingDataException(path, "the file is empty; expected a header 'example,value' and one row per measured example.");
        var exampleColumn = header.FindIndex(h => h.Trim().Equals("example", StringComparison.OrdinalIgnoreCase));
        var valueColumn = header.FindIndex(h => h.Trim().Equals("value", StringComparison.OrdinalIgnoreCase));
        if (exampleColumn < 0 || valueColumn < 0)
        {
            throw new ForgettingDataException(path, $"header must have columns 'example' and 'value' (found: {string.Join(", ", header.Select(h => $"'{h}'"))}).", 1);
        }

        var examples = new List<int>();
        var values = new List<double>();
        var firstLine = new Dictionary<int, long>();
        var byIndex = 0;
        while (csv.Next() is { } record)
        {
            var line = csv.RecordLine;
            if (record.Count != header.Count)
            {
                throw new ForgettingDataException(path, $"row has {record.Count} fields but the header has {header.Count}.", line);
            }

            var id = record[exampleColumn].Trim();
            var index = exampleIds.IndexOf(id);
            if (index < 0 && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < exampleIds.Count)
            {
                index = position;
                byIndex++;
            }

            if (index < 0)
            {
                throw new ForgettingDataException(path, $"example '{id}' is not one of the model's {exampleIds.Count} examples (by id or column index). Check the id, or refit the model on a matrix that has it.", line, "example");
            }

            if (!double.TryParse(record[valueColumn], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw new ForgettingDataException(path, $"value '{record[valueColumn]}' is not a finite number (use '.' as the decimal point).", line, "value");
            }

            if (!firstLine.TryAdd(index, line))
            {
                throw new ForgettingDataException(path, $"example '{id}' is measured twice, on lines {firstLine[index]} and {line}; keep one.", line, "example");
            }

            examples.Add(index);
            values.Add(value);
        }

        return new ObservedCells([.. examples], [.. values], byIndex);
    }
}
