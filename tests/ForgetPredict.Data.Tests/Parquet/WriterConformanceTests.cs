using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Files we write, read by DuckDB and parquet-wasm (independent implementations) and by our reader.</summary>
public sealed class WriterConformanceTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-pqwrite");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<ParquetCodec, ParquetDataPageVersion, bool> Variants()
    {
        var data = new TheoryData<ParquetCodec, ParquetDataPageVersion, bool>();
        foreach (var codec in new[] { ParquetCodec.Uncompressed, ParquetCodec.Snappy, ParquetCodec.Gzip, ParquetCodec.Zstd })
        {
            foreach (var version in new[] { ParquetDataPageVersion.V1, ParquetDataPageVersion.V2 })
            {
                data.Add(codec, version, version == ParquetDataPageVersion.V1);
            }
        }

        data.Add(ParquetCodec.Snappy, ParquetDataPageVersion.V1, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Write_Variant_ReadBackIdenticallyByDuckDbParquetWasmAndUs(ParquetCodec codec, ParquetDataPageVersion version, bool dictionary)
    {
        // Given: several row groups, several pages per chunk, one string column small enough for a dictionary
        // and one too large for the 2 KB dictionary limit (so it falls back to PLAIN).
        var table = TestTable.Create(rows: 5000, seed: 20261122);
        var options = new ParquetWriteOptions
        {
            Codec = codec,
            DataPageVersion = version,
            UseDictionaryForStrings = dictionary,
            DictionaryPageSizeLimit = 2048,
            RowGroupRowCount = 1500,
            DataPageSize = 4096,
        };
        var path = Path.Combine(_folder, $"ours-{codec}-{version}-{dictionary}.parquet");

        // When
        using (var stream = File.Create(path))
        using (var writer = ParquetWriter.Create(stream, table.Specs, options))
        {
            writer.WriteRows(table.Data);
        }

        // Then
        table.AssertEqual(ReferenceTable.Parse(ConformanceTools.DuckDb("read", path)));
        table.AssertEqual(ReferenceTable.Parse(ConformanceTools.ParquetWasm("read", path)));
        table.AssertReads(path);
        Assert.Equal([version == ParquetDataPageVersion.V2 ? 3 : 0], ConformanceTools.DataPageTypes(path));
        var meta = ConformanceTools.DuckDbMetadata(path);
        Assert.Equal(4 * table.Specs.Length, meta.Length);
        Assert.All(meta, m => Assert.Equal(codec.ToString().ToUpperInvariant(), m.GetProperty("compression").GetString()));
        var taskEncodings = meta.Where(m => m.GetProperty("path_in_schema").GetString() == "task").Select(m => m.GetProperty("encodings").GetString()).ToArray();
        Assert.All(taskEncodings, e => Assert.Equal(dictionary, e!.Contains("RLE_DICTIONARY", StringComparison.Ordinal)));
        var exampleEncodings = meta.Where(m => m.GetProperty("path_in_schema").GetString() == "example").Select(m => m.GetProperty("encodings").GetString()).ToArray();
        Assert.All(exampleEncodings, e => Assert.DoesNotContain("DICTIONARY", e!, StringComparison.Ordinal));
    }

    [Fact]
    public void Write_Statistics_DuckDbSeesMinMaxAndNullCount()
    {
        var path = Path.Combine(_folder, "stats.parquet");
        using (var stream = File.Create(path))
        using (var writer = ParquetWriter.Create(stream, [new("v", ParquetValueType.Double, true), new("s", ParquetValueType.String, true)]))
        {
            writer.WriteRows([
                ParquetColumnData.FromDoubles(new[] { 3.5, double.NaN, -2.0, 0.0 }, new[] { false, false, false, true }),
                ParquetColumnData.FromStrings(new[] { "b", null, "a", "é" }),
            ]);
        }

        var meta = ConformanceTools.DuckDbMetadata(path);
        Assert.Equal("-2.0", meta[0].GetProperty("stats_min_value").GetString());
        Assert.Equal("3.5", meta[0].GetProperty("stats_max_value").GetString());
        Assert.Equal("1", meta[0].GetProperty("stats_null_count").GetString());
        Assert.Equal("a", meta[1].GetProperty("stats_min_value").GetString());
        Assert.Equal("é", meta[1].GetProperty("stats_max_value").GetString());
        var sums = ConformanceTools.DuckDb("time", path, "SELECT count(*), count(v), min(s), max(s) FROM FILE", "1");
        Assert.Contains("\"result\":[\"4\",\"3\",\"a\",\"é\"]", sums, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ZeroRows_DuckDbReadsAnEmptyTable()
    {
        var path = Path.Combine(_folder, "empty.parquet");
        using (var stream = File.Create(path))
        using (var writer = ParquetWriter.Create(stream, [new("task", ParquetValueType.String), new("value", ParquetValueType.Float, true)]))
        {
            writer.WriteRows([ParquetColumnData.FromStrings(Array.Empty<string?>()), ParquetColumnData.FromFloats(Array.Empty<float>())]);
        }

        var table = ReferenceTable.Parse(ConformanceTools.DuckDb("read", path));
        Assert.Equal(["task", "value"], table.Names);
        Assert.Equal(["VARCHAR", "FLOAT"], table.Types);
        Assert.Equal(0, table.RowCount);
        using var reader = ParquetReader.Open(path);
        Assert.Equal(0, reader.RowCount);
    }
}
