using System.Text;

namespace ForgetPredict.Data.Parquet;

// A long-format file names every cell by its ids: 12 million rows of an 85 x 141,816 matrix hold 24 million id values
// but only 141,901 distinct ones. Reading them as strings allocated one string per row wherever the pool could not
// help (a PLAIN chunk whose first values are all new turns pooling off), and the string arrays of a million rows kept
// the collector busy: reading took 9 s where it takes 1. The table maps UTF-8 bytes to a dense index (in order of
// first sight), decoding a string only for a value it has not seen; the caller handles ints, not strings, per row.

/// <summary>Maps UTF-8 values to dense indices 0, 1, 2... (in order of first sight), keeping one string per distinct value.</summary>
internal sealed class Utf8IdTable
{
    private int[] _table = new int[1 << 12]; // entry index + 1; 0 = empty
    private Entry[] _entries = new Entry[1 << 11];
    private string[] _values = new string[1 << 11];
    private byte[] _arena = new byte[1 << 16];
    private byte[] _scratch = [];
    private int _count;
    private int _arenaLength;
    private int _last = -1;

    /// <summary>Distinct values seen so far.</summary>
    public int Count => _count;

    /// <summary>The text of value <paramref name="index"/>.</summary>
    public string this[int index] => (uint)index < (uint)_count ? _values[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The index of <paramref name="utf8"/>, added (and decoded, which refuses bytes that are not UTF-8 with
    /// <see cref="InvalidDataException"/>) on first sight.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> utf8) => GetOrAdd(utf8, null);

    /// <summary>The index of <paramref name="value"/>, added on first sight.</summary>
    public int GetOrAdd(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 256)];
        }

        var written = Encoding.UTF8.GetBytes(value, _scratch);
        return GetOrAdd(_scratch.AsSpan(0, written), value);
    }

    private int GetOrAdd(ReadOnlySpan<byte> utf8, string? text)
    {
        // Ids repeat in order (example after example within each task), so the entry after the last hit is usually the
        // answer: check it before hashing.
        var next = _last + 1;
        if ((uint)next < (uint)_count)
        {
            ref var predicted = ref _entries[next];
            if (predicted.Length == utf8.Length && utf8.SequenceEqual(_arena.AsSpan(predicted.Offset, predicted.Length)))
            {
                _last = next;
                return next;
            }
        }

        var hash = Hash(utf8);
        var mask = _table.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            var index = _table[slot] - 1;
            if (index < 0)
            {
                return Add(utf8, text, hash, slot);
            }

            ref var entry = ref _entries[index];
            if (entry.Hash == hash && entry.Length == utf8.Length && utf8.SequenceEqual(_arena.AsSpan(entry.Offset, entry.Length)))
            {
                _last = index;
                return index;
            }
        }
    }

    private int Add(ReadOnlySpan<byte> utf8, string? text, int hash, int slot)
    {
        var value = text ?? Utf8Text.Decode(utf8, "a string value");
        if (_arena.Length - _arenaLength < utf8.Length)
        {
            Array.Resize(ref _arena, (int)Math.Min(Array.MaxLength, Math.Max(2L * _arena.Length, (long)_arenaLength + utf8.Length)));
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
            Array.Resize(ref _values, _values.Length * 2);
        }

        utf8.CopyTo(_arena.AsSpan(_arenaLength));
        var index = _count;
        _entries[index] = new Entry(hash, _arenaLength, utf8.Length);
        _values[index] = value;
        _arenaLength += utf8.Length;
        _table[slot] = ++_count;
        _last = index;
        if (_count * 2 > _table.Length)
        {
            Rehash();
        }

        return index;
    }

    private void Rehash()
    {
        var table = new int[_table.Length * 2];
        var mask = table.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            var slot = _entries[i].Hash & mask;
            while (table[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            table[slot] = i + 1;
        }

        _table = table;
    }

    // HashCode is seeded at random per process, so a file cannot be crafted to make every id collide (a fixed hash let an
    // upload of ids chosen to collide make the table quadratic); the indices, in order of first sight, do not depend on it.
    private static int Hash(ReadOnlySpan<byte> data)
    {
        var hash = new HashCode();
        hash.AddBytes(data);
        return hash.ToHashCode() & int.MaxValue;
    }

    private readonly record struct Entry(int Hash, int Offset, int Length);
}
