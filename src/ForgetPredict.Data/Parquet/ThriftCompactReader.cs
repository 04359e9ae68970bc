using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ForgetPredict.Data.Parquet;

/// <summary>Wire types of the Thrift compact protocol, as they appear in the low nibble of a field header.</summary>
internal enum ThriftType : byte
{
    /// <summary>End of a struct.</summary>
    Stop = 0,

    /// <summary>Boolean true (field headers carry the value in the type).</summary>
    BooleanTrue = 1,

    /// <summary>Boolean false, or a boolean list element.</summary>
    BooleanFalse = 2,

    /// <summary>One raw byte.</summary>
    Byte = 3,

    /// <summary>Zigzag varint, 16 bits.</summary>
    I16 = 4,

    /// <summary>Zigzag varint, 32 bits.</summary>
    I32 = 5,

    /// <summary>Zigzag varint, 64 bits.</summary>
    I64 = 6,

    /// <summary>Eight little-endian bytes.</summary>
    Double = 7,

    /// <summary>Varint length and bytes (strings too).</summary>
    Binary = 8,

    /// <summary>List header then elements.</summary>
    List = 9,

    /// <summary>Set header then elements (same layout as a list).</summary>
    Set = 10,

    /// <summary>Varint size, key/value type byte, then pairs.</summary>
    Map = 11,

    /// <summary>Nested fields up to a stop byte.</summary>
    Struct = 12,
}

// Thrift compact protocol decoder over a span (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md).
// Field headers hold a 4-bit id delta and a 4-bit type; delta 0 means a zigzag i16 id follows. Integers are zigzag
// varints, lists carry their size in the header's high nibble (15 = varint size follows). Every read checks the
// remaining bytes and throws InvalidDataException; callers wrap it with the file and location. Nesting is limited
// (MaxDepth) so a hostile file cannot blow the stack through Skip, and list sizes are checked against the bytes
// left (each element takes at least one byte) before anyone allocates for them.

