using System.Buffers.Binary;
using System.Numerics;

namespace ForgetPredict.Data.Parquet;

// Dictionary pages of a long-format file repeat the same ids in every row group (141,816 example names in each of
// 12 row groups, say). Decoding them afresh allocates millions of short strings and, worse, keeps the GC busy
// scanning the caller's large string arrays. The pool maps UTF-8 bytes to one string instance per reader: entries
// live in an open-addressing table whose keys are slices of one byte arena, so a hit allocates nothing. Long values
// are not pooled, and the pool empties itself when it grows past its caps, so memory stays bounded.

/// <summary>Returns one shared string per distinct short UTF-8 value (used for dictionary entries).</summary>
internal sealed class Utf8StringPool
{
    private const int MaxPooledLength = 128;
    private const int MaxEntries = 1 << 21;

    private int[] _table = new int[1 << 12]; // entry index + 1; 0 = empty
    private Entry[] _entries = new Entry[1 << 11];
    private byte[] _arena = new byte[1 << 16];
    private int _count;
    private int _arenaLength;
    private int _last = -1;

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

        // Dictionaries repeat in (rotated) order from one row group to the next, so the entry after the last hit is
        // usually the answer: check it before hashing, which keeps the walk sequential in memory.
        var next = _last + 1;
        if ((uint)next < (uint)_count)
        {
            ref var predicted = ref _entries[next];
            if (predicted.Length == utf8.Length && utf8.SequenceEqual(_arena.AsSpan(predicted.Offset, predicted.Length)))
            {
                _last = next;
                return predicted.Value;
            }
        }

        var hash = Hash(utf8);
        var mask = _table.Length - 1;
        for (var slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            var index = _table[slot] - 1;
            if (index < 0)
            {
                return Add(utf8, hash, slot);
            }

            ref var entry = ref _entries[index];
            if (entry.Hash == hash && utf8.SequenceEqual(_arena.AsSpan(entry.Offset, entry.Length)))
            {
                _last = index;
                return entry.Value;
            }
        }
    }

    private string Add(ReadOnlySpan<byte> utf8, int hash, int slot)
    {
        Misses++;
        var value = Utf8Text.Decode(utf8, "a string value");
        if (_count >= MaxEntries)
        {
            Clear();
            return value;
        }

        if (_arena.Length - _arenaLength < utf8.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaLength + utf8.Length));
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        utf8.CopyTo(_arena.AsSpan(_arenaLength));
        _last = _count;
        _entries[_count] = new Entry(hash, _arenaLength, utf8.Length, value);
        _arenaLength += utf8.Length;
        _table[slot] = ++_count;
        if (_count * 2 > _table.Length)
        {
            Rehash();
        }

        return value;
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

    private void Clear()
    {
        _table = new int[1 << 12];
        _entries = new Entry[1 << 11];
        _arena = new byte[1 << 16];
        _count = 0;
        _arenaLength = 0;
        _last = -1;
    }

    private static int Hash(ReadOnlySpan<byte> data)
    {
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)data.Length;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(data[i..])) * 0xBF58476D1CE4E5B9UL, 31);
        }

        ulong tail = 0;
        for (var shift = 0; i < data.Length; i++, shift += 8)
        {
            tail |= (ulong)data[i] << shift;
        }

        h = (h ^ tail) * 0x94D049BB133111EBUL;
        return (int)(h ^ (h >> 32)) & int.MaxValue;
    }

    private readonly record struct Entry(int Hash, int Offset, int Length, string Value);
}
