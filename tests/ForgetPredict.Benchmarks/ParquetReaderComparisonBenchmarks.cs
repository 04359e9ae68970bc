using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;
using OurReader = ForgetPredict.Data.Parquet.ParquetReader;
using PqNet = Parquet;
using Sharp = ParquetSharp;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Why the project keeps its own Parquet reader: the same forgetting-matrix file read to the last value by ours, by
/// Parquet.Net 6.1.0 (managed) and by ParquetSharp 25.0.1.2 (Arrow's C++ parquet through P/Invoke).
/// </summary>
/// <remarks>
/// <para>The file is an 85-task matrix with <see cref="Examples"/> examples (10% missing), written by our writer with
/// SNAPPY in the layout under test: <c>wide</c> (a task column and one nullable FLOAT column per example, 85 rows: the
/// shape pandas' <c>to_parquet</c> gives a tasks x examples frame) or <c>long</c> (task, example, value: one row per
/// observed cell, ids dictionary-encoded). Each reader opens the file and reads every column of every row group into
/// arrays (strings as .NET strings, floats with their nulls); nothing else.</para>
/// <para>With <c>FP_BENCH_SMOKE=1</c> the matrix is 85 x 200.</para>
/// </remarks>
[MemoryDiagnoser]
public class ParquetReaderComparisonBenchmarks
{
    private string _folder = "";
    private string _path = "";

    /// <summary>Examples (columns of the matrix); the wide file has this many FLOAT columns, the long file 85 x 0.9 x this many rows.</summary>
    [Params(2_000, 20_000)]
    public int Examples { get; set; }

    /// <summary>File layout: <c>wide</c> or <c>long</c>.</summary>
    [Params("wide", "long")]
    public string Layout { get; set; } = "wide";

    /// <summary>Writes the file with our writer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var examples = Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1" ? 200 : Examples;
        const int Tasks = 85;
        var random = new Random(85);
        var values = new float[Tasks * examples];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(10) == 0 ? float.NaN : (float)random.NextDouble();
        }

        var matrix = ForgettingMatrix.Create(values, Tasks, examples,
            Enumerable.Range(0, Tasks).Select(t => "task-" + t.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Enumerable.Range(0, examples).Select(j => "ex" + j.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _folder = RepoPaths.NewTempFolder("fp-bench-pqcompare");
        _path = Path.Combine(_folder, $"{Layout}-{examples}.parquet");
        using var stream = File.Create(_path);
        ParquetMatrixFormat.Write(matrix, stream, new MatrixWriteOptions { Layout = Layout == "wide" ? MatrixLayout.Wide : MatrixLayout.Long });
    }

    /// <summary>Deletes the file.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>Our reader: every column of every row group.</summary>
    [Benchmark(Baseline = true)]
    public long Ours()
    {
        using var reader = OurReader.Open(_path);
        long count = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            var floats = new float[rows];
            var strings = new string?[rows];
            for (var c = 0; c < reader.Columns.Count; c++)
            {
                if (reader.Columns[c].PhysicalType == Data.Parquet.ParquetPhysicalType.Float)
                {
                    reader.ReadFloats(c, g, floats);
                }
                else
                {
                    reader.ReadStrings(c, g, strings);
                }

                count += rows;
            }
        }

        return count;
    }

    /// <summary>Parquet.Net 6.1.0: every column of every row group.</summary>
    [Benchmark]
    public async Task<long> ParquetNet()
    {
        await using var reader = await PqNet.ParquetReader.CreateAsync(_path);
        var fields = reader.Schema.DataFields;
        long count = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            var floats = new float?[rows];
            var strings = new string?[rows];
            foreach (var field in fields)
            {
                if (field.ClrType == typeof(float))
                {
                    await group.ReadAsync<float>(field, floats);
                }
                else
                {
                    await group.ReadAsync(field, strings);
                }

                count += rows;
            }
        }

        return count;
    }

    /// <summary>ParquetSharp 25.0.1.2: every column of every row group.</summary>
    [Benchmark]
    public long ParquetSharp()
    {
        using var file = new Sharp.ParquetFileReader(_path);
        var schema = file.FileMetaData.Schema;
        long count = 0;
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var rows = (int)group.MetaData.NumRows;
            var floats = new float?[rows];
            var requiredFloats = new float[rows];
            var strings = new string?[rows];
            for (var c = 0; c < schema.NumColumns; c++)
            {
                using var column = group.Column(c);
                if (schema.Column(c).PhysicalType == Sharp.PhysicalType.Float && schema.Column(c).MaxDefinitionLevel > 0)
                {
                    using var logical = column.LogicalReader<float?>();
                    logical.ReadBatch(floats);
                }
                else if (schema.Column(c).PhysicalType == Sharp.PhysicalType.Float)
                {
                    using var logical = column.LogicalReader<float>();
                    logical.ReadBatch(requiredFloats);
                }
                else
                {
                    using var logical = column.LogicalReader<string?>();
                    logical.ReadBatch(strings);
                }

                count += rows;
            }
        }

        file.Close();
        return count;
    }
}
