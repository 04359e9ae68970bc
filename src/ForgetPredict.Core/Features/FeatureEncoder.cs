using System.Globalization;
using System.Numerics.Tensors;

namespace ForgetPredict.Core.Features;

/// <summary>
/// One standardised view of a feature block, fitted on the training rows: numeric columns centred and scaled (optionally
/// after a log, for positive columns), categorical one-hot columns as given, embeddings centred per column and scaled as a
/// whole. Kernels between entities are computed on the encoded rows.
/// </summary>
/// <remarks>
/// A column with one value over the training rows (a seed of 0 for every task, a categorical column with a single level)
/// carries no information: it is left out of the encoding (<see cref="Constant"/>), so it neither counts in the width that
/// weighs a block nor contributes to a kernel, and a view fitted with it encodes as the view fitted without it, bit for bit.
/// A query's value there, whatever it is, cannot inform a prediction (<see cref="ChangedConstants"/> says where it differs).
/// </remarks>
/// <remarks>Immutable.</remarks>
public sealed class FeatureView
{
    private readonly double[] _shift;
    private readonly double[] _scale;
    private readonly bool[] _log;
    private readonly bool[] _constant;
    private readonly int[] _encoded;     // per encoded column, the block column it encodes (those not constant, in order)

    private FeatureView(FeatureBlock block, bool logScale, double[] shift, double[] scale, bool[] log, bool[] constant)
    {
        BlockName = block.Name;
        Kind = block.Kind;
        Columns = block.Columns;
        LogScale = logScale;
        _shift = shift;
        _scale = scale;
        _log = log;
        _constant = constant;
        _encoded = [.. Enumerable.Range(0, constant.Length).Where(c => !constant[c])];
    }

    /// <summary>The block this view encodes.</summary>
    public string BlockName { get; }

    /// <summary>The block's kind.</summary>
    public FeatureKind Kind { get; }

    /// <summary>The block's columns, in order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>True when positive numeric columns are taken on a log scale.</summary>
    public bool LogScale { get; }

    /// <summary>
    /// Number of the block's columns (<see cref="Columns"/>): the length of a raw row <see cref="Encode"/> reads and of
    /// <see cref="Shift"/>, <see cref="Scale"/>, <see cref="Log"/> and <see cref="Constant"/>. The encoded row can be narrower:
    /// see <see cref="EncodedWidth"/>.
    /// </summary>
    public int Width => _constant.Length;

    /// <summary>
    /// Number of encoded columns: the block's columns (<see cref="Width"/>) less those constant over the training rows
    /// (<see cref="Constant"/>); 0 when every column is constant. The length of the row <see cref="Encode"/> writes, and the
    /// width that weighs the block when several are concatenated.
    /// </summary>
    public int EncodedWidth => _encoded.Length;

    /// <summary>A short description, e.g. "tasks.csv (log)".</summary>
    public string Description => LogScale ? $"{BlockName} (log)" : BlockName;

    /// <summary>Per-column shift (subtracted after the optional log); for a <see cref="Constant"/> column, its training value.</summary>
    public ReadOnlySpan<double> Shift => _shift;

    /// <summary>Per-column scale (divides after the shift).</summary>
    public ReadOnlySpan<double> Scale => _scale;

    /// <summary>Per-column log flag.</summary>
    public ReadOnlySpan<bool> Log => _log;

    /// <summary>
    /// Per-column flag: true where the column had one value over the training rows (its <see cref="Shift"/>). Such a column
    /// carries no information, so the encoding leaves it out: it counts neither in <see cref="EncodedWidth"/> nor in a kernel.
    /// </summary>
    public ReadOnlySpan<bool> Constant => _constant;

    /// <summary>The views worth trying for a block: as given, and for numeric blocks with a positive column, also on a log scale.</summary>
    public static IEnumerable<FeatureView> Candidates(FeatureBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        yield return Fit(block, false);
        if (block.Kind == FeatureKind.Numeric && Enumerable.Range(0, block.Width).Any(c => !IsConstant(block, c) && Positive(block, c)))
        {
            yield return Fit(block, true);
        }
    }

