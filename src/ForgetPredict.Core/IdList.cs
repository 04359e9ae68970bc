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
/// <para>Ids are unique: construction with a duplicate throws, naming it, and so does one whole number written two ways ('3' and '3.0').</para>
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
    /// <exception cref="ArgumentException">An id is null, empty or repeated, or one whole number is written two ways ('3' and '3.0', as a float column prints it); the message names it and both positions.</exception>
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

        for (var i = 0; i < array.Length; i++)
        {
            var id = array[i];
            if (IntegerWrittenAsFloat(id) is { } whole && seen.TryGetValue(whole, out var other))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Ids '{whole}' and '{id}' (positions {Math.Min(i, other)} and {Math.Max(i, other)}) are one number written two ways (pandas writes a whole-number id column that holds a missing value as floats: {id}); write every id one way, e.g. df[column] = df[column].astype('Int64') before saving."), nameof(ids));
            }
        }

        return implicitSoFar ? new IdList(array.Length, null) : new IdList(array.Length, array);
    }

    // "12.0" or "-3.00" -> "12" or "-3": a whole number with a zero fraction, as a float column prints it; otherwise null.
    private static string? IntegerWrittenAsFloat(string id)
    {
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == id.Length - 1)
        {
            return null;
        }

        var start = id[0] == '-' ? 1 : 0;
        if (dot == start || id.AsSpan(start, dot - start).ContainsAnyExceptInRange('0', '9') || id.AsSpan(dot + 1).ContainsAnyExcept('0'))
        {
            return null;
        }

        return id[..dot];
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
