using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

public sealed class RleBitPackedTests
{
    public static TheoryData<int> BitWidths() => [.. Enumerable.Range(0, 33)];

    [Fact]
    public void Read_SpecExample_DecodesBitPackedGroup()
    {
        // Encodings.md: values 0..7 with bit width 3 bit-packed are the bytes 0x88 0xC6 0xFA; header 0x03 = 1 group.
        var decoder = new RleBitPackedDecoder([0x03, 0x88, 0xC6, 0xFA], 3);
        var values = new int[8];
        Assert.Equal(8, decoder.Read(values));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], values);
    }

    [Theory]
    [MemberData(nameof(BitWidths))]
    public void Read_ReferenceEncodedRuns_MatchesScalarReference(int bitWidth)
    {
        // Given: a mix of RLE runs and bit-packed groups written by the scalar reference encoder below.
        var random = new Random(1000 + bitWidth);
        var (bytes, expected) = ReferenceEncode(random, bitWidth, runs: 60);

        // When: read in uneven batches, to cross run boundaries mid-batch
        var decoder = new RleBitPackedDecoder(bytes, bitWidth);
        var actual = new int[expected.Count];
        var done = 0;
        while (done < actual.Length)
        {
            var batch = Math.Min(actual.Length - done, 1 + random.Next(50));
            Assert.Equal(batch, decoder.Read(actual.AsSpan(done, batch)));
            done += batch;
        }

        // Then
        Assert.Equal(expected, actual);
        Assert.Equal(0, decoder.Read(new int[4]));
    }

    [Theory]
    [MemberData(nameof(BitWidths))]
    public void Encode_RandomAndRepeatedValues_ScalarReferenceDecodesThem(int bitWidth)
    {
        var random = new Random(2000 + bitWidth);
        var values = new List<int>();
        while (values.Count < 3000)
        {
            var value = RandomValue(random, bitWidth);
            var repeat = random.Next(3) == 0 ? random.Next(1, 40) : 1;
            values.AddRange(Enumerable.Repeat(value, repeat));
        }

        var buffer = new ByteBuffer();
        RleBitPackedEncoder.Encode(values.ToArray(), bitWidth, buffer);
        Assert.Equal(values, ReferenceDecode(buffer.WrittenSpan.ToArray(), bitWidth, values.Count));
        var decoded = new int[values.Count];
        Assert.Equal(values.Count, new RleBitPackedDecoder(buffer.WrittenSpan, bitWidth).Read(decoded));
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void Read_TruncatedBitPackedRun_YieldsOnlyWholeValues()
    {
        // Header says 1 group (8 values) of width 8 but only 3 bytes follow.
        var decoder = new RleBitPackedDecoder([0x03, 1, 2, 3], 8);
        var values = new int[8];
        Assert.Equal(3, decoder.Read(values));
        Assert.Equal([1, 2, 3], values[..3]);
    }

    [Fact]
    public void Read_TruncatedRleValue_Throws()
    {
        Assert.Throws<InvalidDataException>(() => new RleBitPackedDecoder([0x10, 0x01], 16).Read(new int[8]));
    }

    [Fact]
    public void Create_BitWidthAbove32_Throws()
    {
        Assert.Throws<InvalidDataException>(() => new RleBitPackedDecoder([], 33));
    }

    private static int RandomValue(Random random, int bitWidth) =>
        bitWidth == 0 ? 0 : (int)((uint)random.NextInt64(0, 1L << 32) & (uint)((1UL << bitWidth) - 1));

    // Scalar reference: writes runs one bit at a time, straight from the spec text.
    private static (byte[] Bytes, List<int> Values) ReferenceEncode(Random random, int bitWidth, int runs)
    {
        var bytes = new List<byte>();
        var values = new List<int>();
        for (var r = 0; r < runs; r++)
        {
            if (random.Next(2) == 0)
            {
                var count = random.Next(1, 300);
                var value = RandomValue(random, bitWidth);
                WriteUleb(bytes, (ulong)count << 1);
                for (var b = 0; b < (bitWidth + 7) / 8; b++)
                {
                    bytes.Add((byte)((uint)value >> (8 * b)));
                }

                values.AddRange(Enumerable.Repeat(value, count));
            }
            else
            {
                var groups = random.Next(1, 6);
                WriteUleb(bytes, ((ulong)groups << 1) | 1);
                var bits = new List<bool>();
                for (var i = 0; i < groups * 8; i++)
                {
                    var value = RandomValue(random, bitWidth);
                    values.Add(value);
                    for (var b = 0; b < bitWidth; b++)
                    {
                        bits.Add((((uint)value >> b) & 1) != 0);
                    }
                }

                for (var i = 0; i < bits.Count; i += 8)
                {
                    byte packed = 0;
                    for (var b = 0; b < 8 && i + b < bits.Count; b++)
                    {
                        packed |= (byte)((bits[i + b] ? 1 : 0) << b);
                    }

                    bytes.Add(packed);
                }
            }
        }

        return (bytes.ToArray(), values);
    }

    private static List<int> ReferenceDecode(byte[] bytes, int bitWidth, int count)
    {
        var values = new List<int>();
        var position = 0;
        while (values.Count < count)
        {
            ulong header = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[position++];
                header |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            if ((header & 1) == 0)
            {
                var value = 0;
                for (var b = 0; b < (bitWidth + 7) / 8; b++)
                {
                    value |= bytes[position++] << (8 * b);
                }

                values.AddRange(Enumerable.Repeat(value, (int)(header >> 1)));
            }
            else
            {
                var n = (int)(header >> 1) * 8;
                for (var i = 0; i < n; i++)
                {
                    uint value = 0;
                    for (var b = 0; b < bitWidth; b++)
                    {
                        var bit = (i * bitWidth) + b;
                        if ((bytes[position + (bit / 8)] >> (bit % 8) & 1) != 0)
                        {
                            value |= 1u << b;
                        }
                    }

                    values.Add((int)value);
                }

                position += n * bitWidth / 8;
            }
        }

        return values.GetRange(0, count);
    }

    private static void WriteUleb(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }
}
