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
    /// <param name="idColumn">A table's id column, or null to find it (<c>id</c>, else of the columns holding every id one named as ids, else the first).</param>
    /// <exception cref="ForgettingDataException">The file cannot be read, misses ids, has the wrong number of rows or a bad value; the message names the file, row and fix.</exception>
    public static FeatureSet Read(string path, IdList ids, string what = "task", string? idColumn = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(ids);
        InputPath.RefuseFolder(path);
        var extension = InputFile.ReaderExtension(path);
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

        RefuseSameFileNames(paths, what);
        var sets = paths.Select(p => Read(p, ids, what, idColumn)).ToArray();
        return Combine(sets, paths[0]);
    }

    /// <summary>
    /// Reads several feature files whose bytes are at each entry's path but whose names are its source name (uploads kept in
    /// temporary files) and joins them, as <see cref="ReadAll(IReadOnlyList{string}, IdList, string, string?)"/> does for files read where they are.
    /// </summary>
    /// <exception cref="ForgettingDataException">A file cannot be read or does not cover the ids, or two share a name.</exception>
    public static FeatureSet? ReadAll(IReadOnlyList<(string Path, string SourceName)> files, IdList ids, string what = "task")
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            return null;
        }

        RefuseSameFileNames([.. files.Select(f => f.SourceName)], what);
        var sets = files.Select(f => Read(f.Path, f.SourceName, ids, what)).ToArray();
        return Combine(sets, files[0].SourceName);
    }

    // The sets joined by id; what FeatureSet refuses (rows that disagree) is named against `source`.
    private static FeatureSet Combine(IReadOnlyList<FeatureSet> sets, string source)
    {
        try
        {
            return FeatureSet.Combine(sets);
        }
        catch (ArgumentException e)
        {
            throw new ForgettingDataException(source, ExceptionText.Clause(e));
        }
    }

    // A file's columns are named by its file name in the model (a query gives files of the same names), so two files of one
    // name in different folders cannot both be used: refused naming both and the fix, before either is read.
    private static void RefuseSameFileNames(IReadOnlyList<string> paths, string what)
    {
        foreach (var group in paths.GroupBy(p => Path.GetFileName(p), StringComparer.Ordinal).Where(g => g.Count() > 1).Take(1))
        {
            throw new ForgettingDataException(group.Last(), $"two {what} feature files are named {Echo.Quote(group.Key)} ({string.Join(" and ", group.Select(Echo.Quote))}); the model names each file's columns by its file name, so give them different names (copy or rename one, and use the same names when you predict).");
        }
    }

    /// <summary>
    /// Reads the features of new entities: those the files have a row for but <paramref name="known"/> (the model's ids) does
    /// not. The first file decides which they are: a table's (or an .npz embedding's with row ids) ids that are not known, in
    /// file order, or an embedding's rows past the known ones (the model's first, in its order, then the new ones, named by row
    /// number). Every other file must have a row for each of them.
    /// </summary>
    /// <param name="paths">The feature files.</param>
    /// <param name="known">The model's ids.</param>
    /// <param name="what">What the ids name, for messages ("example").</param>
    /// <param name="idColumn">Every table's id column, or null to find it (<c>id</c>, else of the columns holding every known id one named as ids, else the first).</param>
    /// <returns>The new entities' features, or null when the files name no new entity.</returns>
    /// <exception cref="ForgettingDataException">A file cannot be read, misses a new entity, or an embedding has the wrong number of rows; the message names the file, row and fix.</exception>
    public static FeatureSet? ReadNew(IReadOnlyList<string> paths, IdList known, string what = "example", string? idColumn = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(known);
        RefuseSameFileNames(paths, what);
        IdList? fresh = null;
        (string Path, string[] Ids)? order = null;   // the first table's ids, in file order, when a table named the new ones
        var sets = new List<FeatureSet>();
        foreach (var path in paths)
        {
            if (InputFile.ReaderExtension(path) is ".npy" or ".npz")
            {
                var (matrix, hasIds) = ReadRows(path, path);
                if (hasIds)
                {
                    // Rows named by id: the new entities are the ids the model does not know, in file order.
                    fresh ??= IdList.From(Enumerable.Range(0, matrix.TaskCount).Select(r => matrix.TaskIds[r]).Where(id => known.IndexOf(id) < 0));
                    if (fresh.Count == 0)
                    {
                        return null;
                    }

                    sets.Add(Embedding(AlignRows(matrix, path, fresh, what), path, fresh, what));
                    continue;
                }

                if (order is { } listed)
                {
                    CheckPositionalOrder(path, listed.Path, listed.Ids, known, what);
                }

                fresh ??= IdList.From(Enumerable.Range(known.Count, Math.Max(matrix.TaskCount - known.Count, 0)).Select(r => r.ToString(CultureInfo.InvariantCulture)));
                if (matrix.TaskCount != known.Count + fresh.Count)
                {
                    throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                        $"the embedding has {matrix.TaskCount} rows, but the model has {known.Count} {what}s and {fresh.Count} new ones are asked for; give one row per {what}: the model's {known.Count} in its order, then the new ones in order."));
                }

                var all = Embedding(matrix, path, IdList.From([.. Enumerable.Range(0, known.Count).Select(i => known[i]), .. Enumerable.Range(0, fresh.Count).Select(i => fresh[i])]), what);
                sets.Add(all.Select([.. Enumerable.Range(known.Count, fresh.Count)]));
                continue;
            }

            var table = MetadataTable.Read(path, idColumn, skipDates: false);
            var column = idColumn is null ? IdColumn(table, known, what) : table.IdColumn;
            var ids = table.Column(column).Distinct(StringComparer.Ordinal).ToArray();
            if (fresh is null)
            {
                order = (path, ids);
            }

            // An id that spells one of the model's as another number ('0.0' for '0': a float id column) is that example,
            // not a new one: refused, or it would be predicted from its features as if never measured.
            foreach (var id in ids)
            {
                RefuseKnownWrittenAsAnotherNumber(id, known, what, path, column);
            }

            fresh ??= IdList.From(ids.Where(id => known.IndexOf(id) < 0));
            if (fresh.Count == 0)
            {
                return null;
            }

            // Read over every row the file has (so categories are the same as at fit time), then keep the new ones.
            var read = ReadTable(table, path, IdList.From(ids), what, named: idColumn is not null);
            try
            {
                sets.Add(read.AlignTo(fresh));
            }
            catch (ArgumentException e)
            {
                throw new ForgettingDataException(path, $"no row for some new {what}s of {paths[0]} (matched on column '{column}'): {ExceptionText.Sentence(e)}");
            }
        }

        if (fresh is null || fresh.Count == 0)
        {
            return null;
        }

        return Combine(sets, paths[0]);
    }

    /// <summary>
    /// Reads one feature file whose bytes are at <paramref name="path"/> but whose name is <paramref name="sourceName"/> (an
    /// upload kept in a temporary file): blocks and messages use that name, as they would for the file itself.
    /// </summary>
    /// <exception cref="ForgettingDataException">The content cannot be read or does not cover the ids; the message names <paramref name="sourceName"/>.</exception>
    public static FeatureSet Read(string path, string sourceName, IdList ids, string what = "task")
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(ids);
        var extension = InputFile.ReaderExtension(sourceName);
        if (extension is ".npy" or ".npz")
        {
            return ReadEmbedding(path, sourceName, ids, what);
        }

        if (extension is ".parquet" or ".pq")
        {
            return ReadTable(MetadataTable.Read(path, null, skipDates: false), sourceName, ids, what, named: false);
        }

        using (var stream = InputFile.OpenText(path))
        {
            return ReadTable(MetadataTable.Read(stream, sourceName), sourceName, ids, what, named: false);
        }
    }

    /// <summary>
    /// The features of one entity given as named values, as a one-row table with those columns would give them: values that
    /// parse as numbers form the numeric block <paramref name="source"/>, the others the categorical block
    /// "<paramref name="source"/> categories" (one-hot "column=value").
    /// </summary>
    /// <param name="source">The block name (a file name the model knows, or the field the values came from).</param>
    /// <param name="values">Column name and value (numbers culture-invariant).</param>
    /// <param name="id">The entity's id.</param>
    /// <param name="what">"task" or "example", for messages.</param>
    /// <exception cref="ForgettingDataException">No value, a name is empty, repeated or "id", or a value is empty.</exception>
    public static FeatureSet FromValues(string source, IReadOnlyList<KeyValuePair<string, string>> values, string id, string what = "task")
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(id);
        return ReadTable(ValuesTable(source, [id], [values], what), source, IdList.From([id]), what, named: false);
    }

    /// <summary>
    /// The features of new entities given as values (a request's field rather than files), part by part as
    /// <see cref="ReadNew(IReadOnlyList{string}, IdList, string, string?)"/> reads files: the first part's ids are the new
    /// entities, in its order; none may be one the model knows, and every other part must give each of them a row. A table part
    /// reads as a file with those rows would (numbers form its numeric block, text its categorical one; a text column is kept
    /// even when every row differs, since a few new entities may all differ), an embedding part as a .npy's rows.
    /// </summary>
    /// <param name="parts">The parts, each named by the file it stands for (its blocks take that name), or unnamed.</param>
    /// <param name="known">The model's ids.</param>
    /// <param name="field">The field the parts came from, prefixed to messages ("newExamples.upstream.csv") and naming an unnamed part.</param>
    /// <param name="what">What the ids name, for messages ("example").</param>
    /// <exception cref="ForgettingDataException">No part or no row, an id repeated or already the model's, a part missing a new entity, rows of different widths, or a bad value; the message names the part, the id and the fix.</exception>
    public static FeatureSet FromNewValues(IReadOnlyList<FeatureRows> parts, IdList known, string field, string what = "example")
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentException.ThrowIfNullOrEmpty(field);
        if (parts.Count == 0 || parts[0].Ids.Count == 0)
        {
            throw new ForgettingDataException(field, $"no new {what}s; give each new {what}'s features by id, part by part as the files the model was fitted with.");
        }

        var first = parts[0];
        var source0 = SourceOf(first);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in first.Ids)
        {
            if (string.IsNullOrEmpty(id) || !seen.Add(id))
            {
                throw new ForgettingDataException(source0, $"{what} id '{id}' is empty or repeated; give each new {what} once, with a non-empty id.");
            }

            if (known.IndexOf(id) >= 0)
            {
                throw new ForgettingDataException(source0, string.Create(CultureInfo.InvariantCulture,
                    $"{what} '{id}' is already one of the model's {known.Count} {what}s; list only {what}s it has never measured (it predicts its own {what}s without features)."));
            }

            RefuseKnownWrittenAsAnotherNumber(id, known, what, source0, column: null);
        }

        var fresh = IdList.From(first.Ids);
        var sets = new List<FeatureSet>(parts.Count);
        foreach (var part in parts)
        {
            var source = SourceOf(part);
            var block = part.Name ?? field;
            var ids = part.Ids.Distinct(StringComparer.Ordinal).Count() == part.Ids.Count ? IdList.From(part.Ids)
                : throw new ForgettingDataException(source, $"an {what} id is repeated; give each {what} once.");
            FeatureSet read;
            if (part.Embeddings is { } rows)
            {
                var width = rows.Count > 0 ? rows[0].Count : 0;
                var wrong = Enumerable.Range(0, rows.Count).FirstOrDefault(r => rows[r].Count != width, -1);
                if (width == 0 || wrong >= 0)
                {
                    throw new ForgettingDataException(source, string.Create(CultureInfo.InvariantCulture,
                        $"the embedding of {what} '{ids[Math.Max(wrong, 0)]}' has {rows[Math.Max(wrong, 0)].Count} numbers{(wrong > 0 ? $", the first one's {width}" : string.Empty)}; give every {what} an embedding as wide as the model's."));
                }

                read = Embedding(rows.Count, width, i => rows[i / width][i % width], source, ids, what, block);
            }
            else
            {
                read = ReadTable(ValuesTable(source, part.Ids, part.Values ?? [], what), source, ids, what, named: false, block, keepDistinct: true);
            }

            try
            {
                sets.Add(read.AlignTo(fresh));
            }
            catch (ArgumentException e)
            {
                throw new ForgettingDataException(source, $"no row for some new {what}s of {source0}: {ExceptionText.Sentence(e)} Give every part a row for each new {what}.");
            }

            if (part.Ids.FirstOrDefault(id => fresh.IndexOf(id) < 0) is { } stray)
            {
                // A row for an id the first part does not list is a typo or a forgotten row there: never dropped in silence.
                throw new ForgettingDataException(source, $"{what} '{stray}' is not one of the new {what}s {source0} lists; give it a row there too, or correct the id.");
            }
        }

        return Combine(sets, field);

        string SourceOf(FeatureRows part) => part.Name is null ? field : $"{field}.{part.Name}";
    }

    // An id that spells one of the model's as another number ('5.0' for '5': a float id column) is that entity, not a new
    // one: refused, or it would be predicted from its features as if never measured. The files and a request's values alike.
    private static void RefuseKnownWrittenAsAnotherNumber(string id, IdList known, string what, string source, string? column)
    {
        if (IdList.WholeNumber(id) is { } whole && whole != id && known.IndexOf(whole) >= 0)
        {
            throw new ForgettingDataException(source, $"{what} id {Echo.Quote(id)} is the model's {what} {Echo.Quote(whole)} written as another number, so it would be read as a new {what}; write the ids as the model's are (e.g. df[column] = df[column].astype('Int64') before saving).", column: column);
        }
    }

    // A table of entities given as named values: an id column, then each name's column (null where a row lacks it).
    private static MetadataTable ValuesTable(string source, IReadOnlyList<string> ids, IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> rows, string what)
    {
        if (rows.Count == 0 || rows.All(r => r.Count == 0))
        {
            throw new ForgettingDataException(source, $"no feature values; give the {what}'s columns, e.g. {(what == "example" ? "{\"source\": \"web\", \"base_loss\": 0.5}" : "{\"lr\": 0.001, \"steps\": 600, \"family\": \"web\"}")}.");
        }

        var names = new List<string> { "id" };
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var columns = new List<string?[]> { ids.ToArray() };
        for (var r = 0; r < rows.Count; r++)
        {
            var row = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, value) in rows[r])
            {
                if (string.IsNullOrWhiteSpace(name) || name.Equals("id", StringComparison.OrdinalIgnoreCase) || !row.Add(name))
                {
                    throw new ForgettingDataException(source, $"feature name '{name}' is empty, repeated or 'id'; name each column once, as in the file the model was fitted with (the {what}'s id is not a feature).", column: name);
                }

                if (!index.TryGetValue(name, out var c))
                {
                    index[name] = c = names.Count;
                    names.Add(name);
                    columns.Add(new string?[rows.Count]);
                }

                columns[c][r] = value;
            }
        }

        return MetadataTable.Create(source, names, columns);
    }

    /// <summary>The embedding of one entity, as one row of a .npy file named <paramref name="source"/> would give it.</summary>
    /// <exception cref="ForgettingDataException">The row is empty or a value is not finite.</exception>
    public static FeatureSet FromEmbedding(string source, IReadOnlyList<double> values, string id, string what = "task")
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(id);
        if (values.Count == 0)
        {
            throw new ForgettingDataException(source, $"the embedding is empty; give the {what}'s embedding as an array of numbers, as wide as the model's.");
        }

        return Embedding(1, values.Count, i => values[i], source, IdList.From([id]), what);
    }

    private static FeatureSet ReadEmbedding(string path, IdList ids, string what) => ReadEmbedding(path, path, ids, what);

    // An embedding file's rows: an .npz that names its rows (ids, task_ids or example_ids) is aligned by id, as a table's
    // rows are; otherwise (and always for an .npy) the rows are the entities in order.
    private static FeatureSet ReadEmbedding(string path, string sourceName, IdList ids, string what)
    {
        var (rows, hasIds) = ReadRows(path, sourceName);
        return Embedding(hasIds ? AlignRows(rows, sourceName, ids, what) : rows, sourceName, ids, what);
    }

    // The matrix readers word their refusals for a forgetting matrix (a 1-D array is "a single task"; an infinite cell is told
    // to be NaN, which an embedding refuses too): an embedding's are said here in its own terms.
    private static (ForgettingMatrix Rows, bool HasIds) ReadRows(string path, string sourceName)
    {
        using var stream = InputFile.OpenRead(path);
        if (stream.CanSeek && Path.GetExtension(sourceName).Equals(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var header = Formats.NpyFormat.ReadHeader(stream, sourceName, stream.Length);
            if (header.Shape.Length == 1)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                    $"array has shape ({header.Shape[0]},); an embedding is 2-D, one row per entity and one column per feature. If it is one entity's embedding (a new task's), make it one row: arr.reshape(1, -1); if it holds one feature per entity, one column: arr.reshape(-1, 1)."));
            }

            stream.Position = 0;
        }

        try
        {
            return Path.GetExtension(sourceName).Equals(".npz", StringComparison.OrdinalIgnoreCase)
                ? Formats.NpzFormat.ReadEmbedding(stream, sourceName)
                : (MatrixFile.Read(stream, sourceName), false);
        }
        catch (ForgettingDataException e) when (Cause<NonFiniteCellException>(e) is { } cell)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"row {cell.Task}, column {cell.Example} is not a finite number; an embedding needs a value in every cell."), innerException: e);
        }
        catch (ForgettingDataException e) when (Cause<Formats.CellBeyondFloat32Exception>(e) is { } cell)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"row {cell.Row}, column {cell.Column} is {cell.Value:R}, beyond float32's range (about ±3.4e38), in which embeddings are held; rescale the embedding (e.g. standardise its columns), as the embedding the model was fitted with was scaled."), innerException: e);
        }
    }

    // The exception of type T behind a reader's refusal (an .npz's entry wraps the .npy reader's), or null.
    private static T? Cause<T>(Exception e)
        where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
            {
                return found;
            }
        }

        return null;
    }

    // The rows of an embedding whose ids are known, in the order of `ids`: every id needs a row (extra rows, for entities the
    // matrix does not have, are left out, as a table's are).
    private static ForgettingMatrix AlignRows(ForgettingMatrix rows, string path, IdList ids, string what)
    {
        var order = new int[ids.Count];
        var missing = new List<string>();
        for (var k = 0; k < ids.Count; k++)
        {
            order[k] = rows.TaskIds.IndexOf(ids[k]);
            if (order[k] < 0)
            {
                missing.Add(ids[k]);
            }
        }

        if (missing.Count > 0)
        {
            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                $"the embedding's row ids have no row for {missing.Count} of the {ids.Count} {what}s (first: {string.Join(", ", missing.Take(3).Select(m => $"'{m}'"))}; its first row ids: {string.Join(", ", Enumerable.Range(0, Math.Min(3, rows.TaskCount)).Select(r => $"'{rows.TaskIds[r]}'"))}); give a row for every {what}, with the {what}'s id, or drop the id array to match rows by position."),
                location: "ids");
        }

        return rows.SelectTasks(order);
    }

    private static FeatureSet Embedding(ForgettingMatrix matrix, string path, IdList ids, string what)
    {
        if (matrix.TaskCount != ids.Count)
        {
            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                $"the embedding has {matrix.TaskCount} rows but {(ids.Count == 1 ? $"1 {what} is asked for ('{ids[0]}'): give its row alone" : $"the matrix has {ids.Count} {what}s: give one row per {what}, in the matrix's {what} order")} (an .npz with an 'ids' array is matched by id instead)."));
        }

        // Straight from the matrix's values into the block's (no intermediate copy: an embedding of many examples is large).
        var source = matrix.Values;
        var values = new double[source.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = source[i];
        }

        return Embedding(matrix.ExampleCount, values, path, ids, what);
    }

    private static FeatureSet Embedding(int rows, int width, Func<int, double> value, string path, IdList ids, string what, string? block = null)
    {
        var values = new double[rows * width];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = value(i);
        }

        return Embedding(width, values, path, ids, what, block);
    }

    // An embedding block of the given width over `values` (rows x width), each value checked to be finite.
    private static FeatureSet Embedding(int width, double[] values, string path, IdList ids, string what, string? block = null)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                    $"row {i / width}, column {i % width} is not a finite number; an embedding needs a value in every cell."));
            }
        }

        var name = block ?? Path.GetFileName(path);
        var columns = Enumerable.Range(0, width).Select(c => string.Create(CultureInfo.InvariantCulture, $"{name}[{c}]")).ToArray();
        return new FeatureSet(ids, [new FeatureBlock(name, FeatureKind.Embedding, columns, values)]);
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

    private static FeatureSet ReadTable(string path, IdList ids, string what, string? idColumn) => ReadTable(MetadataTable.Read(path, idColumn, skipDates: false), path, ids, what, named: idColumn is not null);

    private static FeatureSet ReadTable(MetadataTable table, string path, IdList ids, string what, bool named, string? block = null, bool keepDistinct = false)
    {
        var idColumn = named ? table.IdColumn : IdColumn(table, ids, what);
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var idValues = table.Column(idColumn);
        for (var r = 0; r < idValues.Count; r++)
        {
            // Two rows for one id could give it conflicting features, the one kept depending on row order: refused.
            if (!rowOf.TryAdd(idValues[r], r))
            {
                throw new ForgettingDataException(path, OptionMessage.Of(
                    $"{what} id {Echo.Quote(idValues[r])} appears twice, {table.Where(rowOf[idValues[r]])} and {table.Where(r)}; keep one row per {what} (ids are read from column {Echo.Quote(idColumn)}; if another column holds them, name it with {IdOption(what)})."),
                    table.LineOf(r), idColumn);
            }
        }

        var missing = Enumerable.Range(0, ids.Count).Where(i => !rowOf.ContainsKey(ids[i])).Select(i => ids[i]).ToArray();
        if (missing.Length > 0)
        {
            // Ids pandas wrote as floats ('3.0') or read as numbers ('596' for '00596') are named as the cause, with the fix, by
            // the rule metadata tables use.
            var known = Enumerable.Range(0, ids.Count).Select(i => ids[i]).ToArray();
            var cause = Formats.ExampleReferences.LeadingZeros(idValues, known, "Its ids are", what, idColumn) is { } zeros ? $" {zeros}."
                : Formats.ExampleReferences.ExtraZeros(idValues, known, "Its ids are", what) is { } padded ? $" {padded}."
                : Formats.ExampleReferences.DecimalIds(idValues, known, "Its ids are", what) is { } written ? $" {written}." : string.Empty;
            throw new ForgettingDataException(path, OptionMessage.Of(
                $"no row for {missing.Length} {what}(s) of the matrix: {Echo.List(missing, 5)} (matched on column {Echo.Quote(idColumn)}); add a row for each, or name the column that holds the {what} ids ({IdOption(what)}).{cause}{table.RowNumbersHint}"));
        }

        var rows = Enumerable.Range(0, ids.Count).Select(i => rowOf[ids[i]]).ToArray();
        var name = block ?? Path.GetFileName(path);
        var numericNames = new List<string>();
        var numeric = new List<double[]>();
        var categoricalNames = new List<string>();
        var categorical = new List<double[]>();
        // A pandas index that is not the ids is row numbers, not a feature.
        foreach (var column in table.ColumnNames.Where(c => !string.Equals(c, idColumn, StringComparison.Ordinal) && !table.IsPandasIndex(c)))
        {
            var text = rows.Select(r => table.Column(column)[r]).ToArray();
            var parsed = new double[text.Length];
            var numbers = 0;
            var firstText = -1;
            for (var i = 0; i < text.Length; i++)
            {
                if (TryParseNumber(text[i], out parsed[i]))
                {
                    numbers += double.IsFinite(parsed[i]) ? 1 : 0;
                }
                else if (firstText < 0)
                {
                    firstText = i;
                }
            }

            // A column of numbers with a few words in it ("NA", "None", "-", "1,5") is a numeric column with bad cells, not a
            // category: read as levels it would turn lr into one-hot columns (and base_loss into thousands). Refused, naming
            // the cell, when at least half the cells are numbers.
            if (firstText >= 0 && numbers > 0 && numbers * 2 >= text.Length)
            {
                var cell = text[firstText].Trim();
                throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                    $"{what} {Echo.Quote(ids[firstText])} has {(cell.Length == 0 ? "no value" : Echo.Quote(cell))} in column '{column}', whose other values are numbers ({numbers} of {text.Length}); a numeric feature needs a finite number for every {what} ('.' as the decimal point): fill it in (e.g. with the column's median), or drop the column."),
                    table.LineOf(rows[firstText]), column);
            }

            // Numbers written with a decimal comma in every cell (pandas' to_csv(decimal=',')) read as text: one category per
            // value (thousands of one-hot levels for a loss column). Refused, naming a cell and the fix, as the matrix reader does.
            if (firstText >= 0 && DecimalCommaCell(text) is var comma and >= 0)
            {
                throw new ForgettingDataException(path, $"{what} {Echo.Quote(ids[comma])}: {Formats.CellParser.Explain(System.Text.Encoding.UTF8.GetBytes(text[comma].Trim()))} Every number of the column is written so; read as text, each value would become a category of its own.",
                    table.LineOf(rows[comma]), column);
            }

            if (firstText < 0)
            {
                // A numeric column with an inf, -inf, nan or out-of-range cell is a bad cell, not a category.
                var bad = Array.FindIndex(parsed, v => !double.IsFinite(v));
                if (bad >= 0)
                {
                    throw new ForgettingDataException(path, $"{what} {Echo.Quote(ids[bad])} has {Echo.Quote(text[bad].Trim())}, which is not a finite number{(double.IsInfinity(parsed[bad]) && !IsNonFiniteWord(text[bad]) ? " (beyond float64's range)" : string.Empty)}; a numeric feature needs a finite value for every {what}: replace it (e.g. with the column's largest finite value), or drop the column.",
                        table.LineOf(rows[bad]), column);
                }

                numericNames.Add(column);
                numeric.Add(parsed);
                continue;
            }

            var empty = Array.FindIndex(text, string.IsNullOrWhiteSpace);
            if (empty >= 0)
            {
                throw new ForgettingDataException(path, $"{what} {Echo.Quote(ids[empty])} has no value in column '{column}'; give every {what} a value (a number, or a category).", table.LineOf(rows[empty]), column);
            }

            // A text column with a different value in every row (e.g. a name), or in nearly every row (more than
            // MaxSparseLevels levels covering 90% of the rows: a title with one repeat), says nothing a model can share:
            // skipped alike. Its one-hot columns (levels x rows) had made a fit run for many minutes.
            var levels = text.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (!keepDistinct && text.Length > 1 && (levels.Length == text.Length || (levels.Length > MaxSparseLevels && levels.Length * 10L >= text.Length * 9L)))
            {
                continue;
            }

            // The one-hot columns are dense (a value per level and row): refused before they are built when they would pass
            // MaxOneHotCells (2 GB of doubles; 1,893 levels over 141,816 examples).
            if ((long)levels.Length * text.Length > MaxOneHotCells)
            {
                throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                    $"column '{column}' is text with {levels.Length:N0} different values over {text.Length:N0} {what}s: its one-hot columns would hold {(long)levels.Length * text.Length:N0} values, beyond the {MaxOneHotCells:N0} a feature table may give. Group its values into fewer categories, drop the column, or write it as numbers if it holds numbers ('.' as the decimal point)."),
                    column: column);
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

        return new FeatureSet(ids, blocks) { IdColumns = [idColumn] };
    }

    // The id column: "id" when present, else the first column whose values cover every matrix id, else the table's own
    // choice. A pandas index of row numbers is not a candidate (TableColumns), as in every table; one that is (a sorted,
    // filtered or sampled frame's old row numbers can cover integer ids) gives way to a named column holding the same ids in
    // the same rows, and beside one holding them in other rows the table is refused: which is the id column cannot be told.
    private static string IdColumn(MetadataTable table, IdList ids, string what)
    {
        if (table.HasColumn("id"))
        {
            return "id";
        }

        var covering = table.ColumnNames.Where(c => !table.IsPandasIndex(c) || c == table.ChosenIdColumn).Where(column =>
        {
            var values = new HashSet<string>(table.Column(column), StringComparer.Ordinal);
            return Enumerable.Range(0, ids.Count).All(i => values.Contains(ids[i]));
        }).ToArray();
        var index = covering.FirstOrDefault(table.IsPandasIndex);
        // A column named as ids ('task', 'name', 'task_id') before the others: a setting whose value equals a task's id ('steps'
        // 600 for task '600') had been taken as the id column.
        var named = covering.FirstOrDefault(c => !table.IsPandasIndex(c) && (c.Equals(what, StringComparison.OrdinalIgnoreCase) || TableColumns.IsIdColumnName(c)))
            ?? covering.FirstOrDefault(c => !table.IsPandasIndex(c));
        if (index is not null && named is not null && !table.Column(index).SequenceEqual(table.Column(named), StringComparer.Ordinal))
        {
            throw new ForgettingDataException(table.SourceName, OptionMessage.Of(
                $"column {Echo.Quote(index)} (a pandas index) and column {Echo.Quote(named)} both hold every {what} id, in different rows: a sorted, filtered or shuffled frame keeps its old row numbers, so which is the id column cannot be told. Name it with {IdOption(what)}, or write the file with index=False."));
        }

        return named ?? index ?? table.IdColumn;
    }

    // A positional embedding (the model's examples in its order, then the new ones) read after a table that named the new
    // ones: its new rows are taken in the table's order, which can only be the embedding's when the table lists the model's
    // examples (if at all) in the model's order. A table sorted otherwise (by a loss, a source) is refused, not misread.
    private static void CheckPositionalOrder(string embedding, string tablePath, string[] tableIds, IdList known, string what)
    {
        var last = -1;
        for (var r = 0; r < tableIds.Length; r++)
        {
            var position = known.IndexOf(tableIds[r]);
            if (position < 0)
            {
                continue;
            }

            if (position < last)
            {
                throw new ForgettingDataException(embedding, string.Create(CultureInfo.InvariantCulture,
                    $"its rows are {what}s by position (the model's {known.Count} in its order, then the new ones in the order {Path.GetFileName(tablePath)} lists them), but {Path.GetFileName(tablePath)} is not in the model's order ({what} {Echo.Quote(tableIds[r])} on its row {r + 1} comes after {what} {Echo.Quote(known[last])}), so which embedding row is which new {what} cannot be told. Give the embedding as an .npz with an 'ids' array, or list the table's rows in the embedding's order."));
            }

            last = position;
        }
    }

    // Up to this many levels a categorical column is read whatever its share of distinct values (small tables).
    private const int MaxSparseLevels = 50;

    // The most values a categorical column's one-hot columns may hold (levels x rows, as doubles: 2 GB).
    private const long MaxOneHotCells = 1L << 28;

    // The first non-empty cell of a column whose every non-empty cell is a number, at least one written with a decimal comma
    // ("0,0003", as pandas' to_csv(decimal=',') writes floats; integers stay "150"), or -1.
    private static int DecimalCommaCell(string[] text)
    {
        var first = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var cell = text[i].Trim();
            if (cell.Length == 0 || TryParseNumber(cell, out _))
            {
                continue;
            }

            // The matrix reader's rule for a decimal comma (CellParser, whose Explain words the refusal).
            if (!Formats.CellParser.IsDecimalComma(System.Text.Encoding.UTF8.GetBytes(cell)))
            {
                return -1;
            }

            first = first < 0 ? i : first;
        }

        return first;
    }

    private static OptionReference IdOption(string what) =>
        new(what == "example" ? DataOptionNames.ExampleFeatureColumns : DataOptionNames.TaskFeatureColumns, "ID");

    // A number, including the non-finite ones a numeric column may hold by mistake: inf, -inf, infinity, nan (any case,
    // as pandas and numpy write them) and numbers beyond float64's range (1e400).
    private static bool TryParseNumber(string text, out double value)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        var word = text.Trim().TrimStart('+');
        var negative = word.StartsWith('-');
        switch (negative ? word[1..].ToLowerInvariant() : word.ToLowerInvariant())
        {
            case "inf" or "infinity":
                value = negative ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            case "nan":
                value = double.NaN;
                return true;
            default:
                return false;
        }
    }

    private static bool IsNonFiniteWord(string text) =>
        text.Trim().TrimStart('+', '-').ToLowerInvariant() is "inf" or "infinity" or "nan";

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

/// <summary>
/// One part of new entities' features given as values (a request's field rather than a file): a table's rows or embeddings,
/// one per id (see <see cref="FeatureFile.FromNewValues"/>).
/// </summary>
/// <param name="Name">The file the part stands for (its blocks take this name, as the model knows them), or null.</param>
/// <param name="Ids">The entities' ids, one per row, in order.</param>
/// <param name="Values">Each row's column names and values (numbers written culture-invariant), for a table part; else null.</param>
/// <param name="Embeddings">Each row's embedding, for an embedding part; else null.</param>
public sealed record FeatureRows(string? Name, IReadOnlyList<string> Ids, IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>>? Values, IReadOnlyList<IReadOnlyList<double>>? Embeddings);