/// <summary>Reads Thrift compact-protocol values from a byte span, with bounds, depth and size checks.</summary>
internal ref struct ThriftCompactReader
{
    /// <summary>Deepest struct/list nesting accepted; Parquet metadata needs about 6.</summary>
    public const int MaxDepth = 32;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _depth;

    /// <summary>Creates a reader positioned at the start of <paramref name="data"/>.</summary>
    public ThriftCompactReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
        _depth = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Enters a struct (checks the depth limit); pair with <see cref="ExitStruct"/>.</summary>
    public void EnterStruct()
    {
        if (++_depth > MaxDepth)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift structures are nested deeper than {MaxDepth} levels."));
        }
    }

    /// <summary>Leaves a struct entered with <see cref="EnterStruct"/>.</summary>
    public void ExitStruct() => _depth--;

    /// <summary>Reads the next field header of the current struct; returns false at its stop byte.</summary>
    /// <param name="lastFieldId">The previous field id of this struct (0 at its start); updated.</param>
    /// <param name="type">The field's wire type.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadFieldHeader(ref short lastFieldId, out ThriftType type)
    {
        var header = ReadRawByte();
        if (header == 0)
        {
            type = ThriftType.Stop;
            return false;
        }

        type = (ThriftType)(header & 0x0F);
        if (type > ThriftType.Struct)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift field has unknown wire type {(int)type}."));
        }

        var delta = header >> 4;
        lastFieldId = delta != 0 ? (short)(lastFieldId + delta) : ReadI16();
        return true;
    }

    /// <summary>Reads a boolean field value, which compact field headers carry in their type.</summary>
    public static bool ReadBool(ThriftType type) => type == ThriftType.BooleanTrue;

    /// <summary>Reads a boolean list element (one byte).</summary>
    public bool ReadBoolElement() => ReadRawByte() == 1;

    /// <summary>Reads one raw byte (Thrift i8).</summary>
    public sbyte ReadI8() => (sbyte)ReadRawByte();

    /// <summary>Reads a zigzag varint i16.</summary>
    public short ReadI16()
    {
        var value = ReadI64();
        if (value is < short.MinValue or > short.MaxValue)
        {
            throw new InvalidDataException("Thrift i16 value is out of range.");
        }

        return (short)value;
    }

    /// <summary>Reads a zigzag varint i32.</summary>
    public int ReadI32()
    {
        var raw = ReadVarint(5);
        if (raw > uint.MaxValue)
        {
            throw new InvalidDataException("Thrift i32 varint exceeds 32 bits.");
        }

        var u = (uint)raw;
        return (int)(u >> 1) ^ -(int)(u & 1);
    }

    /// <summary>Reads a zigzag varint i64.</summary>
    public long ReadI64()
    {
        var u = ReadVarint(10);
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    /// <summary>Reads an i32 field written as any integer wire type (lenient about I8/I16/I32 width).</summary>
    public int ReadInt(ThriftType type) => type switch
    {
        ThriftType.Byte => ReadI8(),
        ThriftType.I16 => ReadI16(),
        ThriftType.I32 => ReadI32(),
        ThriftType.I64 => NarrowToInt(ReadI64()),
        _ => throw new InvalidDataException(FormattableString.Invariant($"Thrift field holds {type} where an integer was expected.")),
    };

    private static int NarrowToInt(long value) => value is >= int.MinValue and <= int.MaxValue
        ? (int)value
        : throw new InvalidDataException(FormattableString.Invariant($"Thrift integer {value} does not fit the 32-bit field."));

    /// <summary>Reads an i64 field written as any integer wire type.</summary>
    public long ReadLong(ThriftType type) => type switch
    {
        ThriftType.Byte => ReadI8(),
        ThriftType.I16 => ReadI16(),
        ThriftType.I32 => ReadI32(),
        ThriftType.I64 => ReadI64(),
        _ => throw new InvalidDataException(FormattableString.Invariant($"Thrift field holds {type} where an integer was expected.")),
    };

    /// <summary>Reads an eight-byte little-endian double.</summary>
    public double ReadDouble()
    {
        Need(8);
        var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    /// <summary>Reads a binary value; the span aliases the input.</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        var length = ReadLength();
        var value = _data.Slice(_position, length);
        _position += length;
        return value;
    }

    /// <summary>Reads a binary value as UTF-8 text.</summary>
    public string ReadString() => Utf8Text.Decode(ReadBinary(), "a name or string of the file's metadata");

    /// <summary>Reads a list (or set) header; <paramref name="count"/> is checked against the bytes left.</summary>
    public void ReadListHeader(out ThriftType elementType, out int count)
    {
        var header = ReadRawByte();
        elementType = (ThriftType)(header & 0x0F);
        count = header >> 4;
        if (count == 15)
        {
            var size = ReadVarint(5);
            if (size > int.MaxValue)
            {
                throw new InvalidDataException("Thrift list size exceeds 2^31.");
            }

            count = (int)size;
        }

        if (elementType is ThriftType.Stop or > ThriftType.Struct)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift list has unknown element type {(int)elementType}."));
        }

        // Every element takes at least one byte (booleans one each, structs at least their stop byte).
        if (count > Remaining)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift list claims {count} elements but only {Remaining} bytes remain."));
        }
    }

    /// <summary>Skips a value of <paramref name="type"/>, recursing into containers (depth-limited).</summary>
    public void Skip(ThriftType type)
    {
        switch (type)
        {
            case ThriftType.BooleanTrue:
            case ThriftType.BooleanFalse:
                return; // field booleans live in the header; list booleans are skipped by SkipElement
            case ThriftType.Byte:
                Need(1);
                _position++;
                return;
            case ThriftType.I16:
            case ThriftType.I32:
            case ThriftType.I64:
                ReadVarint(10);
                return;
            case ThriftType.Double:
                Need(8);
                _position += 8;
                return;
            case ThriftType.Binary:
            {
                var length = ReadLength();
                _position += length;
                return;
            }

            case ThriftType.List:
            case ThriftType.Set:
            {
                EnterStruct();
                ReadListHeader(out var elementType, out var count);
                for (var i = 0; i < count; i++)
                {
                    SkipElement(elementType);
                }

                ExitStruct();
                return;
            }

            case ThriftType.Map:
            {
                EnterStruct();
                var size = ReadVarint(5);
                if (size > 0)
                {
                    var kinds = ReadRawByte();
                    if (size > (ulong)Remaining)
                    {
                        throw new InvalidDataException("Thrift map claims more entries than bytes remain.");
                    }

                    for (ulong i = 0; i < size; i++)
                    {
                        SkipElement((ThriftType)(kinds >> 4));
                        SkipElement((ThriftType)(kinds & 0x0F));
                    }
                }

                ExitStruct();
                return;
            }

            case ThriftType.Struct:
                SkipStruct();
                return;
            default:
                throw new InvalidDataException(FormattableString.Invariant($"Thrift value has unknown wire type {(int)type}."));
        }
    }

    /// <summary>Skips the rest of the current struct, up to and including its stop byte.</summary>
    public void SkipStruct()
    {
        EnterStruct();
        short id = 0;
        while (ReadFieldHeader(ref id, out var type))
        {
            Skip(type);
        }

        ExitStruct();
    }

    /// <summary>Skips one list, set or map element (booleans take a byte there).</summary>
    public void SkipElement(ThriftType type)
    {
        if (type is ThriftType.BooleanTrue or ThriftType.BooleanFalse)
        {
            Need(1);
            _position++;
            return;
        }

        if (type is ThriftType.Stop or > ThriftType.Struct)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift container has unknown element type {(int)type}."));
        }

        Skip(type);
    }

    private int ReadLength()
    {
        var length = ReadVarint(5);
        if (length > (ulong)Remaining)
        {
            throw new InvalidDataException(FormattableString.Invariant($"Thrift binary of {length} bytes runs past the end ({Remaining} bytes remain)."));
        }

        return (int)length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadVarint(int maxBytes)
    {
        // Most metadata integers (types, counts, small offsets) fit one byte.
        if (_position < _data.Length && _data[_position] < 0x80)
        {
            return _data[_position++];
        }

        return ReadVarintSlow(maxBytes);
    }

    private ulong ReadVarintSlow(int maxBytes)
    {
        ulong result = 0;
        for (var shift = 0; shift < 7 * maxBytes; shift += 7)
        {
            var b = ReadRawByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("Thrift varint is too long.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte ReadRawByte()
    {
        if (_position >= _data.Length)
        {
            throw new InvalidDataException("Thrift data ends in the middle of a structure.");
        }

        return _data[_position++];
    }

    private readonly void Need(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new InvalidDataException("Thrift data ends in the middle of a value.");
        }
    }
}
