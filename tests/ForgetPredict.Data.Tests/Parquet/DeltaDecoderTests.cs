using System.Text;
using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>
/// The delta decoders on byte sequences worked out by hand from the format's description (Encodings.md), and on malformed
/// input. Whole files from independent writers are covered by the DuckDB and parquet-wasm conformance tests.
/// </summary>
public class DeltaDecoderTests
{
    // Header: block size 128 (ULEB 0x80 0x01), 4 miniblocks, the count, the first value (zigzag ULEB).
    private static byte[] Header(byte count, params byte[] first) => [0x80, 0x01, 0x04, count, .. first];

    [Fact]
    public void BinaryPacked_ConstantDeltas_NeedNoBits()
    {
        // 1, 2, 3, 4, 5: first 1 (zigzag 2), min delta 1 (zigzag 2), four miniblocks of width 0.
        byte[] data = [.. Header(5, 0x02), 0x02, 0, 0, 0, 0];
        var values = new long[5];
        Assert.Equal(data.Length, DeltaDecoder.BinaryPacked(data, values));
        Assert.Equal([1L, 2, 3, 4, 5], values);
    }

    [Fact]
    public void BinaryPacked_MixedDeltas_UnpackLeastSignificantBitFirst()
    {
        // 7, 5, 3, 1, 2, 3, 4, 5: deltas -2 -2 -2 1 1 1 1, min delta -2 (zigzag 3), relative 0 0 0 3 3 3 3 in 2 bits:
        // byte 0 = 0b11_00_00_00, byte 1 = 0b00_11_11_11; one 32-value miniblock is 8 bytes, the other three are absent.
        byte[] data = [.. Header(8, 0x0E), 0x03, 2, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0];
        var values = new long[8];
        Assert.Equal(data.Length, DeltaDecoder.BinaryPacked(data, values));
        Assert.Equal([7L, 5, 3, 1, 2, 3, 4, 5], values);
    }

    [Fact]
    public void BinaryPacked_SumsWrapInTwosComplement()
    {
        // long.MaxValue then long.MinValue: the delta MinValue - MaxValue wraps to 1.
        byte[] data = [.. Header(2, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), 0x02, 0, 0, 0, 0];
        var values = new long[2];
        DeltaDecoder.BinaryPacked(data, values);
        Assert.Equal([long.MaxValue, long.MinValue], values);
    }

