using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Features;

namespace ForgetPredict.Data;

/// <summary>
/// Reads side information for tasks or examples: a table (CSV/TSV/Parquet) with an id column matched to the matrix's ids,
/// numeric columns and categorical ones (one-hot), or a matrix file (.npy/.npz) with one row per entity in matrix order (an
/// embedding).
/// </summary>
public static class FeatureFile
{
    /// <summary>
    /// Reads one feature file and aligns it to <paramref name="ids"/> (the matrix's task or example ids, in order).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="ids">The ids the rows must cover.</param>
    /// <param name="what">"task" or "example", for messages.</param>
    /// <param name="idColumn">A table's id column, or null to find it (<c>id</c>, else the first column holding every id).</param>
    /// <exception cref="ForgettingDataException">The file cannot be read, misses ids, has the wrong number of rows or a bad value; the message names the file, row and fix.</exception>
    public static FeatureSet Read(string path, IdList ids, string what = "task", string? idColumn = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(ids);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension is ".npy" or ".npz" ? ReadEmbedding(path, ids, what) : ReadTable(path, ids, what, idColumn);
    }

    /// <summary>Reads several feature files and joins them (aligned by id); <paramref name="idColumn"/> names every table's id column (null: found).</summary>
    /// <exception cref="ForgettingDataException">A file cannot be read or does not cover the ids.</exception>
    public static FeatureSet? ReadAll(IReadOnlyList<string> paths, IdList ids, string what = "task", string? idColumn = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return null;
        }

