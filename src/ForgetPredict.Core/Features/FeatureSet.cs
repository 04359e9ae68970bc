using System.Globalization;

namespace ForgetPredict.Core.Features;

/// <summary>What a block of feature columns holds, which decides how it is standardised.</summary>
public enum FeatureKind
{
    /// <summary>Numeric settings or signals (learning rate, steps, forward KL...): each column standardised; positive columns are also tried on a log scale.</summary>
    Numeric,

    /// <summary>One-hot columns of a categorical value (family, method), named "column=level"; used as given.</summary>
    Categorical,

    /// <summary>An embedding (hundreds of columns): centred per column and scaled as a whole, so no single column dominates.</summary>
    Embedding,
}

/// <summary>One block of feature columns for every entity (task or example) of a <see cref="FeatureSet"/>.</summary>
/// <remarks>Immutable.</remarks>
public sealed class FeatureBlock
{
    private readonly double[] _values;
    private readonly string[] _columns;

    /// <summary>Creates a block from its values (count x columns, row-major).</summary>
    /// <param name="name">Block name (e.g. the file it came from): how reports and error messages refer to it.</param>
    /// <param name="kind">How the block is standardised.</param>
    /// <param name="columns">Column names, distinct.</param>
    /// <param name="values">Values, row-major, count x columns.Count; finite.</param>
    /// <exception cref="ArgumentException">A size disagrees, a name repeats or a value is not finite.</exception>
    public FeatureBlock(string name, FeatureKind kind, IReadOnlyList<string> columns, double[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (columns.Count == 0)
        {
            throw new ArgumentException($"Feature block '{name}' has no columns.", nameof(columns));
        }

        if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            throw new ArgumentException($"Feature block '{name}' repeats a column name.", nameof(columns));
        }

        if (values.Length % columns.Count != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature block '{name}' has {values.Length} values, not a multiple of its {columns.Count} columns."), nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature block '{name}' has a non-finite value at row {i / columns.Count}, column '{columns[i % columns.Count]}'; give every task a finite value."), nameof(values));
            }
        }

        Name = name;
        Kind = kind;
        _columns = [.. columns];
        Columns = Array.AsReadOnly(_columns);
        _values = values;
    }

    /// <summary>Block name.</summary>
    public string Name { get; }

    /// <summary>How the block is standardised.</summary>
    public FeatureKind Kind { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Number of columns.</summary>
    public int Width => _columns.Length;

    /// <summary>Number of rows (entities).</summary>
    public int Count => _values.Length / _columns.Length;

    /// <summary>All values, row-major.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<double> Row(int row) => _values.AsSpan(row * Width, Width);

    /// <summary>The block restricted to <paramref name="rows"/>, in that order.</summary>
    public FeatureBlock Select(ReadOnlySpan<int> rows)
    {
        var values = new double[rows.Length * Width];
        for (var i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(values.AsSpan(i * Width, Width));
        }

        return new FeatureBlock(Name, Kind, _columns, values);
    }
}

/// <summary>
/// Side information for a list of entities (tasks or examples): one or more <see cref="FeatureBlock"/>s with a row per id.
/// </summary>
/// <remarks>Immutable.</remarks>
public sealed class FeatureSet
{
    /// <summary>Creates a set; every block must have one row per id.</summary>
    /// <exception cref="ArgumentException">No block, a block with the wrong number of rows, or two blocks with the same name.</exception>
    public FeatureSet(IdList ids, IReadOnlyList<FeatureBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0)
        {
            throw new ArgumentException("A feature set needs at least one block of columns.", nameof(blocks));
        }

        foreach (var b in blocks)
        {
            if (b.Count != ids.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature block '{b.Name}' has {b.Count} rows; the set has {ids.Count} ids."), nameof(blocks));
            }
        }

        if (blocks.Select(b => b.Name).Distinct(StringComparer.Ordinal).Count() != blocks.Count)
        {
            throw new ArgumentException("Two feature blocks have the same name; name each file's block differently.", nameof(blocks));
        }

