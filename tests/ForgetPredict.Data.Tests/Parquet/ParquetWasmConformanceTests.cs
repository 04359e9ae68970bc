using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Files written by parquet-wasm (the Rust parquet crate) read back by us to the values it was given.</summary>
public sealed class ParquetWasmConformanceTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-pqwasm");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("uncompressed", 1, true)]
    [InlineData("snappy", 1, true)]
    [InlineData("snappy", 1, false)]
    [InlineData("gzip", 1, true)]
    [InlineData("zstd", 1, true)]
    [InlineData("uncompressed", 2, true)]
    [InlineData("snappy", 2, true)]
    [InlineData("gzip", 2, true)]
    [InlineData("zstd", 2, true)]
    [InlineData("lz4_raw", 1, true)]
    [InlineData("lz4_raw", 2, true)]
    [InlineData("brotli", 1, true)]
    [InlineData("brotli", 2, true)]
    public void Read_ParquetWasmFile_MatchesWrittenValues(string codec, int version, bool dictionary)
    {
        // Given: dictionary pages (v2 without them: the delta test below); small pages and row groups give several of each.
        var table = TestTable.Create(rows: 3000, seed: 7);
        var path = Path.Combine(_folder, $"wasm-{codec}-v{version}-{dictionary}.parquet");
        var spec = Path.Combine(_folder, "spec.json");
        var options = $$"""{"compression": "{{codec}}", "version": {{version}}, "dictionary": {{(dictionary ? "true" : "false")}}, "rowGroupSize": 1000, "dataPageSize": 2048}""";
        File.WriteAllText(spec, $$"""{"columns": {{table.ColumnsJson}}, "options": {{options}}}""");

        // When
        ConformanceTools.ParquetWasm("write", path, spec);

        // Then
        using (var reader = ParquetReader.Open(path))
        {
            Assert.Equal(3, reader.RowGroupCount);
        }

        table.AssertReads(path);
        Assert.Equal([version == 2 ? 3 : 0], ConformanceTools.DataPageTypes(path));
    }

    [Fact]
    public void Read_ParquetWasmV2WithoutDictionary_DecodesItsDeltaEncodings()
    {
        // Given: a v2 file without dictionaries: arrow-rs then writes integers DELTA_BINARY_PACKED and strings DELTA_BYTE_ARRAY.
        var table = TestTable.Create(rows: 3000, seed: 3);
        var path = Path.Combine(_folder, "delta.parquet");
        var spec = Path.Combine(_folder, "spec.json");
        File.WriteAllText(spec, $$$"""{"columns": {{{table.ColumnsJson}}}, "options": {"compression": "snappy", "version": 2, "dictionary": false, "rowGroupSize": 1000, "dataPageSize": 2048}}""");

        // When
        ConformanceTools.ParquetWasm("write", path, spec);

        // Then: every column reads back as written, and the delta encodings were really used.
        table.AssertReads(path);
        var encodings = string.Join(",", ConformanceTools.DuckDbMetadata(path).Select(m => m.GetProperty("encodings").GetString()));
        Assert.Contains("DELTA_BINARY_PACKED", encodings, StringComparison.Ordinal);
        Assert.Contains("DELTA_BYTE_ARRAY", encodings, StringComparison.Ordinal);
    }
}
