using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;
using PqNet = Parquet;
using PqNetSchema = Parquet.Schema;
using Sharp = ParquetSharp;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>
/// Parquet.Net 6.1.0 (managed) and ParquetSharp 25.0.1.2 (Arrow's C++ parquet) as independent .NET oracles: every file they
/// write (a metadata table with nullable columns of every type, wide and long matrices; every codec each offers; both data
/// page versions where offered) reads exactly with ours, and every file we write they read back exactly.
/// </summary>
public sealed class OracleConformanceTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-oracle");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> ParquetNetCodecs() => new() { "None", "Snappy", "Gzip", "Zstd", "Lz4Raw", "Brotli" };

    public static TheoryData<string, string> ParquetSharpVariants()
    {
        var data = new TheoryData<string, string>();
        foreach (var codec in new[] { "Uncompressed", "Snappy", "Gzip", "Zstd", "Lz4", "Brotli" })
        {
            data.Add(codec, "V1");
            data.Add(codec, "V2");
        }

        return data;
    }

    public static TheoryData<ParquetCodec, ParquetDataPageVersion> OurVariants()
    {
        var data = new TheoryData<ParquetCodec, ParquetDataPageVersion>();
        foreach (var codec in Enum.GetValues<ParquetCodec>())
        {
            data.Add(codec, ParquetDataPageVersion.V1);
            data.Add(codec, ParquetDataPageVersion.V2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ParquetNetCodecs))]
    public async Task Read_ParquetNetTable_MatchesWhatItWasGiven(string codec)
    {
        // Given: three row groups of the metadata-like table, written by Parquet.Net with the codec
        var table = TestTable.Create(rows: 3000, seed: 41);
        var path = Path.Combine(_folder, $"pqnet-{codec}.parquet");
        await WriteWithParquetNet(path, table.Specs, Typed(table), Enum.Parse<PqNet.CompressionMethod>(codec), rowGroupSize: 1000);

        // When / Then
        table.AssertReads(path);
        using var reader = ForgetPredict.Data.Parquet.ParquetReader.Open(path);
        Assert.Equal(3, reader.RowGroupCount);
    }

    [Theory]
    [MemberData(nameof(ParquetSharpVariants))]
    public void Read_ParquetSharpTable_MatchesWhatItWasGiven(string codec, string version)
    {
        // Given
        var table = TestTable.Create(rows: 3000, seed: 42);
        var path = Path.Combine(_folder, $"pqsharp-{codec}-{version}.parquet");
        WriteWithParquetSharp(path, table.Specs, Typed(table), Enum.Parse<Sharp.Compression>(codec), Enum.Parse<Sharp.ParquetDataPageVersion>(version), rowGroupSize: 1000);

        // When / Then
        table.AssertReads(path);
        Assert.Equal([version == "V2" ? 3 : 0], ConformanceTools.DataPageTypes(path));
    }

    [Theory]
    [InlineData("parquet.net")]
    [InlineData("parquetsharp")]
    public async Task Read_OracleWideAndLongMatrices_LoadAsTheSameMatrix(string oracle)
    {
        // Given: a 6 x 700 matrix with missing cells, as a wide file (task column + one nullable FLOAT column per example)
        // and as a long file (task, example, value: observed cells only)
        var matrix = SampleMatrix(6, 700, seed: 5);
        var (wideSpecs, wideColumns) = WideColumns(matrix);
        var (longSpecs, longColumns) = LongColumns(matrix);
        var wide = Path.Combine(_folder, oracle + "-wide.parquet");
        var longPath = Path.Combine(_folder, oracle + "-long.parquet");
        if (oracle == "parquet.net")
        {
            await WriteWithParquetNet(wide, wideSpecs, wideColumns, PqNet.CompressionMethod.Zstd, rowGroupSize: 4);
            await WriteWithParquetNet(longPath, longSpecs, longColumns, PqNet.CompressionMethod.Snappy, rowGroupSize: 1000);
        }
        else
        {
            WriteWithParquetSharp(wide, wideSpecs, wideColumns, Sharp.Compression.Zstd, Sharp.ParquetDataPageVersion.V2, rowGroupSize: 4);
            WriteWithParquetSharp(longPath, longSpecs, longColumns, Sharp.Compression.Lz4, Sharp.ParquetDataPageVersion.V1, rowGroupSize: 1000);
        }

        // When / Then
        AssertSameMatrix(matrix, ParquetMatrixFormat.Read(wide));
        AssertSameMatrix(matrix, ParquetMatrixFormat.Read(longPath));
    }

    [Theory]
    [MemberData(nameof(OurVariants))]
    public async Task Write_OurTable_IsReadBackExactlyByParquetNetAndParquetSharp(ParquetCodec codec, ParquetDataPageVersion version)
    {
        // Given
        var table = TestTable.Create(rows: 2500, seed: 43);
        var path = Path.Combine(_folder, $"ours-{codec}-{version}.parquet");
        using (var stream = File.Create(path))
        using (var writer = ForgetPredict.Data.Parquet.ParquetWriter.Create(stream, table.Specs, new ParquetWriteOptions
        {
            Codec = codec,
            DataPageVersion = version,
            RowGroupRowCount = 1000,
            DataPageSize = 4096,
            DictionaryPageSizeLimit = 2048,
        }))
        {
            writer.WriteRows(table.Data);
        }

        // When / Then
        var expected = Typed(table);
        AssertColumnsEqual(expected, await ReadWithParquetNet(path, table.Specs), "Parquet.Net");
        AssertColumnsEqual(expected, ReadWithParquetSharp(path, table.Specs), "ParquetSharp");
    }

    [Theory]
    [InlineData(MatrixLayout.Wide)]
    [InlineData(MatrixLayout.Long)]
    public async Task Write_OurMatrix_IsReadBackExactlyByParquetNetAndParquetSharp(MatrixLayout layout)
    {
        // Given
        var matrix = SampleMatrix(5, 400, seed: 6);
        var path = Path.Combine(_folder, $"ours-{layout}.parquet");
        using (var stream = File.Create(path))
        {
            ParquetMatrixFormat.Write(matrix, stream, new MatrixWriteOptions { Layout = layout });
        }

        // When
        var (specs, expected) = layout == MatrixLayout.Wide ? WideColumns(matrix) : LongColumns(matrix);

        // Then: the same columns (the writer's nullability included) and values
        AssertColumnsEqual(expected, await ReadWithParquetNet(path, specs), "Parquet.Net");
        AssertColumnsEqual(expected, ReadWithParquetSharp(path, specs), "ParquetSharp");
    }

    /// <summary>The table's columns as typed arrays: string?[], float?[], double[], int?[], long[] or bool?[] (nullable element
    /// types for nullable columns).</summary>
    private static Array[] Typed(TestTable table) =>
        [.. table.Specs.Select((spec, c) => Typed(spec, table.Expected[c]))];

    private static Array Typed(ParquetColumnSpec spec, JsonElement[] values)
    {
        static bool IsNull(JsonElement v) => v.ValueKind == JsonValueKind.Null;
        static double Number(JsonElement v) => v.ValueKind == JsonValueKind.String
            ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture)
            : v.GetDouble();
        return (spec.Type, spec.IsNullable) switch
        {
            (ParquetValueType.String, _) => values.Select(v => IsNull(v) ? null : v.GetString()).ToArray(),
            (ParquetValueType.Float, true) => values.Select(v => IsNull(v) ? (float?)null : (float)Number(v)).ToArray(),
            (ParquetValueType.Float, false) => values.Select(v => (float)Number(v)).ToArray(),
            (ParquetValueType.Double, true) => values.Select(v => IsNull(v) ? (double?)null : Number(v)).ToArray(),
            (ParquetValueType.Double, false) => values.Select(Number).ToArray(),
            (ParquetValueType.Int32, true) => values.Select(v => IsNull(v) ? (int?)null : v.GetInt32()).ToArray(),
            (ParquetValueType.Int32, false) => values.Select(v => v.GetInt32()).ToArray(),
            (ParquetValueType.Int64, true) => values.Select(v => IsNull(v) ? (long?)null : long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray(),
            (ParquetValueType.Int64, false) => values.Select(v => long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray(),
            (ParquetValueType.Boolean, true) => values.Select(v => IsNull(v) ? (bool?)null : v.GetBoolean()).ToArray(),
            (ParquetValueType.Boolean, false) => values.Select(v => v.GetBoolean()).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "no typed form"),
        };
    }

    private static ForgettingMatrix SampleMatrix(int tasks, int examples, int seed)
    {
        var random = new Random(seed);
        var values = new float[tasks * examples];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(11) == 0 ? float.NaN : (float)((random.NextDouble() * 2) - 0.3);
        }

        return ForgettingMatrix.Create(values, tasks, examples,
            Enumerable.Range(0, tasks).Select(t => "task-" + t.ToString(CultureInfo.InvariantCulture)),
            Enumerable.Range(0, examples).Select(j => "ex" + j.ToString(CultureInfo.InvariantCulture)));
    }

    // Our wide layout: a required task column, then one nullable FLOAT column per example (missing cells are nulls).
    private static (ParquetColumnSpec[] Specs, Array[] Columns) WideColumns(ForgettingMatrix matrix)
    {
        var specs = new List<ParquetColumnSpec> { new("task", ParquetValueType.String) };
        var columns = new List<Array> { matrix.TaskIds.ToArray() };
        for (var j = 0; j < matrix.ExampleCount; j++)
        {
            specs.Add(new(matrix.ExampleIds[j], ParquetValueType.Float, IsNullable: true));
            columns.Add(Enumerable.Range(0, matrix.TaskCount).Select(t => float.IsNaN(matrix[t, j]) ? (float?)null : matrix[t, j]).ToArray());
        }

        return ([.. specs], [.. columns]);
    }

    // Our long layout: task, example, value (FLOAT), one row per observed cell, row-major.
    private static (ParquetColumnSpec[] Specs, Array[] Columns) LongColumns(ForgettingMatrix matrix)
    {
        var cells = Enumerable.Range(0, matrix.TaskCount)
            .SelectMany(t => Enumerable.Range(0, matrix.ExampleCount).Select(j => (t, j)))
            .Where(c => !float.IsNaN(matrix[c.t, c.j]))
            .ToArray();
        ParquetColumnSpec[] specs = [new("task", ParquetValueType.String), new("example", ParquetValueType.String), new("value", ParquetValueType.Float)];
        Array[] columns =
        [
            cells.Select(c => (string?)matrix.TaskIds[c.t]).ToArray(),
            cells.Select(c => (string?)matrix.ExampleIds[c.j]).ToArray(),
            cells.Select(c => matrix[c.t, c.j]).ToArray(),
        ];
        return (specs, columns);
    }

    // Same ids and the same value in every cell; a long file orders examples by first appearance, so cells are matched by id.
    private static void AssertSameMatrix(ForgettingMatrix expected, ForgettingMatrix actual)
    {
        Assert.Equal(expected.TaskIds.ToArray(), actual.TaskIds.ToArray());
        Assert.Equal(expected.ExampleIds.Order(StringComparer.Ordinal), actual.ExampleIds.Order(StringComparer.Ordinal));
        var column = actual.ExampleIds.Select((id, j) => (id, j)).ToDictionary(p => p.id, p => p.j, StringComparer.Ordinal);
        for (var t = 0; t < expected.TaskCount; t++)
        {
            for (var j = 0; j < expected.ExampleCount; j++)
            {
                var got = actual[t, column[expected.ExampleIds[j]]];
                if (BitConverter.SingleToInt32Bits(got) != BitConverter.SingleToInt32Bits(expected[t, j]) && !(float.IsNaN(got) && float.IsNaN(expected[t, j])))
                {
                    Assert.Fail($"task {expected.TaskIds[t]}, example {expected.ExampleIds[j]}: read {got:R}, expected {expected[t, j]:R}");
                }
            }
        }
    }

    private static void AssertColumnsEqual(Array[] expected, Array[] actual, string oracle)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var c = 0; c < expected.Length; c++)
        {
            Assert.Equal(expected[c].GetType(), actual[c].GetType());
            Assert.Equal(expected[c].Length, actual[c].Length);
            for (var i = 0; i < expected[c].Length; i++)
            {
                if (!Equals(expected[c].GetValue(i), actual[c].GetValue(i)))
                {
                    Assert.Fail($"{oracle}: column {c} row {i}: read {actual[c].GetValue(i) ?? "null"}, expected {expected[c].GetValue(i) ?? "null"}");
                }
            }
        }
    }

    private static async Task WriteWithParquetNet(string path, ParquetColumnSpec[] specs, Array[] columns, PqNet.CompressionMethod codec, int rowGroupSize)
    {
        var fields = specs.Select(NetField).ToArray();
        await using var stream = File.Create(path);
        await using var writer = await PqNet.ParquetWriter.CreateAsync(new PqNetSchema.ParquetSchema(fields), stream, new PqNet.ParquetOptions { CompressionMethod = codec });
        var rows = columns[0].Length;
        for (var start = 0; start < rows; start += rowGroupSize)
        {
            var count = Math.Min(rowGroupSize, rows - start);
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < fields.Length; c++)
            {
                var field = fields[c];
                switch (columns[c])
                {
                    case string?[] v: await group.WriteAsync(field, v.AsSpan(start, count).ToArray()); break;
                    case float?[] v: await group.WriteAsync(field, new ReadOnlyMemory<float?>(v, start, count)); break;
                    case float[] v: await group.WriteAsync(field, new ReadOnlyMemory<float>(v, start, count)); break;
                    case double[] v: await group.WriteAsync(field, new ReadOnlyMemory<double>(v, start, count)); break;
                    case int?[] v: await group.WriteAsync(field, new ReadOnlyMemory<int?>(v, start, count)); break;
                    case long[] v: await group.WriteAsync(field, new ReadOnlyMemory<long>(v, start, count)); break;
                    case bool?[] v: await group.WriteAsync(field, new ReadOnlyMemory<bool?>(v, start, count)); break;
                    default: throw new ArgumentException("unexpected column type " + columns[c].GetType(), nameof(columns));
                }
            }
        }
    }

    private static async Task<Array[]> ReadWithParquetNet(string path, ParquetColumnSpec[] specs)
    {
        await using var reader = await PqNet.ParquetReader.CreateAsync(path);
        var fields = reader.Schema.DataFields;
        Assert.Equal(specs.Select(s => s.Name), fields.Select(f => f.Name));
        var total = reader.RowGroups.Sum(g => (int)g.RowCount);
        var columns = specs.Select(s => Array.CreateInstance(ElementType(s), total)).ToArray();
        var at = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = (int)group.RowCount;
            for (var c = 0; c < specs.Length; c++)
            {
                switch (columns[c])
                {
                    case string?[] v: await group.ReadAsync(fields[c], new Memory<string?>(v, at, count)); break;
                    case float?[] v: await group.ReadAsync(fields[c], new Memory<float?>(v, at, count)); break;
                    case float[] v: await group.ReadAsync(fields[c], new Memory<float>(v, at, count)); break;
                    case double[] v: await group.ReadAsync(fields[c], new Memory<double>(v, at, count)); break;
                    case int?[] v: await group.ReadAsync(fields[c], new Memory<int?>(v, at, count)); break;
                    case long[] v: await group.ReadAsync(fields[c], new Memory<long>(v, at, count)); break;
                    case bool?[] v: await group.ReadAsync(fields[c], new Memory<bool?>(v, at, count)); break;
                    default: throw new ArgumentException("unexpected column type", nameof(specs));
                }
            }

            at += count;
        }

        return columns;
    }

    private static void WriteWithParquetSharp(string path, ParquetColumnSpec[] specs, Array[] columns, Sharp.Compression codec, Sharp.ParquetDataPageVersion version, int rowGroupSize)
    {
        var sharpColumns = specs.Select(s => new Sharp.Column(ElementType(s), s.Name)).ToArray();
        using var properties = new Sharp.WriterPropertiesBuilder().Compression(codec).DataPageVersion(version).DataPagesize(4096).Build();
        using var file = new Sharp.ParquetFileWriter(path, sharpColumns, properties);
        var rows = columns[0].Length;
        for (var start = 0; start < rows; start += rowGroupSize)
        {
            var count = Math.Min(rowGroupSize, rows - start);
            using var group = file.AppendRowGroup();
            foreach (var column in columns)
            {
                using var writer = group.NextColumn();
                switch (column)
                {
                    case string?[] v: Write(writer, v!, start, count); break;
                    case float?[] v: Write(writer, v, start, count); break;
                    case float[] v: Write(writer, v, start, count); break;
                    case double[] v: Write(writer, v, start, count); break;
                    case int?[] v: Write(writer, v, start, count); break;
                    case long[] v: Write(writer, v, start, count); break;
                    case bool?[] v: Write(writer, v, start, count); break;
                    default: throw new ArgumentException("unexpected column type", nameof(columns));
                }
            }
        }

        file.Close();

        static void Write<T>(Sharp.ColumnWriter writer, T[] values, int start, int count)
        {
            using var logical = writer.LogicalWriter<T>();
            logical.WriteBatch(values, start, count);
        }
    }

    private static Array[] ReadWithParquetSharp(string path, ParquetColumnSpec[] specs)
    {
        using var file = new Sharp.ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        Assert.Equal(specs.Select(s => s.Name), Enumerable.Range(0, schema.NumColumns).Select(c => schema.Column(c).Name));
        var total = (int)file.FileMetaData.NumRows;
        var columns = specs.Select(s => Array.CreateInstance(ElementType(s), total)).ToArray();
        var at = 0;
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var count = (int)group.MetaData.NumRows;
            for (var c = 0; c < specs.Length; c++)
            {
                using var reader = group.Column(c);
                switch (columns[c])
                {
                    case string?[] v: Read(reader, v!, at, count); break;
                    case float?[] v: Read(reader, v, at, count); break;
                    case float[] v: Read(reader, v, at, count); break;
                    case double[] v: Read(reader, v, at, count); break;
                    case int?[] v: Read(reader, v, at, count); break;
                    case long[] v: Read(reader, v, at, count); break;
                    case bool?[] v: Read(reader, v, at, count); break;
                    default: throw new ArgumentException("unexpected column type", nameof(specs));
                }
            }

            at += count;
        }

        file.Close();
        return columns;

        static void Read<T>(Sharp.ColumnReader reader, T[] destination, int at, int count)
        {
            using var logical = reader.LogicalReader<T>();
            Assert.Equal(count, logical.ReadBatch(destination.AsSpan(at, count)));
        }
    }

    private static Type ElementType(ParquetColumnSpec spec) => (spec.Type, spec.IsNullable) switch
    {
        (ParquetValueType.String, _) => typeof(string),
        (ParquetValueType.Float, true) => typeof(float?),
        (ParquetValueType.Float, false) => typeof(float),
        (ParquetValueType.Double, true) => typeof(double?),
        (ParquetValueType.Double, false) => typeof(double),
        (ParquetValueType.Int32, true) => typeof(int?),
        (ParquetValueType.Int32, false) => typeof(int),
        (ParquetValueType.Int64, true) => typeof(long?),
        (ParquetValueType.Int64, false) => typeof(long),
        (ParquetValueType.Boolean, true) => typeof(bool?),
        _ => typeof(bool),
    };

    private static PqNetSchema.DataField NetField(ParquetColumnSpec spec) =>
        new(spec.Name, Nullable.GetUnderlyingType(ElementType(spec)) ?? ElementType(spec), isNullable: spec.IsNullable);
}