        var sets = paths.Select(p => Read(p, ids, what, idColumn)).ToArray();
        try
        {
            return FeatureSet.Combine(sets);
        }
        catch (ArgumentException e)
        {
            throw new ForgettingDataException(paths[0], e.Message);
        }
    }

    private static FeatureSet ReadEmbedding(string path, IdList ids, string what)
    {
        var matrix = MatrixFile.Read(path);
        if (matrix.TaskCount != ids.Count)
        {
            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                $"the embedding has {matrix.TaskCount} rows but the matrix has {ids.Count} {what}s; give one row per {what}, in the matrix's {what} order."));
        }

        var values = new double[matrix.Values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = matrix.Values[i];
            if (!double.IsFinite(values[i]))
            {
                throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                    $"row {i / matrix.ExampleCount}, column {i % matrix.ExampleCount} is not a finite number; an embedding needs a value in every cell."));
            }
        }

        var columns = Enumerable.Range(0, matrix.ExampleCount).Select(c => string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}[{c}]")).ToArray();
        return new FeatureSet(ids, [new FeatureBlock(Path.GetFileName(path), FeatureKind.Embedding, columns, values)]);
    }

    /// <summary>
    /// The features of a table already read (<see cref="MetadataTable.Read(Stream, string, string?)"/>): numeric columns as one block,
    /// text columns one-hot as another, aligned to <paramref name="ids"/>.
    /// </summary>
    /// <exception cref="ForgettingDataException">An id has no row, a text value is empty, or no column is left for features.</exception>
    public static FeatureSet Read(MetadataTable table, IdList ids, string what = "task")
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        return ReadTable(table, table.SourceName, ids, what, named: false);
    }

    private static FeatureSet ReadTable(string path, IdList ids, string what, string? idColumn) => ReadTable(MetadataTable.Read(path, idColumn), path, ids, what, named: idColumn is not null);

    private static FeatureSet ReadTable(MetadataTable table, string path, IdList ids, string what, bool named)
    {
        var idColumn = named ? table.IdColumn : IdColumn(table, ids);
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var idValues = table.Column(idColumn);
        for (var r = 0; r < idValues.Count; r++)
        {
            rowOf.TryAdd(idValues[r], r);
        }

        var missing = Enumerable.Range(0, ids.Count).Where(i => !rowOf.ContainsKey(ids[i])).Select(i => ids[i]).ToArray();
        if (missing.Length > 0)
        {
            var option = new OptionReference(what == "example" ? DataOptionNames.ExampleFeatureColumns : DataOptionNames.TaskFeatureColumns, "ID");
            throw new ForgettingDataException(path, OptionMessage.Of(
                $"no row for {missing.Length} {what}(s) of the matrix: {Echo.List(missing, 5)} (matched on column {Echo.Quote(idColumn)}); add a row for each, or name the column that holds the {what} ids ({option}).{table.RowNumbersHint}"));
        }

        var rows = Enumerable.Range(0, ids.Count).Select(i => rowOf[ids[i]]).ToArray();
        var name = Path.GetFileName(path);
        var numericNames = new List<string>();
        var numeric = new List<double[]>();
        var categoricalNames = new List<string>();
        var categorical = new List<double[]>();
        // A pandas index that is not the ids is row numbers, not a feature.
        foreach (var column in table.ColumnNames.Where(c => !string.Equals(c, idColumn, StringComparison.Ordinal) && !TableColumns.IsPandasIndex(c)))
        {
            var text = rows.Select(r => table.Column(column)[r]).ToArray();
            var parsed = new double[text.Length];
            var isNumeric = true;
            for (var i = 0; i < text.Length && isNumeric; i++)
            {
                isNumeric = double.TryParse(text[i], NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[i]) && double.IsFinite(parsed[i]);
            }

            if (isNumeric)
            {
                numericNames.Add(column);
                numeric.Add(parsed);
                continue;
            }

            var empty = Array.FindIndex(text, string.IsNullOrWhiteSpace);
            if (empty >= 0)
            {
                throw new ForgettingDataException(path, $"{what} {Echo.Quote(ids[empty])} has no value in column '{column}'; give every {what} a value (a number, or a category).", column: column);
            }

            // A text column with a different value in every row (e.g. a name) says nothing a model can share: skipped.
            var levels = text.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (levels.Length == text.Length && text.Length > 1)
            {
                continue;
            }

            foreach (var level in levels)
            {
                categoricalNames.Add($"{column}={level}");
                categorical.Add([.. text.Select(t => string.Equals(t, level, StringComparison.Ordinal) ? 1.0 : 0.0)]);
            }
        }

        var blocks = new List<FeatureBlock>();
        if (numeric.Count > 0)
        {
            blocks.Add(new FeatureBlock(name, FeatureKind.Numeric, numericNames, RowMajor(numeric, ids.Count)));
        }

        if (categorical.Count > 0)
        {
            blocks.Add(new FeatureBlock(name + " categories", FeatureKind.Categorical, categoricalNames, RowMajor(categorical, ids.Count)));
        }

        if (blocks.Count == 0)
        {
            throw new ForgettingDataException(path, $"no feature columns besides the id column '{idColumn}'; add numeric columns (e.g. lr, steps) or categorical ones (e.g. family).");
        }

        return new FeatureSet(ids, blocks);
    }

    // The id column: "id" when present, else the first column whose values cover every matrix id, else the table's own
    // choice. A pandas index of row numbers is not a candidate (TableColumns), as in every table.
    private static string IdColumn(MetadataTable table, IdList ids)
    {
        if (table.HasColumn("id"))
        {
            return "id";
        }

        foreach (var column in table.ColumnNames.Where(c => !TableColumns.IsPandasIndex(c) || c == table.IdColumn))
        {
            var values = new HashSet<string>(table.Column(column), StringComparer.Ordinal);
            if (Enumerable.Range(0, ids.Count).All(i => values.Contains(ids[i])))
            {
                return column;
            }
        }

        return table.IdColumn;
    }

    private static double[] RowMajor(List<double[]> columns, int count)
    {
        var values = new double[count * columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            for (var i = 0; i < count; i++)
            {
                values[(i * columns.Count) + c] = columns[c][i];
            }
        }

        return values;
    }
}