    [Fact]
    public void BinaryPacked_SingleValue_IsTheHeaderAlone()
    {
        byte[] data = Header(1, 0x05);
        var values = new long[1];
        Assert.Equal(data.Length, DeltaDecoder.BinaryPacked(data, values));
        Assert.Equal(-3, values[0]);
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0 }, "block size 129")]
    [InlineData(new byte[] { 0x80, 0x01, 0x03, 0x05, 0x02, 0x02, 0, 0, 0 }, "block size 128 with 3 miniblocks")]
    [InlineData(new byte[] { 0x80, 0x01, 0x04, 0x06, 0x02, 0x02, 0, 0, 0, 0 }, "holds 6 values where the page has 5")]
    [InlineData(new byte[] { 0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 65, 0, 0, 0 }, "bit width 65")]
    [InlineData(new byte[] { 0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 8, 0, 0, 0, 1, 2 }, "ends inside a block")]
    [InlineData(new byte[] { 0x80, 0x01, 0x04, 0x05 }, "ends inside its first value")]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80 }, "longer than 10 bytes")]
    public void BinaryPacked_MalformedData_IsRefusedWithTheReason(byte[] data, string reason)
    {
        var e = Assert.Throws<DeltaFormatException>(() => DeltaDecoder.BinaryPacked(data, new long[5]));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LengthByteArray_SplitsTheValuesByTheirLengths()
    {
        // Lengths 3, 3, 3 (first 3 = zigzag 6, min delta 0), then "abcdefghi".
        byte[] data = [.. Header(3, 0x06), 0x00, 0, 0, 0, 0, .. "abcdefghi"u8];
        var values = new string[3];
        var used = DeltaDecoder.LengthByteArray(data, 3, ref values, static (ref string[] v, int i, ReadOnlySpan<byte> bytes) => v[i] = Encoding.UTF8.GetString(bytes));
        Assert.Equal(["abc", "def", "ghi"], values);
        Assert.Equal(data.Length, used);
    }

    [Fact]
    public void ByteArray_RebuildsEachValueFromItsPredecessor()
    {
        // "alpha", "alphabet", "alpine": prefixes 0, 5, 3 and suffixes "alpha", "bet", "ine" (lengths 5, 3, 3).
        // Prefixes: first 0, deltas 5, -2 -> min -2 (zigzag 3), relative 7, 0 in 3 bits: byte 0 = 0b000_111 -> 0x07.
        // Suffix lengths: first 5 (zigzag 10), deltas -2, 0 -> min -2, relative 0, 2 in 2 bits: byte 0 = 0b10_00 -> 0x08.
        byte[] prefixes = [.. Header(3, 0x00), 0x03, 3, 0, 0, 0, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] lengths = [.. Header(3, 0x0A), 0x03, 2, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0];
        byte[] data = [.. prefixes, .. lengths, .. "alphabetine"u8];
        var values = new string[3];
        DeltaDecoder.ByteArray(data, 3, ref values, static (ref string[] v, int i, ReadOnlySpan<byte> bytes) => v[i] = Encoding.UTF8.GetString(bytes));
        Assert.Equal(["alpha", "alphabet", "alpine"], values);
    }

    [Fact]
    public void ByteArray_PrefixLongerThanThePreviousValue_IsCorrupt()
    {
        // Prefixes 0, 4 (min delta 4, width 0) but the first value has 1 byte.
        byte[] prefixes = [.. Header(2, 0x00), 0x08, 0, 0, 0, 0];
        byte[] lengths = [.. Header(2, 0x02), 0x00, 0, 0, 0, 0];
        byte[] data = [.. prefixes, .. lengths, .. "ab"u8];
        var values = new string[2];
        var e = Assert.Throws<DeltaFormatException>(() => DeltaDecoder.ByteArray(data, 2, ref values, static (ref string[] v, int i, ReadOnlySpan<byte> bytes) => v[i] = Encoding.UTF8.GetString(bytes)));
        Assert.Contains("value 1 reuses 4 bytes of a previous value of 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteArray_ValuesThatExpandBeyondTheBudget_AreRefused()
    {
        // 20,000 values, each the whole previous value plus one byte: about 2e8 bytes from a page of about 20 kB.
        const int Count = 20_000;
        var prefixes = new List<byte>(Header(0));
        prefixes.RemoveAt(prefixes.Count - 1);
        prefixes.AddRange(Uleb(Count));
        prefixes.Add(0x00);                         // first prefix 0
        var blocks = (Count - 1 + 127) / 128;
        for (var b = 0; b < blocks; b++)
        {
            prefixes.AddRange([0x02, 0, 0, 0, 0]);  // min delta 1, widths 0: prefixes 0, 1, 2, ...
        }

        var lengths = new List<byte>(Header(0));
        lengths.RemoveAt(lengths.Count - 1);
        lengths.AddRange(Uleb(Count));
        lengths.Add(0x02);                          // first length 1
        for (var b = 0; b < blocks; b++)
        {
            lengths.AddRange([0x00, 0, 0, 0, 0]);   // min delta 0: every suffix 1 byte
        }

        byte[] data = [.. prefixes, .. lengths, .. Enumerable.Repeat((byte)'x', Count)];
        var seen = 0;
        var e = Assert.Throws<DeltaFormatException>(() => DeltaDecoder.ByteArray(data, Count, ref seen, static (ref int s, int i, ReadOnlySpan<byte> bytes) => s++));
        Assert.Contains("more than 64 times their page", e.Message, StringComparison.Ordinal);
        Assert.True(seen < Count);
    }

    private static byte[] Uleb(int value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }
}
