using System.Buffers.Binary;

namespace ForgetPredict.Data.Parquet;

/// <summary>A growable byte buffer for building pages (cheaper and simpler than a MemoryStream for span writes).</summary>
internal sealed class ByteBuffer
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates an empty buffer with <paramref name="capacity"/> bytes reserved.</summary>
    public ByteBuffer(int capacity = 1024) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>Forgets the contents, keeping the memory.</summary>
    public void Clear() => _length = 0;

    /// <summary>Returns a span of <paramref name="count"/> writable bytes at the end; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetSpan(int count)
    {
        if (_buffer.Length - _length < count)
        {
            Array.Resize(ref _buffer, Math.Max(checked(_length + count), checked(_buffer.Length * 2)));
        }

        return _buffer.AsSpan(_length, count);
    }

    /// <summary>Marks <paramref name="count"/> bytes of the last <see cref="GetSpan"/> as written.</summary>
    public void Advance(int count) => _length += count;

    /// <summary>Appends bytes.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _length += data.Length;
    }

    /// <summary>Appends one byte.</summary>
    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    /// <summary>Appends a little-endian int32.</summary>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), value);
        _length += 4;
    }

    /// <summary>Overwrites a little-endian int32 at <paramref name="offset"/>.</summary>
    public void SetInt32(int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset, 4), value);

    /// <summary>Appends an unsigned LEB128 varint.</summary>
    public void WriteUleb128(ulong value)
    {
        var span = GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _length += i;
    }
}
