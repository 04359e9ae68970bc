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
    public void Read_ParquetWasmFile_MatchesWrittenValues(string codec, int version, bool dictionary)
    {
        // Given: v2 files without dictionaries would use DELTA_* encodings (refused), so v2 keeps the dictionary on;
        // small pages and row groups give several of each.
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
    public void Read_ParquetWasmV2WithoutDictionary_RefusesDeltaEncodingByName()
    {
        var table = TestTable.Create(rows: 100, seed: 3);
        var path = Path.Combine(_folder, "delta.parquet");
        var spec = Path.Combine(_folder, "spec.json");
        File.WriteAllText(spec, $$$"""{"columns": {{{table.ColumnsJson}}}, "options": {"compression": "snappy", "version": 2, "dictionary": false}}""");
        ConformanceTools.ParquetWasm("write", path, spec);
        using var reader = ParquetReader.Open(path);
        var e = Assert.Throws<ForgettingDataException>(() => reader.ReadDoubles(reader.IndexOf("count"), 0, new double[100]));
        Assert.Contains("encoding DELTA_BINARY_PACKED is not supported", e.Message, StringComparison.Ordinal);
    }
}