    /// <summary>Restores a view from its stored parts (a model file written before constant columns were left out): no column is constant.</summary>
    /// <exception cref="ArgumentException">The parts disagree in length or a value is not finite.</exception>
    public static FeatureView Restore(string blockName, FeatureKind kind, IReadOnlyList<string> columns, bool logScale, double[] shift, double[] scale, bool[] log) =>
        Restore(blockName, kind, columns, logScale, shift, scale, log, new bool[columns?.Count ?? 0]);

    /// <summary>Restores a view from its stored parts (a model file), with the columns that were constant over the training rows.</summary>
    /// <exception cref="ArgumentException">The parts disagree in length, a value is not finite, or a constant column is read on a log scale.</exception>
    public static FeatureView Restore(string blockName, FeatureKind kind, IReadOnlyList<string> columns, bool logScale, double[] shift, double[] scale, bool[] log, bool[] constant)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(scale);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(constant);
        if (shift.Length != columns.Count || scale.Length != columns.Count || log.Length != columns.Count || constant.Length != columns.Count
            || !TensorPrimitives.IsFiniteAll<double>(shift) || !TensorPrimitives.IsFiniteAll<double>(scale) || scale.Any(s => s <= 0))
        {
            throw new ArgumentException($"Feature view of '{blockName}' is inconsistent: {columns.Count} columns, {shift.Length} shifts, {scale.Length} scales, {log.Length} log flags, {constant.Length} constant flags.", nameof(columns));
        }

        if (Enumerable.Range(0, columns.Count).FirstOrDefault(c => constant[c] && log[c], -1) is >= 0 and var both)
        {
            throw new ArgumentException($"Feature view of '{blockName}' is inconsistent: column '{columns[both]}' is both constant (left out) and read on a log scale.", nameof(constant));
        }