        Ids = ids;
        Blocks = [.. blocks];
    }

    /// <summary>The entity ids, one per row.</summary>
    public IdList Ids { get; }

    /// <summary>The blocks.</summary>
    public IReadOnlyList<FeatureBlock> Blocks { get; }

    /// <summary>Number of rows (entities).</summary>
    public int Count => Ids.Count;

    /// <summary>
    /// The table columns the ids were read from, one per table (empty for embeddings and sets built in code). A model
    /// fitted on these features records them, so that a query table laid out like the fit's (charlm-d's tasks.csv has
    /// both a row number and a task name) never reads the fit's id column as a feature.
    /// </summary>
    public IReadOnlyList<string> IdColumns { get; init; } = [];

    /// <summary>The rows at <paramref name="rows"/>, in that order.</summary>
    public FeatureSet Select(ReadOnlySpan<int> rows) => new(Ids.Select(rows), [.. SelectBlocks(rows)]) { IdColumns = IdColumns };

    /// <summary>
    /// The set without the given table columns: numeric columns of those names and categorical levels of those columns
    /// (<c>name=level</c>) are left out, and blocks left with no column are dropped. The set itself when nothing is left out.
    /// </summary>
    /// <exception cref="ArgumentException">Every column would be left out.</exception>
    public FeatureSet WithoutColumns(IReadOnlyCollection<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0)
        {
            return this;
        }

        bool Dropped(FeatureBlock block, string column) => block.Kind switch
        {
            FeatureKind.Numeric => columns.Contains(column),
            FeatureKind.Categorical => columns.Any(c => column.StartsWith(c + "=", StringComparison.Ordinal)),
            _ => false,
        };

        var blocks = new List<FeatureBlock>();
        var changed = false;
        foreach (var block in Blocks)
        {
            var keep = Enumerable.Range(0, block.Width).Where(c => !Dropped(block, block.Columns[c])).ToArray();
            if (keep.Length == block.Width)
            {
                blocks.Add(block);
                continue;
            }

            changed = true;
            if (keep.Length > 0)
            {
                var values = new double[block.Count * keep.Length];
                for (var i = 0; i < block.Count; i++)
                {
                    var row = block.Row(i);
                    for (var c = 0; c < keep.Length; c++)
                    {
                        values[(i * keep.Length) + c] = row[keep[c]];
                    }
                }

                blocks.Add(new FeatureBlock(block.Name, block.Kind, [.. keep.Select(c => block.Columns[c])], values));
            }
        }

        return !changed ? this : blocks.Count == 0
            ? throw new ArgumentException($"Features '{string.Join("', '", Blocks.Select(b => b.Name))}' have no column besides {string.Join(", ", columns)} (the fit's id column); give the task's features (its settings, e.g. lr and steps), as the model was fitted with.", nameof(columns))
            : new FeatureSet(Ids, blocks) { IdColumns = IdColumns };
    }

    /// <summary>
    /// The rows of <paramref name="ids"/>, in that order, looked up by id (the set's own order does not matter).
    /// </summary>
    /// <exception cref="ArgumentException">An id has no row; the message names the first few and the set's source.</exception>
    public FeatureSet AlignTo(IdList ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var positions = new int[ids.Count];
        var missing = new List<string>();
        for (var i = 0; i < ids.Count; i++)
        {
            positions[i] = Ids.IndexOf(ids[i]);
            if (positions[i] < 0)
            {
                missing.Add(ids[i]);
            }
        }

        if (missing.Count > 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Features '{string.Join("', '", Blocks.Select(b => b.Name))}' have no row for {missing.Count} id(s): {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)}. Add a row for each of them."), nameof(ids));
        }

        // Already aligned (the usual case: features in the matrix's order): the set itself, immutable, instead of a copy.
        var identity = positions.Length == Count;
        for (var i = 0; identity && i < positions.Length; i++)
        {
            identity = positions[i] == i;
        }

        return identity ? this : Select(positions);
    }

    /// <summary>Joins sets over the same ids (aligned by id) into one with all their blocks.</summary>
    /// <exception cref="ArgumentException">The sets are empty, an id is missing from one of them, or two blocks share a name.</exception>
    public static FeatureSet Combine(IReadOnlyList<FeatureSet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0)
        {
            throw new ArgumentException("No feature sets to combine.", nameof(sets));
        }

        var ids = sets[0].Ids;
        return new FeatureSet(ids, [.. sets.SelectMany(s => s.AlignTo(ids).Blocks)]) { IdColumns = [.. sets.SelectMany(s => s.IdColumns).Distinct(StringComparer.Ordinal)] };
    }

    private IEnumerable<FeatureBlock> SelectBlocks(int[] rows) => Blocks.Select(b => b.Select(rows));

    private IEnumerable<FeatureBlock> SelectBlocks(ReadOnlySpan<int> rows) => SelectBlocks(rows.ToArray());
}
