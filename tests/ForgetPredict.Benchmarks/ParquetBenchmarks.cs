using System.Globalization;
using BenchmarkDotNet.Attributes;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Benchmarks;

/// <summary>Reading an 85 x 141,816 float32 forgetting matrix from Parquet, in the long layout (task, example, value
/// rows; ids as INT32 or dictionary-encoded strings) and the wide layout (one FLOAT column per example).</summary>
/// <remarks>Files are written by our writer in GlobalSetup (PLAIN floats, dictionary strings, 1,048,576-row row
/// groups, as pyarrow writes them). Throughput = 4 bytes x TaskCount x ExampleCount / time. FP_BENCH_SMOKE=1 shrinks
/// the matrix to 5 x 1000; FP_BENCH_KEEP=folder keeps the files there (to time DuckDB on the same bytes).</remarks>
[MemoryDiagnoser]
public class ParquetBenchmarks
{
    private string _folder = "";
    private string _path = "";
    private int _taskCount;
    private int _exampleCount;
    private float[] _values = [];
    private long[] _ids = [];
    private string?[] _names = [];

    /// <summary>Matrix layout in the file.</summary>
    [Params("long-int32", "long-string", "wide")]
    public string Layout { get; set; } = "long-int32";

    /// <summary>Page codec.</summary>
    [Params(ParquetCodec.Snappy, ParquetCodec.Uncompressed, ParquetCodec.Gzip)]
    public ParquetCodec Codec { get; set; }

    /// <summary>Writes the benchmark file for this layout and codec.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var smoke = Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1";
        _taskCount = smoke ? 5 : 85;
        _exampleCount = smoke ? 1000 : 141_816;
        var keep = Environment.GetEnvironmentVariable("FP_BENCH_KEEP");
        _folder = keep is { Length: > 0 } ? keep : RepoPaths.NewTempFolder("fp-bench-parquet");
        Directory.CreateDirectory(_folder);
        _path = Path.Combine(_folder, $"{Layout}-{Codec}-{_taskCount}x{_exampleCount}.parquet".ToLowerInvariant());
        var random = new Random(85);
        var matrix = new float[_taskCount * _exampleCount];
        for (var i = 0; i < matrix.Length; i++)
        {
            matrix[i] = random.Next(10) == 0 ? float.NaN : (float)random.NextDouble();
        }

        var options = new ParquetWriteOptions { Codec = Codec, DictionaryPageSizeLimit = 4 << 20 };
        using (var stream = File.Create(_path))
        {
            if (Layout == "wide")
            {
                WriteWide(stream, matrix, options);
            }
            else
            {
                WriteLong(stream, matrix, options, Layout == "long-string");
            }
        }

        var rows = Layout == "wide" ? _taskCount : Math.Min(matrix.Length, options.RowGroupRowCount);
        _values = new float[Layout == "wide" ? matrix.Length : rows];
        _ids = new long[rows];
        _names = new string?[rows];
    }

    /// <summary>Deletes the file unless FP_BENCH_KEEP asked to keep it.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (Environment.GetEnvironmentVariable("FP_BENCH_KEEP") is not { Length: > 0 })
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Opens the file and reads every cell (ids and values); returns a checksum of the values.</summary>
    [Benchmark]
    public double ReadMatrix()
    {
        using var reader = ParquetReader.Open(_path);
        double sum = 0;
        if (Layout == "wide")
        {
            for (var c = 0; c < reader.Columns.Count; c++)
            {
                var column = _values.AsSpan(c * _taskCount, _taskCount);
                reader.ReadFloats(c, 0, column);
                sum += column[0];
            }

            return sum;
        }

        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var rows = (int)reader.GetRowGroupRowCount(g);
            if (Layout == "long-string")
            {
                reader.ReadStrings(0, g, _names.AsSpan(0, rows));
                reader.ReadStrings(1, g, _names.AsSpan(0, rows));
            }
            else
            {
                reader.ReadInt64s(0, g, _ids.AsSpan(0, rows));
                reader.ReadInt64s(1, g, _ids.AsSpan(0, rows));
            }

            reader.ReadFloats(2, g, _values.AsSpan(0, rows));
            sum += _values[0];
        }

        return sum;
    }

    /// <summary>Opens the file (footer only) and lists its columns: the fixed cost before any read.</summary>
    [Benchmark]
    public int OpenFooter()
    {
        using var reader = ParquetReader.Open(_path);
        return reader.Columns.Count + reader.RowGroupCount;
    }

    private void WriteLong(Stream stream, float[] matrix, ParquetWriteOptions options, bool strings)
    {
        var rows = matrix.Length;
        var specs = new ParquetColumnSpec[]
        {
            new("task", strings ? ParquetValueType.String : ParquetValueType.Int32),
            new("example", strings ? ParquetValueType.String : ParquetValueType.Int32),
            new("value", ParquetValueType.Float, IsNullable: true),
        };
        ParquetColumnData task, example;
        if (strings)
        {
            var taskNames = Enumerable.Range(0, _taskCount).Select(t => "task_" + t.ToString("D2", CultureInfo.InvariantCulture)).ToArray();
            var exampleNames = Enumerable.Range(0, _exampleCount).Select(e => "ex_" + e.ToString("D6", CultureInfo.InvariantCulture)).ToArray();
            var taskColumn = new string?[rows];
            var exampleColumn = new string?[rows];
            for (var i = 0; i < rows; i++)
            {
                taskColumn[i] = taskNames[i / _exampleCount];
                exampleColumn[i] = exampleNames[i % _exampleCount];
            }

            task = ParquetColumnData.FromStrings(taskColumn);
            example = ParquetColumnData.FromStrings(exampleColumn);
        }
        else
        {
            var taskColumn = new int[rows];
            var exampleColumn = new int[rows];
            for (var i = 0; i < rows; i++)
            {
                taskColumn[i] = i / _exampleCount;
                exampleColumn[i] = i % _exampleCount;
            }

            task = ParquetColumnData.FromInt32s(taskColumn);
            example = ParquetColumnData.FromInt32s(exampleColumn);
        }

        using var writer = ParquetWriter.Create(stream, specs, options, leaveOpen: true);
        writer.WriteRows([task, example, ParquetColumnData.FromFloats(matrix)]);
    }

    private void WriteWide(Stream stream, float[] matrix, ParquetWriteOptions options)
    {
        var specs = Enumerable.Range(0, _exampleCount)
            .Select(e => new ParquetColumnSpec("ex_" + e.ToString("D6", CultureInfo.InvariantCulture), ParquetValueType.Float, IsNullable: true))
            .ToArray();
        var columns = new ParquetColumnData[_exampleCount];
        for (var e = 0; e < _exampleCount; e++)
        {
            var column = new float[_taskCount];
            for (var t = 0; t < _taskCount; t++)
            {
                column[t] = matrix[(t * _exampleCount) + e];
            }

            columns[e] = ParquetColumnData.FromFloats(column);
        }

        using var writer = ParquetWriter.Create(stream, specs, options, leaveOpen: true);
        writer.WriteRows(columns);
    }
}
