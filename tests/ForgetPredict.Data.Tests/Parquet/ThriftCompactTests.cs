using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

public sealed class ThriftCompactTests
{
    [Fact]
    public void ReadFieldHeader_SpecBytes_DecodeShortAndLongForms()
    {
        // Given: field 1 i32 = 2 (short form), field 20 i64 = -1 (long form: type byte, zigzag i16 id 20 = 40), stop.
        byte[] bytes = [0x15, 0x04, 0x06, 0x28, 0x01, 0x00];
        var reader = new ThriftCompactReader(bytes);
        short id = 0;

        // When / Then
        Assert.True(reader.ReadFieldHeader(ref id, out var type));
        Assert.Equal((1, ThriftType.I32), (id, type));
        Assert.Equal(2, reader.ReadI32());
        Assert.True(reader.ReadFieldHeader(ref id, out type));
        Assert.Equal((20, ThriftType.I64), (id, type));
        Assert.Equal(-1, reader.ReadI64());
        Assert.False(reader.ReadFieldHeader(ref id, out _));
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(63)]
    [InlineData(-64)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void ReadI32_ZigZagVarints_RoundTrip(int value)
    {
        var writer = new ThriftCompactWriter();
        writer.WriteI32(value);
        var reader = new ThriftCompactReader(writer.WrittenSpan);
        Assert.Equal(value, reader.ReadI32());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(1L << 40)]
    public void ReadI64_ZigZagVarints_RoundTrip(long value)
    {
        var writer = new ThriftCompactWriter();
        writer.WriteI64(value);
        var reader = new ThriftCompactReader(writer.WrittenSpan);
        Assert.Equal(value, reader.ReadI64());
    }

    [Fact]
    public void ReadI32_ZigZagSpecValues_Decode()
    {
        // zigzag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, 2147483647 -> 4294967294 (varint FE FF FF FF 0F)
        Assert.Equal(-2, new ThriftCompactReader([0x03]).ReadI32());
        Assert.Equal(int.MaxValue, new ThriftCompactReader([0xFE, 0xFF, 0xFF, 0xFF, 0x0F]).ReadI32());
    }

    [Fact]
    public void ReadI32_VarintBeyond32Bits_Throws()
    {
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]).ReadI32());
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).ReadI32());
    }

    [Fact]
    public void ReadI64_VarintLongerThanTenBytes_Throws()
    {
        byte[] bytes = [.. Enumerable.Repeat((byte)0x80, 11), 0x01];
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader(bytes).ReadI64());
    }

    [Fact]
    public void ReadFieldHeader_DecreasingIdsAndBooleans_UseLongFormAndHeaderValues()
    {
        var writer = new ThriftCompactWriter();
        short last = 0;
        writer.WriteBoolField(ref last, 5, true);
        writer.WriteBoolField(ref last, 3, false);
        writer.WriteStringField(ref last, 300, "name");
        writer.WriteStop();

        var reader = new ThriftCompactReader(writer.WrittenSpan);
        short id = 0;
        Assert.True(reader.ReadFieldHeader(ref id, out var type));
        Assert.Equal(5, id);
        Assert.True(ThriftCompactReader.ReadBool(type));
        Assert.True(reader.ReadFieldHeader(ref id, out type));
        Assert.Equal(3, id);
        Assert.False(ThriftCompactReader.ReadBool(type));
        Assert.True(reader.ReadFieldHeader(ref id, out type));
        Assert.Equal((300, ThriftType.Binary), (id, type));
        Assert.Equal("name", reader.ReadString());
        Assert.False(reader.ReadFieldHeader(ref id, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(1000)]
    public void ReadListHeader_ShortAndLongSizes_RoundTrip(int count)
    {
        var writer = new ThriftCompactWriter();
        writer.WriteListHeader(ThriftType.I32, count);
        for (var i = 0; i < count; i++)
        {
            writer.WriteI32(i - 7);
        }

        var reader = new ThriftCompactReader(writer.WrittenSpan);
        reader.ReadListHeader(out var type, out var read);
        Assert.Equal((ThriftType.I32, count), (type, read));
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i - 7, reader.ReadI32());
        }
    }

    [Fact]
    public void ReadListHeader_CountBeyondRemainingBytes_ThrowsBeforeAllocating()
    {
        // 0xF9 = long-form list of i32 with varint size 0x7FFFFFFF and nothing after it.
        byte[] bytes = [0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x07];
        var e = Assert.Throws<InvalidDataException>(() => new ThriftCompactReader(bytes).ReadListHeader(out _, out _));
        Assert.Contains("claims 2147483647 elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_EveryWireType_LandsOnNextField()
    {
        // Given: a struct with one field of each type, then field 99 holding the marker 42.
        var writer = new ThriftCompactWriter();
        short last = 0;
        writer.WriteBoolField(ref last, 1, true);
        writer.WriteFieldHeader(ref last, 2, ThriftType.Byte);
        writer.WriteRawByte(0x7F);
        writer.WriteFieldHeader(ref last, 3, ThriftType.I16);
        writer.WriteI32(-300);
        writer.WriteI32Field(ref last, 4, 123456);
        writer.WriteI64Field(ref last, 5, long.MinValue);
        writer.WriteFieldHeader(ref last, 6, ThriftType.Double);
        writer.WriteBinary(new byte[8].AsSpan(0, 7)); // 1 length byte + 7 = 8 bytes standing in for a double
        writer.WriteBinaryField(ref last, 7, "abc"u8);
        writer.WriteListFieldHeader(ref last, 8, ThriftType.BooleanTrue, 3);
        writer.WriteRawByte(1);
        writer.WriteRawByte(2);
        writer.WriteRawByte(1);
        writer.WriteFieldHeader(ref last, 9, ThriftType.Set);
        writer.WriteListHeader(ThriftType.Binary, 2);
        writer.WriteString("x");
        writer.WriteString("yz");
        writer.WriteFieldHeader(ref last, 10, ThriftType.Map);
        writer.WriteVarint(2);
        writer.WriteRawByte((byte)(((int)ThriftType.I32 << 4) | (int)ThriftType.Struct));
        writer.WriteI32(1);
        short inner = 0;
        writer.WriteI32Field(ref inner, 1, 5);
        writer.WriteStop();
        writer.WriteI32(2);
        writer.WriteStop();
        writer.WriteFieldHeader(ref last, 11, ThriftType.Map);
        writer.WriteVarint(0);
        writer.WriteStructFieldHeader(ref last, 12);
        inner = 0;
        writer.WriteListFieldHeader(ref inner, 1, ThriftType.Struct, 1);
        writer.WriteStop();
        writer.WriteStop();
        writer.WriteI32Field(ref last, 99, 42);
        writer.WriteStop();

        // When
        var reader = new ThriftCompactReader(writer.WrittenSpan);
        short id = 0;
        var skipped = 0;
        int? marker = null;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            if (id == 99)
            {
                marker = reader.ReadI32();
            }
            else
            {
                reader.Skip(type);
                skipped++;
            }
        }

        // Then
        Assert.Equal(12, skipped);
        Assert.Equal(42, marker);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void SkipStruct_NestedDeeperThanLimit_Throws()
    {
        // 100 nested struct fields (field 1, type struct = 0x1C), never closed.
        var bytes = Enumerable.Repeat((byte)0x1C, 100).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => new ThriftCompactReader(bytes).SkipStruct());
        Assert.Contains("nested deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadBinary_LengthBeyondData_Throws()
    {
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([0x05, 0x61, 0x62]).ReadBinary().ToArray());
    }

    [Fact]
    public void ReadFieldHeader_UnknownWireType_Throws()
    {
        short id = 0;
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([0x1D]).ReadFieldHeader(ref id, out _));
    }

    [Fact]
    public void ReadFieldHeader_Truncated_Throws()
    {
        short id = 0;
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([]).ReadFieldHeader(ref id, out _));
        Assert.Throws<InvalidDataException>(() => new ThriftCompactReader([0x06]).ReadFieldHeader(ref id, out _));
    }
}
