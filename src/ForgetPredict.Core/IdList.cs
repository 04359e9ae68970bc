using System.Collections;
using System.Globalization;

namespace ForgetPredict.Core;

/// <summary>
/// The ids of a matrix's tasks (rows) or examples (columns): either explicit strings or the implicit
/// ids "0".."Count-1" that a file without ids (a bare .npy) gets.
/// </summary>
/// <remarks>
/// <para>Implicit ids are generated on demand, so a matrix with a million examples does not hold a million
/// strings unless someone asks for them. Lookup by id (<see cref="IndexOf"/>) builds a dictionary on first use
/// for explicit ids; implicit ids are parsed.</para>
/// <para>Ids are unique: construction with a duplicate throws, naming it. A matrix read from strings also refuses one whole
/// number written two ways ('3' and '3.0'; <see cref="WholeNumber"/>).</para>
/// <threadsafety>Immutable and safe for concurrent readers.</threadsafety>
/// </remarks>
public sealed class IdList : IReadOnlyList<string>
{
    private readonly string[]? _ids;
    private readonly Lazy<Dictionary<string, int>>? _index;

    private IdList(int count, string[]? ids)
    {
        Count = count;
        _ids = ids;
        if (ids is not null)
        {
            _index = new Lazy<Dictionary<string, int>>(() => BuildIndex(ids), LazyThreadSafetyMode.ExecutionAndPublication);
        }
    }

    /// <summary>The number of ids.</summary>
    public int Count { get; }

    /// <summary>True when the ids are the implicit "0".."Count-1" (the list holds no strings).</summary>
    public bool IsImplicit => _ids is null;

    /// <summary>The id at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside 0..Count-1.</exception>
    public string this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, string.Create(CultureInfo.InvariantCulture, $"Index must be in 0..{Count - 1}."));
            }

            return _ids is null ? index.ToString(CultureInfo.InvariantCulture) : _ids[index];
        }
    }

    /// <summary>Implicit ids "0".."<paramref name="count"/>-1".</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static IdList Implicit(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new IdList(count, null);
    }

    /// <summary>Explicit ids, copied. When they are exactly "0".."n-1" the result is implicit.</summary>
    /// <exception cref="ArgumentException">An id is null, empty or repeated; the message names it and both positions.</exception>
    public static IdList From(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var array = ids.ToArray();
        var seen = new Dictionary<string, int>(array.Length, StringComparer.Ordinal);
        var implicitSoFar = true;
        for (var i = 0; i < array.Length; i++)
        {
            var id = array[i];
            if (string.IsNullOrEmpty(id))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Id at position {i} is empty; every task and example needs a non-empty id."), nameof(ids));
            }

            if (!seen.TryAdd(id, i))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Id '{id}' appears twice, at positions {seen[id]} and {i}; ids must be unique."), nameof(ids));
            }

            implicitSoFar = implicitSoFar && IsImplicitId(id, i);
        }

        return implicitSoFar ? new IdList(array.Length, null) : new IdList(array.Length, array);
    }

    /// <summary>
    /// The whole number an id spells, in its shortest form, or null when it spells none: "12", "12.0" and "12.00" give "12",
    /// "-0.0" gives "0"; "012", "1.5", "1e3" and "a" give null. Ids that give the same number are one number written two
    /// ways, as pandas writes a whole-number column that holds a missing value (as floats: 3.0).
    /// </summary>
    public static string? WholeNumber(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? id.AsSpan() : id.AsSpan(0, dot);
        if (dot >= 0 && (dot == id.Length - 1 || id.AsSpan(dot + 1).ContainsAnyExcept('0')))
        {
            return null;
        }

        var negative = whole.Length > 0 && whole[0] == '-';
        var digits = negative ? whole[1..] : whole;
        if (digits.Length == 0 || digits.ContainsAnyExceptInRange('0', '9') || (digits.Length > 1 && digits[0] == '0'))
        {
            return null;
        }

        return digits is "0" ? "0" : dot < 0 ? id : negative ? "-" + digits.ToString() : digits.ToString();
    }

    /// <summary>Refuses ids that spell one whole number two ways ('3' and '3.0'; <see cref="WholeNumber"/>): read as two
    /// tasks or examples they would split one in two.</summary>
    /// <exception cref="ArgumentException">Two ids spell the same number; the message names both and their positions.</exception>
    internal void ThrowIfOneNumberTwice(string paramName)
    {
        if (_ids is null)
        {
            return;
        }

        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _ids.Length; i++)
        {
            if (WholeNumber(_ids[i]) is { } number && !first.TryAdd(number, i))
            {
                var j = first[number];
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Ids '{_ids[j]}' and '{_ids[i]}' (positions {j} and {i}) are one number written two ways (pandas writes a whole-number id column that holds a missing value as floats: 3.0); write every id one way, e.g. df[column] = df[column].astype('Int64') before saving."), paramName);
            }
        }
    }

    /// <summary>True when both lists hold the same ids in the same order (two implicit lists compare by count, without making their strings).</summary>
    internal static bool Same(IdList a, IdList b) =>
        ReferenceEquals(a, b) || (a.IsImplicit && b.IsImplicit ? a.Count == b.Count : a.Count == b.Count && a.SequenceEqual(b, StringComparer.Ordinal));

    /// <summary>The position of <paramref name="id"/>, or -1 when it is not in the list.</summary>
    public int IndexOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_index is null)
        {
            return int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < Count && IsImplicitId(id, i) ? i : -1;
        }

        return _index.Value.TryGetValue(id, out var index) ? index : -1;
    }

    /// <summary>The ids at the given positions, in that order (implicit ids become explicit strings unless the selection is 0..k-1).</summary>
    public IdList Select(ReadOnlySpan<int> positions)
    {
        var isPrefix = true;
        for (var i = 0; i < positions.Length && isPrefix; i++)
        {
            isPrefix = positions[i] == i;
        }

        if (isPrefix && _ids is null)
        {
            return Implicit(positions.Length);
        }

        var selected = new string[positions.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            selected[i] = this[positions[i]];
        }

        return From(selected);
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static bool IsImplicitId(string id, int position) =>
        id.Length > 0 && (id.Length == 1 || id[0] != '0') && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value == position;

    private static Dictionary<string, int> BuildIndex(string[] ids)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            index.Add(ids[i], i);
        }

        return index;
    }
}
