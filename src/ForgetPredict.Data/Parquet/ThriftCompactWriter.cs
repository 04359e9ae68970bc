using System.Text;

namespace ForgetPredict.Data.Parquet;

/// <summary>Writes Thrift compact-protocol values into a growable buffer (the encoder matching <see cref="ThriftCompactReader"/>).</summary>
/// <remarks>Callers keep the previous field id of each open struct in a local and pass it by reference, exactly as
/// the reader does; <see cref="WriteStop"/> closes a struct.</remarks>
internal sealed class ThriftCompactWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>Forgets everything written, keeping the buffer.</summary>
    public void Clear() => _length = 0;

    /// <summary>Writes a field header for field <paramref name="id"/> of wire <paramref name="type"/>.</summary>
    public void WriteFieldHeader(ref short lastFieldId, short id, ThriftType type)
    {
        var delta = id - lastFieldId;
        if (delta is > 0 and <= 15)
        {
            WriteRawByte((byte)((delta << 4) | (int)type));
        }
        else
        {
            WriteRawByte((byte)type);
            WriteVarint(ZigZag(id));
        }

        lastFieldId = id;
    }

    /// <summary>Writes a boolean field (the value lives in the header).</summary>
    public void WriteBoolField(ref short lastFieldId, short id, bool value) =>
        WriteFieldHeader(ref lastFieldId, id, value ? ThriftType.BooleanTrue : ThriftType.BooleanFalse);

    /// <summary>Writes an i32 field.</summary>
    public void WriteI32Field(ref short lastFieldId, short id, int value)
    {
        WriteFieldHeader(ref lastFieldId, id, ThriftType.I32);
        WriteI32(value);
    }

    /// <summary>Writes an i64 field.</summary>
    public void WriteI64Field(ref short lastFieldId, short id, long value)
    {
        WriteFieldHeader(ref lastFieldId, id, ThriftType.I64);
        WriteI64(value);
    }

    /// <summary>Writes a binary field.</summary>
    public void WriteBinaryField(ref short lastFieldId, short id, ReadOnlySpan<byte> value)
    {
        WriteFieldHeader(ref lastFieldId, id, ThriftType.Binary);
        WriteBinary(value);
    }

    /// <summary>Writes a string field as UTF-8.</summary>
    public void WriteStringField(ref short lastFieldId, short id, string value)
    {
        WriteFieldHeader(ref lastFieldId, id, ThriftType.Binary);
        WriteString(value);
    }

    /// <summary>Writes the header of a struct field; the caller then writes the struct's fields (from id 0) and a stop.</summary>
    public void WriteStructFieldHeader(ref short lastFieldId, short id) => WriteFieldHeader(ref lastFieldId, id, ThriftType.Struct);

    /// <summary>Writes the header of a list field.</summary>
    public void WriteListFieldHeader(ref short lastFieldId, short id, ThriftType elementType, int count)
    {
        WriteFieldHeader(ref lastFieldId, id, ThriftType.List);
        WriteListHeader(elementType, count);
    }

    /// <summary>Writes a list header.</summary>
    public void WriteListHeader(ThriftType elementType, int count)
    {
        if (count < 15)
        {
            WriteRawByte((byte)((count << 4) | (int)elementType));
        }
        else
        {
            WriteRawByte((byte)(0xF0 | (int)elementType));
            WriteVarint((uint)count);
        }
    }

    /// <summary>Ends the current struct.</summary>
    public void WriteStop() => WriteRawByte(0);

    /// <summary>Writes a zigzag varint i32.</summary>
    public void WriteI32(int value) => WriteVarint((uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes a zigzag varint i64.</summary>
    public void WriteI64(long value) => WriteVarint((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes a varint length and the bytes.</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteVarint((uint)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes a string as a UTF-8 binary.</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarint((uint)count);
        Ensure(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Writes an unsigned base-128 varint.</summary>
    public void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    /// <summary>Writes one raw byte.</summary>
    public void WriteRawByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    private static uint ZigZag(short value) => (uint)((value << 1) ^ (value >> 15)) & 0xFFFF;

    private void Ensure(int count)
    {
        if (_buffer.Length - _length < count)
        {
            Array.Resize(ref _buffer, Math.Max(checked(_length + count), _buffer.Length * 2));
        }
    }
}
