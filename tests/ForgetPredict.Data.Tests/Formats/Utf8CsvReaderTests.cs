using System.Text;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>The byte-level RFC 4180 reader, run with buffers from 64 bytes up so every refill path is taken.</summary>
public class Utf8CsvReaderTests
{
    public static TheoryData<int> BufferSizes() => [64, 65, 67, 100, 1 << 16];

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public void Read_QuotingLineEndsAndBlankLines_SplitLikeRfc4180(int bufferSize)
    {
        // Given: quoted fields with delimiters, doubled quotes and line breaks; CRLF, LF and CR ends; blank lines.
        var longField = new string('x', 300);
        var text = "a,b,c\r\n\"1,5\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n" + longField + ",,\r\r\n\"\",x,\"" + longField + "\"\rlast,\"q\"\"\",end";

        // When
        var records = ReadAll(text, bufferSize, ',');

        // Then
        string[][] expected =
        [
            ["a", "b", "c"],
            ["1,5", "say \"hi\"", "two\nlines"],
            [longField, string.Empty, string.Empty],
            [string.Empty, "x", longField],
            ["last", "q\"", "end"],
        ];
        Assert.Equal([1L, 2L, 5L, 7L, 8L], records.Select(r => r.Line));
        Assert.Equal(expected.Length, records.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], records[i].Fields);
        }
    }

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public void Read_TrailingDelimiterAtEndOfInput_IsAnEmptyLastField(int bufferSize)
    {
        var records = ReadAll("a,b\n1,", bufferSize, ',');
        Assert.Equal(["1", string.Empty], records[1].Fields);
    }

    [Fact]
    public void Read_Utf8Bom_IsSkipped()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("é,b\n1,2\n")).ToArray();
        using var reader = Utf8CsvReader.Create(new MemoryStream(bytes), "t.csv", null);
        Assert.True(reader.NextRecord());
        Assert.Equal(["é", "b"], reader.ReadRemainingFields());
    }

    [Fact]
    public void Read_Utf16Bom_IsRefusedWithFix()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("a,b\n")).ToArray();
        var e = Assert.Throws<ForgettingDataException>(() => Utf8CsvReader.Create(new MemoryStream(bytes), "t.csv", null));
        Assert.Contains("UTF-16", e.Message, StringComparison.Ordinal);
        Assert.Contains("CSV UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3", ',')]
    [InlineData("a\tb\tc\n", '\t')]
    [InlineData("a;b;c\n1,5;2,5;3\n", ';')]
    [InlineData("\"x;y\",b,c\n", ',')]
    [InlineData("single\n", ',')]
    public void Create_WithoutDelimiter_SniffsTheHeader(string text, char expected)
    {
        using var reader = Utf8CsvReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.csv", null);
        Assert.Equal((byte)expected, reader.Delimiter);
    }

    [Theory]
    [InlineData("a,b\n\"open,2\n3,4\n", "never closed", 2)]
    [InlineData("a,b\n\"x\"y,2\n", "after a closing quote", 2)]
    public void Read_BadQuoting_IsRefusedWithLine(string text, string expected, long line)
    {
        var e = Assert.Throws<ForgettingDataException>(() => ReadAll(text, 64, ','));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }

    private static List<(long Line, string[] Fields)> ReadAll(string text, int bufferSize, char delimiter)
    {
        using var reader = Utf8CsvReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.csv", delimiter, bufferSize: bufferSize);
        var records = new List<(long, string[])>();
        while (reader.NextRecord())
        {
            records.Add((reader.RecordLine, reader.ReadRemainingFields().ToArray()));
        }

        return records;
    }
}