        var block = new FeatureBlock(blockName, kind, columns, new double[columns.Count]);
        return new FeatureView(block, logScale, shift, scale, log, constant);
    }

    /// <summary>
    /// Encodes one entity's raw block row (one value per column of <see cref="Columns"/>) into <paramref name="destination"/>
    /// (length <see cref="EncodedWidth"/>): every column but the <see cref="Constant"/> ones, whose values are not read.
    /// </summary>
    /// <exception cref="ArgumentException">A column read on a log scale is not above 0.</exception>
    public void Encode(ReadOnlySpan<double> raw, Span<double> destination)
    {
        for (var e = 0; e < _encoded.Length; e++)
        {
            var c = _encoded[e];
            var x = raw[c];
            if (_log[c])
            {
                if (!(x > 0))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Features '{BlockName}': '{Columns[c]}' is {x}, but the model reads it on a log scale (every training value was above 0); give a value above 0."), nameof(raw));
                }

                x = Math.Log(x);
            }

            destination[e] = (x - _shift[c]) / _scale[c];
        }
    }

    /// <summary>
    /// Refuses views kept for blocks left out as constant (a feature model's <c>ConstantViews</c>) that are not: a view with a
    /// column that varied, with no column, or of a block the model also uses.
    /// </summary>
    /// <exception cref="ArgumentException">One of them is not a view of a block constant over the training rows.</exception>
    internal static void CheckConstantViews(IReadOnlyList<FeatureView> constant, IReadOnlyList<FeatureView> used, string parameter)
    {
        ArgumentNullException.ThrowIfNull(constant, parameter);
        foreach (var view in constant)
        {
            if (view is null || view.Width == 0 || view.EncodedWidth != 0)
            {
                throw new ArgumentException(
                    view is null ? "A view of a block left out as constant is missing."
                        : $"The view of '{view.BlockName}', kept as a block left out because every column was constant over the training rows, has {view.Width} columns of which {view.EncodedWidth} vary; such a view needs at least one column and none that varies.",
                    parameter);
            }

            if (used.Any(u => u is not null && string.Equals(u.BlockName, view.BlockName, StringComparison.Ordinal) && u.Kind == view.Kind))
            {
                throw new ArgumentException($"Feature block '{view.BlockName}' is both used by the model and left out as constant.", parameter);
            }
        }
    }

    /// <summary>The block column (index into <see cref="Columns"/>) that encoded column <paramref name="encoded"/> holds.</summary>
    internal int ColumnOf(int encoded) => _encoded[encoded];

    /// <summary>Each block's first candidate view: numeric columns as given (standardised), categorical and embedding blocks as they are.</summary>
    internal static FeatureView[] AsGiven(IEnumerable<FeatureBlock> blocks) => [.. blocks.Select(b => Candidates(b).First())];

    /// <summary>
    /// Per view 1 / sqrt(width) (its encoded width: constant columns do not count; 1 for a view with none left): the scales
    /// under which blocks of any width weigh the same when several are concatenated.
    /// </summary>
    internal static double[] BalancedScales(IReadOnlyList<FeatureView> views) => [.. views.Select(v => v.EncodedWidth == 0 ? 1 : 1 / Math.Sqrt(v.EncodedWidth))];

    /// <summary>
    /// Encodes one entity's row of each view's block (view b encodes <paramref name="blocks"/>[b]) into consecutive segments of
    /// <paramref name="destination"/>, each multiplied by its view's scale (a scale of 1 leaves the segment as encoded).
    /// </summary>
    internal static void EncodeConcatenated(IReadOnlyList<FeatureView> views, IReadOnlyList<FeatureBlock> blocks, int row, ReadOnlySpan<double> scales, Span<double> destination)
    {
        var offset = 0;
        for (var b = 0; b < views.Count; b++)
        {
            var segment = destination.Slice(offset, views[b].EncodedWidth);
            views[b].Encode(blocks[b].Row(row), segment);
            if (scales[b] != 1)
            {
                TensorPrimitives.Multiply(segment, scales[b], segment);
            }

            offset += views[b].EncodedWidth;
        }
    }

    // The block of a query's features that stands for this view's: the one of the same name, else the first that Matches; null
    // when none does.
    private FeatureBlock? BlockFor(FeatureSet features) =>
        features.Blocks.FirstOrDefault(b => string.Equals(b.Name, BlockName, StringComparison.Ordinal)) ?? features.Blocks.FirstOrDefault(Matches);

    /// <summary>
    /// The block of <paramref name="features"/> that stands for each of <paramref name="views"/> (a model's views), aligned to
    /// it: <see cref="AlignFrom"/> for each, told whether the model reads one embedding.
    /// </summary>
    /// <exception cref="ArgumentException">A view has no block like its own, or its columns differ.</exception>
    internal static FeatureBlock[] AlignAll(IReadOnlyList<FeatureView> views, FeatureSet features, string entities)
    {
        var onlyEmbedding = views.Count(v => v.Kind == FeatureKind.Embedding) == 1;
        return [.. views.Select(v => v.AlignFrom(features, entities, onlyEmbedding))];
    }

    /// <summary>
    /// The block of <paramref name="features"/> that stands for this view's (the one of the same name, else one that
    /// <see cref="Matches"/>), aligned to this view.
    /// </summary>
    /// <param name="features">A query's features.</param>
    /// <param name="entities">What the features describe, for the message: "task" or "example".</param>
    /// <param name="onlyEmbedding">True when this is the model's one embedding view: a query's one embedding under another
    /// name then stands for it, and a width that differs is what is said (with two, it may stand for the other).</param>
    /// <exception cref="ArgumentException">No block is like this view's, or its columns differ; the message names both and the fix.</exception>
    private FeatureBlock AlignFrom(FeatureSet features, string entities, bool onlyEmbedding)
    {
        var block = BlockFor(features);
        if (block is null && Kind == FeatureKind.Numeric
            && features.Blocks.SelectMany(b => b.Columns).FirstOrDefault(c => c.IndexOf('=', StringComparison.Ordinal) is > 0 and var at && Columns.Contains(c[..at])) is { } word)
        {
            // A one-row query whose numeric column holds a word (lr=NA) reads as a category: say which setting is not a number.
            var at = word.IndexOf('=', StringComparison.Ordinal);
            throw new ArgumentException(
                $"The {entities} features give '{word[..at]}' as '{word[(at + 1)..]}', not a number; the model was fitted with '{word[..at]}' as a number ({BlockName}). Give it a number.",
                nameof(features));
        }

        if (block is null && Kind == FeatureKind.Embedding && onlyEmbedding && features.Blocks.Where(b => b.Kind == FeatureKind.Embedding).ToArray() is [var other])
        {
            // The query's one embedding under another name (a new file), of another width: its width is what differs, as a
            // same-named embedding's refusal says (a list of its first columns hid that 63 is not 64).
            CheckWidth(other);
        }

        return block is not null ? Align(block) : throw new ArgumentException(
                $"The {entities} features have no block like '{BlockName}' ({Kind.ToString().ToLowerInvariant()} columns {string.Join(", ", Columns.Take(8))}{(Columns.Count > 8 ? ", ..." : string.Empty)}), which the model was fitted with; given: {string.Join("; ", features.Blocks.Select(b => $"'{b.Name}' ({string.Join(", ", b.Columns.Take(8))})"))}. Give the same feature columns.",
                nameof(features));
    }

    /// <summary>
    /// The categorical levels row <paramref name="row"/> of <paramref name="features"/> has that this view was not fitted with
    /// (columns such as "family=poetry" set in the row but absent from <see cref="Columns"/>): they encode as none of the
    /// view's levels. Empty for numeric and embedding views, and when no block of <paramref name="features"/> stands for this one.
    /// </summary>
    public IReadOnlyList<string> UnseenLevels(FeatureSet features, int row)
    {
        ArgumentNullException.ThrowIfNull(features);
        var block = Kind != FeatureKind.Categorical ? null
            : BlockFor(features);
        if (block is null)
        {
            return [];
        }

        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, block.Count);
        var values = block.Row(row);
        var unseen = new List<string>();
        for (var c = 0; c < values.Length; c++)
        {
            if (values[c] != 0 && IndexOf(Columns, block.Columns[c]) < 0)
            {
                unseen.Add(block.Columns[c]);
            }
        }

        return unseen;
    }

    /// <summary>
    /// The <see cref="Constant"/> columns whose value in row <paramref name="row"/> of <paramref name="features"/> differs from
    /// the one every training row had, each with that training value and the row's: the model learned nothing from such a
    /// column (it never varied), so it ignores it and the row's value cannot inform a prediction (seed 1 where every training
    /// task had seed 0). A categorical level column reads as 0 where the row does not give it. Empty when no column is
    /// constant, and when no block of <paramref name="features"/> stands for this one (or, for an embedding, one of another width).
    /// </summary>
    public IReadOnlyList<(string Column, double Trained, double Value)> ChangedConstants(FeatureSet features, int row)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (_encoded.Length == _constant.Length || BlockFor(features) is not { } block)
        {
            return [];
        }

        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, block.Count);
        if (Kind == FeatureKind.Embedding && block.Width != Columns.Count)
        {
            return [];
        }

        var values = block.Row(row);
        var changed = new List<(string, double, double)>();
        for (var c = 0; c < _constant.Length; c++)
        {
            if (!_constant[c])
            {
                continue;
            }

            var source = Kind == FeatureKind.Embedding ? c : IndexOf(block.Columns, Columns[c]);
            var x = source >= 0 ? values[source] : Kind == FeatureKind.Categorical ? 0 : double.NaN;
            if (!double.IsNaN(x) && x != _shift[c])
            {
                changed.Add((Columns[c], _shift[c], x));
            }
        }

        return changed;
    }

    /// <summary>
    /// The numeric columns whose value in row <paramref name="row"/> of <paramref name="features"/> lies more than
    /// <paramref name="limit"/> training standard deviations from the training tasks' mean, on the view's scale (log where the
    /// view reads the column on a log scale): a setting the model never saw anything like (lr 1e300), where the prior is an
    /// extrapolation. Each with its value and its distance in standard deviations. For an embedding, the row as a whole: its
    /// root mean square distance from the training rows' mean over the columns, in the embedding's standard deviations (its
    /// encoding's scale), with the block's name as the column and NaN as the value (an embedding from another model, or
    /// scaled 50 times). Empty for categorical views, and when no block of <paramref name="features"/> stands for this one.
    /// </summary>
    public IReadOnlyList<(string Column, double Value, double Deviations)> FarFromTraining(FeatureSet features, int row, double limit)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (Kind == FeatureKind.Categorical
            || BlockFor(features) is not { } block)
        {
            return [];
        }

        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, block.Count);
        if (Kind == FeatureKind.Embedding)
        {
            if (block.Width != Columns.Count || EncodedWidth == 0)
            {
                return [];
            }

            var encoded = new double[EncodedWidth];
            Encode(block.Row(row), encoded);
            var rms = Math.Sqrt(TensorPrimitives.SumOfSquares<double>(encoded) / EncodedWidth);
            return rms > limit ? [(BlockName, double.NaN, rms)] : [];
        }

        var far = new List<(string, double, double)>();
        var values = block.Row(row);
        foreach (var c in _encoded)
        {
            var source = IndexOf(block.Columns, Columns[c]);
            if (source < 0)
            {
                continue;
            }

            var x = values[source];
            var deviations = Math.Abs(((_log[c] && x > 0 ? Math.Log(x) : x) - _shift[c]) / _scale[c]);
            if (deviations > limit)
            {
                far.Add((Columns[c], x, deviations));
            }
        }

        return far;
    }

    /// <summary>Encodes every row of a block (count x <see cref="EncodedWidth"/>, row-major).</summary>
    public double[] EncodeAll(FeatureBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var count = block.Count;
        var width = EncodedWidth;
        var result = new double[count * width];
        for (var i = 0; i < count; i++)
        {
            Encode(block.Row(i), result.AsSpan(i * width, width));
        }

        return result;
    }

    /// <summary>
    /// Checks that <paramref name="block"/> has this view's columns (same names, same order); categorical blocks may differ
    /// in levels: <see cref="Align"/> maps them.
    /// </summary>
    /// <exception cref="ArgumentException">The block's width or columns differ; the message names both and the fix.</exception>
    public FeatureBlock Align(FeatureBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (Kind == FeatureKind.Categorical)
        {
            // Levels by name; a level the model never saw encodes as all zeros, a missing level as 0.
            var width = Columns.Count;
            var values = new double[block.Count * width];
            for (var c = 0; c < width; c++)
            {
                var source = IndexOf(block.Columns, Columns[c]);
                for (var i = 0; source >= 0 && i < block.Count; i++)
                {
                    values[(i * width) + c] = block.Row(i)[source];
                }
            }

            return new FeatureBlock(BlockName, Kind, Columns, values);
        }

        if (Kind == FeatureKind.Numeric)
        {
            // A missing column is named before the count is compared: "no column 'steps'" says more than "1 columns, not 2".
            var width = Columns.Count;
            var order = new int[width];
            for (var c = 0; c < width; c++)
            {
                order[c] = IndexOf(block.Columns, Columns[c]);
                if (order[c] < 0)
                {
                    throw new ArgumentException($"Features '{block.Name}' have no numeric column '{Columns[c]}'; the model was fitted with columns {string.Join(", ", Columns)}. Give the same columns, each a number.", nameof(block));
                }
            }

            if (block.Width != width)
            {
                // Every column the model needs is here, and more: name the others, which is what the user must drop.
                var extra = block.Columns.Where(c => IndexOf(Columns, c) < 0).ToArray();
                throw new ArgumentException(
                    $"Features '{block.Name}' have numeric columns {string.Join(", ", extra.Take(8))}{(extra.Length > 8 ? ", ..." : string.Empty)} that the model was not fitted with (it was fitted with {string.Join(", ", Columns)} for '{BlockName}'). Give the same columns: drop those, or, if one of them holds the ids, name it as the id column.", nameof(block));
            }

            var values = new double[block.Count * width];
            for (var i = 0; i < block.Count; i++)
            {
                for (var c = 0; c < width; c++)
                {
                    values[(i * width) + c] = block.Row(i)[order[c]];
                }
            }

            return new FeatureBlock(BlockName, Kind, Columns, values);
        }

        CheckWidth(block);
        return new FeatureBlock(BlockName, Kind, Columns, block.Values.ToArray());
    }

    private void CheckWidth(FeatureBlock block)
    {
        if (block.Width != Columns.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Features '{block.Name}' have {block.Width} columns; the model was fitted with {Columns.Count} for '{BlockName}'. Give the same columns the model was fitted with."), nameof(block));
        }
    }

    /// <summary>
    /// True when <paramref name="block"/> can stand for this view's block under another name (e.g. another file): the same kind
    /// and the same columns (numeric), the same width (embedding), or a shared categorical column, whatever its levels
    /// (categorical: "family=poetry" stands for a block of "family=web" and "family=code").
    /// </summary>
    public bool Matches(FeatureBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return block.Kind == Kind && Kind switch
        {
            FeatureKind.Numeric => Columns.All(c => IndexOf(block.Columns, c) >= 0),
            FeatureKind.Embedding => block.Width == Columns.Count,
            _ => Columns.Any(c => block.Columns.Any(b => string.Equals(CategoryOf(b), CategoryOf(c), StringComparison.Ordinal))),
        };

        static string CategoryOf(string name) => SplitLevel(name).Column ?? name;
    }

    /// <summary>
    /// A categorical block's column name split into the table column and the level it stands for: ("family", "web") for
    /// "family=web"; a name without '=' is a level of no named column (null, the name).
    /// </summary>
    public static (string? Column, string Level) SplitLevel(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var split = name.IndexOf('=', StringComparison.Ordinal);
        return split < 0 ? (null, name) : (name[..split], name[(split + 1)..]);
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    // True when every row holds the same value in the column (exactly: a computed variance of a constant column need not be 0).
    private static bool IsConstant(FeatureBlock block, int column)
    {
        var first = block.Count > 0 ? block.Row(0)[column] : 0;
        for (var i = 1; i < block.Count; i++)
        {
            if (block.Row(i)[column] != first)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Positive(FeatureBlock block, int column)
    {
        for (var i = 0; i < block.Count; i++)
        {
            if (!(block.Row(i)[column] > 0))
            {
                return false;
            }
        }

        return true;
    }

    private static FeatureView Fit(FeatureBlock block, bool logScale)
    {
        var width = block.Width;
        var count = block.Count;
        var shift = new double[width];
        var scale = new double[width];
        var log = new bool[width];
        var variances = new double[width];
        var constant = new bool[width];
        for (var c = 0; c < width; c++)
        {
            constant[c] = IsConstant(block, c);
            log[c] = logScale && !constant[c] && Positive(block, c);
            double sum = 0, square = 0;
            for (var i = 0; i < count; i++)
            {
                var x = log[c] ? Math.Log(block.Row(i)[c]) : block.Row(i)[c];
                sum += x;
                square += x * x;
            }

            var mean = sum / Math.Max(count, 1);
            variances[c] = Math.Max((square / Math.Max(count, 1)) - (mean * mean), 0);
            shift[c] = constant[c] ? (count > 0 ? block.Row(0)[c] : 0) : block.Kind == FeatureKind.Categorical ? 0 : mean;
        }

        switch (block.Kind)
        {
            case FeatureKind.Numeric:
                for (var c = 0; c < width; c++)
                {
                    scale[c] = !constant[c] && variances[c] > 0 ? Math.Sqrt(variances[c]) : 1;
                }

                break;
            case FeatureKind.Embedding:
                // The average over the columns that vary: a constant one would shrink it, and so scale the others up.
                var varying = variances.Where((_, c) => !constant[c]).ToArray();
                var average = varying.Length > 0 ? varying.Average() : 0;
                Array.Fill(scale, average > 0 ? Math.Sqrt(average) : 1);
                break;
            default:
                Array.Fill(scale, 1.0);
                break;
        }

        return new FeatureView(block, logScale, shift, scale, log, constant);
    }
}
