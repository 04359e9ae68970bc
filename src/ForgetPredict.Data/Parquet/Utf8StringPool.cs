namespace ForgetPredict.Data.Parquet;

// Dictionary pages of a long-format file repeat the same ids in every row group (141,816 example names in each of
// 12 row groups, say). Decoding them afresh allocates millions of short strings and, worse, keeps the GC busy
// scanning the caller's large string arrays. The pool maps UTF-8 bytes to one string instance per reader through an
// id table (Utf8IdTable: an open-addressing table whose keys are slices of one byte arena, so a hit allocates nothing).
// Long values are not pooled, and the pool empties itself when it grows past its cap, so memory stays bounded.

/// <summary>Returns one shared string per distinct short UTF-8 value (used for dictionary entries).</summary>
internal sealed class Utf8StringPool
{
    private const int MaxPooledLength = 128;
    private const int MaxEntries = 1 << 21;

    private Utf8IdTable _table = new();

    /// <summary>Strings decoded because they were not in the pool yet (or were too long to pool).</summary>
    public long Misses { get; private set; }

    /// <summary>The pooled string for <paramref name="utf8"/> (decoded on first sight).</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxPooledLength)
        {
            Misses++;
            return Utf8Text.Decode(utf8, "a string value");
        }

        if (_table.Count >= MaxEntries)
        {
            _table = new Utf8IdTable();
        }

        var before = _table.Count;
        var value = _table[_table.GetOrAdd(utf8)];
        Misses += _table.Count - before;
        return value;
    }
}
