using ForgetPredict.Data.Parquet;
using ForgetPredict.Data.Tests.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>The long Parquet reader takes ids as indices into one table of distinct values (Utf8IdTable), reused over
/// row groups, pages and both passes; these check that every encoding and page shape maps the same text to the same id.</summary>
public class ParquetLongIdsTests
{
    // 7 tasks x 300 examples with ids that are not numbers (so first appearance orders them), rows shuffled, 40 cells
    // absent and 30 values null, written as row groups of 500, 37, 900 and the rest rows in pages of about 256 bytes. The
    // dictionary limit (1,500 bytes) makes the large row groups' example column PLAIN and the small one's a dictionary.
    private static (List<(string Task, string Example, float? Value)> Rows, string Path) LongFile(ParquetCodec codec, ParquetDataPageVersion version)
    {
        var random = new Random(7);
        var rows = new List<(string Task, string Example, float? Value)>();
        for (var i = 0; i < 7; i++)
        {
            for (var j = 0; j < 300; j++)
            {
                rows.Add(($"task-{(i * 3) % 7}", $"ex/{(j * 7) % 300}", random.Next(70) == 0 ? null : (float)random.NextDouble()));
            }
        }

        rows = [.. rows.OrderBy(_ => random.Next())];
        rows.RemoveRange(100, 40);
        var path = System.IO.Path.Combine(RepoPaths.NewTempFolder(), "long-ids.parquet");
        var options = new ParquetWriteOptions { Codec = codec, DataPageVersion = version, DataPageSize = 256, DictionaryPageSizeLimit = 1500 };
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.String), new("example", ParquetValueType.String), new("value", ParquetValueType.Float, IsNullable: true)], options))
        {
            var start = 0;
            foreach (var size in new[] { 500, 37, 900, rows.Count - 1437 })
            {
                var group = rows.GetRange(start, size);
                writer.WriteRowGroup([
                    ParquetColumnData.FromStrings(group.Select(r => (string?)r.Task).ToArray()),
                    ParquetColumnData.FromStrings(group.Select(r => (string?)r.Example).ToArray()),
                    ParquetColumnData.FromFloats(group.Select(r => r.Value ?? 0f).ToArray(), group.Select(r => r.Value is null).ToArray())]);
                start += size;
            }

            writer.Complete();
        }

        return (rows, path);
    }

    [Theory]
    [InlineData(ParquetCodec.Snappy, ParquetDataPageVersion.V1)]
    [InlineData(ParquetCodec.Uncompressed, ParquetDataPageVersion.V2)]
    [InlineData(ParquetCodec.Zstd, ParquetDataPageVersion.V2)]
    public void Read_LongFileMixingDictionaryAndPlainIdsOverRowGroupsAndPages_PlacesEveryCell(ParquetCodec codec, ParquetDataPageVersion version)
    {
        var (rows, path) = LongFile(codec, version);

        var matrix = MatrixFile.Read(path);

        var tasks = rows.Select(r => r.Task).Distinct().ToList();
        var examples = rows.Select(r => r.Example).Distinct().ToList();
        Assert.Equal(tasks, matrix.TaskIds);
        Assert.Equal(examples, matrix.ExampleIds);
        var expected = new float[tasks.Count * examples.Count];
        Array.Fill(expected, float.NaN);
        foreach (var (task, example, value) in rows)
        {
            expected[(tasks.IndexOf(task) * examples.Count) + examples.IndexOf(example)] = value ?? float.NaN;
        }

        Assert.Equal(expected, matrix.Values.ToArray());
        Assert.Equal(40 + rows.Count(r => r.Value is null), matrix.MissingCount);
    }

    [Theory]
    [InlineData(ParquetCodec.Snappy, ParquetDataPageVersion.V1)]
    [InlineData(ParquetCodec.Uncompressed, ParquetDataPageVersion.V2)]
    public void ReadIds_OneTableOverEveryRowGroup_GivesTheTextReadStringsGives(ParquetCodec codec, ParquetDataPageVersion version)
    {
        var (_, path) = LongFile(codec, version);
        using var reader = ParquetReader.Open(path);
        for (var column = 0; column < 2; column++)
        {
            var table = new Utf8IdTable();
            var ids = new int[1000];
            var text = new string?[1000];
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var rows = (int)reader.GetRowGroupRowCount(g);
                ids.AsSpan().Fill(-2);
                reader.ReadIds(column, g, ids, table);
                reader.ReadStrings(column, g, text);
                Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(text[r], table[ids[r]]));
                Assert.Equal(-2, ids[rows]);
            }

            Assert.Equal(column == 0 ? 7 : 300, table.Count);
        }
    }

    [Fact]
    public void ReadIds_DuckDbVersion2WithNullIds_GivesMinusOneForNullsAndTheTextOtherwise()
    {
        // PARQUET_VERSION V2 strings: DuckDB's own choice of dictionary or DELTA_* pages, over 3 row groups.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "duck-v2.parquet");
        ConformanceTools.DuckDbWrite(path,
            "SELECT CASE WHEN i = 2500 THEN NULL ELSE 'task-' || (i % 7) END AS task, 'example-' || (i // 7) || '-' || md5(CAST(i // 7 AS VARCHAR)) AS example, i AS value FROM range(3000) t(i)",
            "PARQUET_VERSION V2, ROW_GROUP_SIZE 1024");
        using var reader = ParquetReader.Open(path);
        var ids = new int[(int)reader.GetRowGroupRowCount(0)];
        var text = new string?[ids.Length];
        for (var column = 0; column < 2; column++)
        {
            var table = new Utf8IdTable();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                reader.ReadIds(column, g, ids, table);
                reader.ReadStrings(column, g, text);
                for (var r = 0; r < reader.GetRowGroupRowCount(g); r++)
                {
                    Assert.Equal(text[r], ids[r] < 0 ? null : table[ids[r]]);
                }
            }
        }
    }

    [Fact]
    public void Read_LongFileWithANullIdInALaterPlainRowGroup_NamesItsRow()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "null-id.parquet");
        var examples = Enumerable.Range(0, 400).Select(j => (string?)$"ex/{j}").ToArray();
        var options = new ParquetWriteOptions { DictionaryPageSizeLimit = 100, DataPageSize = 512 };
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.String), new("example", ParquetValueType.String, IsNullable: true), new("value", ParquetValueType.Float)], options))
        {
            for (var g = 0; g < 2; g++)
            {
                var group = (string?[])examples.Clone();
                if (g == 1)
                {
                    group[321] = null;
                }

                writer.WriteRowGroup([ParquetColumnData.FromStrings(Enumerable.Repeat((string?)$"t{g}", 400).ToArray()), ParquetColumnData.FromStrings(group), ParquetColumnData.FromFloats(new float[400])]);
            }

            writer.Complete();
        }

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("an id is null or empty", e.Message, StringComparison.Ordinal);
        Assert.Equal(400 + 321 + 1, e.Line);
        Assert.Equal("example", e.Column);
        Assert.Equal("row group 1", e.Location);
    }

    [Fact]
    public void Read_LongFileWithAnEmptyIdInALaterRowGroup_NamesItsFirstRow()
    {
        // An empty id is checked once per distinct value, on its first row: the row named is that first one.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "empty-id.parquet");
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.String), new("example", ParquetValueType.String), new("value", ParquetValueType.Float)], new ParquetWriteOptions { RowGroupRowCount = 3 }))
        {
            writer.WriteRowGroup([ParquetColumnData.FromStrings(new string?[] { "a", "a", "b" }), ParquetColumnData.FromStrings(new string?[] { "x", "y", "x" }), ParquetColumnData.FromFloats(new[] { 1f, 2f, 3f })]);
            writer.WriteRowGroup([ParquetColumnData.FromStrings(new string?[] { "b", "c", "c" }), ParquetColumnData.FromStrings(new string?[] { "", "x", "" }), ParquetColumnData.FromFloats(new[] { 4f, 5f, 6f })]);
            writer.Complete();
        }

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("an id is null or empty", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Line);
        Assert.Equal("example", e.Column);
        Assert.Equal("row group 1", e.Location);
    }

    [Fact]
    public void Read_LongFileWithNullableIntegerIdsAndAPlainRepeat_NamesBothRowsOfTheRepeatedCell()
    {
        // Integer ids (nullable INT64, no nulls) go through the table as their text; a repeated cell names both rows.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "int-dup.parquet");
        var options = new ParquetWriteOptions { RowGroupRowCount = 5 };
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.Int64, IsNullable: true), new("example", ParquetValueType.Int32), new("value", ParquetValueType.Float)], options))
        {
            writer.WriteRowGroup([ParquetColumnData.FromInt64s(new long[] { -1, -1, 7, 7, -1, 7, 7 }), ParquetColumnData.FromInt32s(new[] { 10, 2, 10, 2, 3, 3, 2 }), ParquetColumnData.FromFloats(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f })]);
            writer.Complete();
        }

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("task '7', example '2' appears twice, in rows 4 and 7", e.Message, StringComparison.Ordinal);
    }

    // The examples are listed against numeric order and against their first appearance (task 12: 5, 40, 0; task -3: 40, 5, 0):
    // shuffled, so sorted. The tasks come 12 before -3 under every example: the file's own order, kept (it had been sorted).
    [Fact]
    public void Read_LongFileWithIntegerIds_SortsShuffledOnesAndKeepsTheFilesOwnOrderAndEveryValue()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "int-ids.parquet");
        var options = new ParquetWriteOptions { RowGroupRowCount = 4 };
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.Int64, IsNullable: true), new("example", ParquetValueType.Int32), new("value", ParquetValueType.Float)], options))
        {
            writer.WriteRowGroup([ParquetColumnData.FromInt64s(new long[] { 12, 12, -3, -3, 12, -3 }), ParquetColumnData.FromInt32s(new[] { 5, 40, 40, 5, 0, 0 }), ParquetColumnData.FromFloats(new[] { 1f, 2f, 3f, 4f, 5f, 6f })]);
            writer.Complete();
        }

        var matrix = MatrixFile.Read(path);

        Assert.Equal(["12", "-3"], matrix.TaskIds);
        Assert.Equal(["0", "5", "40"], matrix.ExampleIds);
        Assert.Equal([5f, 1f, 2f, 6f, 4f, 3f], matrix.Values.ToArray());
    }

    [Fact]
    public void Read_LongFileWithANullIntegerIdInASecondRowGroup_NamesItsRow()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "int-null.parquet");
        using (var writer = ParquetWriter.Create(File.Create(path), [new("task", ParquetValueType.Int64, IsNullable: true), new("example", ParquetValueType.Int32), new("value", ParquetValueType.Float)]))
        {
            writer.WriteRowGroup([ParquetColumnData.FromInt64s(new long[] { 1, 2 }), ParquetColumnData.FromInt32s(new[] { 1, 1 }), ParquetColumnData.FromFloats(new[] { 1f, 2f })]);
            writer.WriteRowGroup([ParquetColumnData.FromInt64s(new long[] { 1, 0, 2 }, new[] { false, true, false }), ParquetColumnData.FromInt32s(new[] { 2, 2, 3 }), ParquetColumnData.FromFloats(new[] { 3f, 4f, 5f })]);
            writer.Complete();
        }

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("an id is null or empty", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Line);
        Assert.Equal("task", e.Column);
    }
}
