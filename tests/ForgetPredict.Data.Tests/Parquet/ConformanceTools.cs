using System.Globalization;
using System.Text.Json;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>A table as an independent implementation read it: column names, its type names, and JSON values
/// (numbers, "NaN"/"Infinity"/"-Infinity", 64-bit integers as strings, null).</summary>
internal sealed record ReferenceTable(string[] Names, string[] Types, JsonElement[][] Columns)
{
    public int RowCount => Columns.Length == 0 ? 0 : Columns[0].Length;

    public static ReferenceTable Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var names = root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var types = root.GetProperty("types").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.Clone()).ToArray()).ToArray();
        return new ReferenceTable(names, types, columns);
    }
}

/// <summary>Runs the node scripts in tests/conformance (DuckDB, parquet-wasm and polars) and compares their view of a file with ours.</summary>
internal static class ConformanceTools
{
    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "conformance");

    /// <summary>Runs <c>node duckdb.mjs args...</c> and returns its standard output.</summary>
    public static string DuckDb(params string[] arguments) => Node("duckdb.mjs", arguments);

    /// <summary>Runs <c>node parquet-wasm.mjs args...</c> and returns its standard output.</summary>
    public static string ParquetWasm(params string[] arguments) => Node("parquet-wasm.mjs", arguments);

    /// <summary>Runs <c>node polars.mjs args...</c> and returns its standard output.</summary>
    public static string Polars(params string[] arguments) => Node("polars.mjs", arguments);

    /// <summary>Writes a file with DuckDB (COPY (select) TO file (FORMAT parquet, options)) and returns what DuckDB reads back.</summary>
    public static ReferenceTable DuckDbWrite(string path, string select, string options) => ReferenceTable.Parse(DuckDb("write", path, select, options));

    /// <summary>Returns parquet_metadata() rows: one JSON object per column chunk.</summary>
    public static JsonElement[] DuckDbMetadata(string path)
    {
        using var document = JsonDocument.Parse(DuckDb("meta", path));
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static string Node(string script, string[] arguments)
    {
        var modules = Path.Combine(Folder, "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "@duckdb", "node-api")) || !Directory.Exists(Path.Combine(modules, "parquet-wasm")) || !Directory.Exists(Path.Combine(modules, "nodejs-polars")))
        {
            Assert.Fail($"The conformance tools are not installed ({modules} is missing or incomplete); 'make test' installs them (npm install --prefix tests/conformance).");
        }

        return ExternalTool.Run("node", [script, .. arguments], Folder, timeout: TimeSpan.FromMinutes(5));
    }

    /// <summary>Asserts that every column of <paramref name="path"/>, read by us over all row groups, equals <paramref name="expected"/>.</summary>
    public static void AssertReadsAs(string path, ReferenceTable expected)
    {
        using var reader = ParquetReader.Open(path);
        Assert.Equal(expected.Names, reader.Columns.Select(c => c.Name).ToArray());
        Assert.Equal(expected.RowCount, reader.RowCount);
        for (var c = 0; c < expected.Names.Length; c++)
        {
            AssertColumn(reader, c, expected.Types[c], expected.Columns[c]);
        }
    }

    /// <summary>Compares one column, choosing the read method by the reference type name (DuckDB or Arrow spelling).</summary>
    public static void AssertColumn(ParquetReader reader, int column, string type, JsonElement[] expected)
    {
        var name = reader.Columns[column].Name;
        var present = ReadAll<bool>(reader, column, reader.ReadPresence);
        for (var i = 0; i < expected.Length; i++)
        {
            if (present[i] != (expected[i].ValueKind != JsonValueKind.Null))
            {
                Assert.Fail($"column '{name}' row {i}: presence {present[i]}, expected {expected[i]}");
            }
        }

        switch (type.ToUpperInvariant())
        {
            case "FLOAT" or "FLOAT32":
            {
                var values = ReadAll<float>(reader, column, reader.ReadFloats);
                for (var i = 0; i < expected.Length; i++)
                {
                    var want = expected[i].ValueKind == JsonValueKind.Null ? float.NaN : (float)Number(expected[i]);
                    if (BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(want) && !(float.IsNaN(want) && float.IsNaN(values[i])))
                    {
                        Assert.Fail($"column '{name}' row {i}: read {values[i]:R}, expected {want:R}");
                    }
                }

                break;
            }

            case "DOUBLE" or "FLOAT64":
            {
                var values = ReadAll<double>(reader, column, reader.ReadDoubles);
                for (var i = 0; i < expected.Length; i++)
                {
                    var want = expected[i].ValueKind == JsonValueKind.Null ? double.NaN : Number(expected[i]);
                    if (BitConverter.DoubleToInt64Bits(values[i]) != BitConverter.DoubleToInt64Bits(want) && !(double.IsNaN(want) && double.IsNaN(values[i])))
                    {
                        Assert.Fail($"column '{name}' row {i}: read {values[i]:R}, expected {want:R}");
                    }
                }

                break;
            }

            default:
            {
                // Integers, booleans and text: compare the invariant text form, which is exact for every width.
                var values = ReadAll<string?>(reader, column, reader.ReadStrings);
                for (var i = 0; i < expected.Length; i++)
                {
                    var want = expected[i].ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => expected[i].GetString(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => expected[i].GetRawText(),
                    };
                    if (values[i] != want)
                    {
                        Assert.Fail($"column '{name}' ({type}) row {i}: read '{values[i]}', expected '{want}'");
                    }
                }

                break;
            }
        }
    }

    /// <summary>The page types (0 = DATA_PAGE, 3 = DATA_PAGE_V2) found at each column chunk's data_page_offset.</summary>
    public static int[] DataPageTypes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var footerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var meta = ParquetMetadataDecoder.ReadFileMetaData(bytes.AsSpan(bytes.Length - 8 - footerLength, footerLength));
        return meta.RowGroups
            .SelectMany(g => g.Columns)
            .Select(c => (int)ParquetMetadataDecoder.ReadPageHeader(bytes.AsSpan((int)c.DataPageOffset), out _).Type)
            .Distinct()
            .Order()
            .ToArray();
    }

    public delegate void ColumnRead<T>(int column, int rowGroup, Span<T> destination);

    /// <summary>Reads a column over all row groups into one array.</summary>
    public static T[] ReadAll<T>(ParquetReader reader, int column, ColumnRead<T> read)
    {
        var all = new T[reader.RowCount];
        long at = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            read(column, g, all.AsSpan((int)at, rows));
            at += rows;
        }

        return all;
    }

    private static double Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture)
        : value.GetDouble();
}
